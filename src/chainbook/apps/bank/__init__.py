"""The bank module: the native coin (balances, transfers, a supply the genesis fixes)."""

from chainbook.apps.bank import process as _process
from chainbook.apps.bank.actions import ACTIONS, MultiTransfer, Output, Transfer
from chainbook.apps.bank.errors import ERRORS
from chainbook.apps.bank.genesis import BankGenesis, Coin, GenesisAccount, Issuance
from chainbook.apps.bank.genesis import verify_bank_genesis as _verify_genesis
from chainbook.apps.bank.limits import LIMITS
from chainbook.apps.bank.queries import QUERIES, Balance, BalanceRequest, SupplyInfo
from chainbook.apps.bank.workload import BankWorkload
from chainbook.apps.base import GenesisSection, Module

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="The native coin: balances, transfers and a supply fixed by the genesis.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(BankGenesis, _process.process_genesis, _verify_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=BankWorkload,
    exports=_process.EXPORTS,
    begin_block=_process.process_mint,
    assert_invariants=_process.assert_invariants,
)

__all__ = [
    "MODULE",
    "Balance",
    "BalanceRequest",
    "BankGenesis",
    "Coin",
    "GenesisAccount",
    "Issuance",
    "MultiTransfer",
    "Output",
    "SupplyInfo",
    "Transfer",
]
