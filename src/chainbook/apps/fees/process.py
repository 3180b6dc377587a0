"""The fees module: a minimum fee per byte, paid by every transaction's sender, burnt.

State (keys relative to b"fees/"; values canonical MessagePack):

    params      FeesParams [min_fee_per_byte]      the genesis value (see below)

Rules kept (the ledger calls `charge` for each transaction: apps/fee_rule.py, ledger/execute.py):
- A transaction of `n` signed bytes pays a fee >= min_fee_per_byte x n (FeeTooLow otherwise),
  named in its body and paid in the native coin by its sender (CannotPayFee when its balance
  is short). The fee is charged before the action runs and kept if the action is refused.
  Measuring in bytes prices what a transaction costs every node: its bandwidth, its place in
  blocks and on disk, and its signature checks (each signature adds ~98 bytes).
- The fee is burnt (the bank's `burn` export: it leaves the supply), not paid to the block's
  proposer. Spam then costs whoever sends it, validators included: paid to the proposer, a
  validator's own transactions in its own blocks would be free, and a validator could fill
  its blocks at no cost. A consortium ledger needs no fee income to pay for its validators
  (its members run them); with a capped issuance (bank: supply_max), burnt coins may be
  minted again as later block rewards, so the fees of a busy chain flow to future proposers
  without giving any one of them a reason to include its own spam.
- A fee of 0 on a chain whose minimum is 0 costs nothing to check: the ledger skips the fee
  step (ledger/execute.py process_fee), which keeps the transfer path as fast as before fees.
- The minimum is read from state, so every node applies the same one. It is set at genesis
  (`app_state.fees.min_fee_per_byte`) and is the governed parameter `fees.min_fee_per_byte`
  (0 to limits.min_fee_per_byte_max): a `set_parameter` proposal that > 2/3 of the voting
  power passes changes it from its activation height, for every node at the same block. The
  ledger reads the parameter's value at each block's height (ledger/execute.py
  get_min_fee_per_byte); on a chain without a governing module the genesis value kept here
  holds for ever. A mempool re-checks every pending transaction when the minimum of its next
  block changes.
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, TxContext, TxView
from chainbook.apps.fees.errors import CannotPayFee, FeeTooLow
from chainbook.apps.fees.genesis import FeesGenesis
from chainbook.ledger.receipts import Event
from chainbook.types import Amount

MODULE_NAME = "fees"
PARAMS_KEY = b"params"
MIN_FEE_PER_BYTE_PARAM = "fees.min_fee_per_byte"


class FeesParams(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    min_fee_per_byte: Amount


def get_params(view: KVReader) -> FeesParams:
    raw = view.get(PARAMS_KEY)
    assert raw is not None, "fees params missing: state not initialised from genesis"
    return codec.decode(raw, FeesParams)


def get_min_fee_per_byte(view: KVReader) -> Amount:
    """The ledger's hook (FeeRule.min_fee_per_byte): read once per block."""
    return get_params(view).min_fee_per_byte


def compute_min_fee(min_fee_per_byte: Amount, tx_bytes: int) -> Amount:
    return min_fee_per_byte * tx_bytes


def verify_fee(fee: Amount, tx_bytes: int, min_fee_per_byte: Amount) -> None:
    needed = compute_min_fee(min_fee_per_byte, tx_bytes)
    if fee < needed:
        raise FeeTooLow(
            fee=fee, needed=needed, tx_bytes=tx_bytes, min_fee_per_byte=min_fee_per_byte
        )


def charge(
    view: TxView, ctx: TxContext, fee: Amount, tx_bytes: int, min_fee_per_byte: Amount
) -> None:
    """The ledger's hook (FeeRule.charge): check the fee, then burn it from the sender."""
    verify_fee(fee, tx_bytes, min_fee_per_byte)
    if fee == 0:
        return
    available = view.call("bank", "balance", ctx, ctx.sender)
    if available < fee:
        raise CannotPayFee(fee=fee, available=available)
    view.call("bank", "burn", ctx, ctx.sender, fee)


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    raise AssertionError(f"the fees module has no actions, got {type(action).__name__}")


def process_genesis(view: KVStore, section: FeesGenesis) -> None:
    view.set(PARAMS_KEY, codec.encode(FeesParams(section.min_fee_per_byte)))


def get_genesis_params(section: FeesGenesis) -> dict[str, int]:
    """The governed parameter's genesis value (Module.genesis_params): the genesis section's."""
    return {MIN_FEE_PER_BYTE_PARAM: section.min_fee_per_byte}


__all__ = [
    "MIN_FEE_PER_BYTE_PARAM",
    "MODULE_NAME",
    "FeesParams",
    "charge",
    "compute_min_fee",
    "get_genesis_params",
    "get_min_fee_per_byte",
    "get_params",
    "process",
    "process_genesis",
    "verify_fee",
]
