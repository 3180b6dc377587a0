"""What the tests share: deterministic keys, one chain id, genesis builders, signed txs.

One place for them (instead of a builder per test folder), so that a change of the genesis or
transaction format is made once. Import from `tests.support`.
"""

from tests.support.chain import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    DAVE,
    GENESIS_TIME_MS,
    VALIDATOR,
    make_genesis,
    signed,
    validator_keys,
)
from tests.support.ledger import (
    ask,
    balance_of,
    ctx,
    make_state,
    multi,
    run_block,
    run_refused,
    supply_of,
    transfer,
    tx,
)

__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "CHAIN_ID",
    "DAVE",
    "GENESIS_TIME_MS",
    "VALIDATOR",
    "ask",
    "balance_of",
    "ctx",
    "make_genesis",
    "make_state",
    "multi",
    "run_block",
    "run_refused",
    "signed",
    "supply_of",
    "transfer",
    "tx",
    "validator_keys",
]
