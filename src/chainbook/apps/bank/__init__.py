"""The bank module: the native coin (balances, transfers, block rewards)."""

from chainbook.apps.bank import process as _process
from chainbook.apps.bank.actions import ACTIONS, MultiTransfer, Output, Transfer
from chainbook.apps.bank.queries import QUERIES, AccountInfo, SupplyInfo
from chainbook.apps.base import Module

MODULE = Module(
    name=_process.MODULE_NAME,
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    init_genesis=_process.process_genesis,
    begin_block=_process.process_mint,
    assert_invariants=_process.assert_invariants,
)

__all__ = ["MODULE", "AccountInfo", "MultiTransfer", "Output", "SupplyInfo", "Transfer"]
