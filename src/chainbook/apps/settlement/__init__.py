"""The settlement module: point-to-point cross-border payment without intermediaries.

- Payment versus payment (`swap`): two parties exchange two tokens at the rate their amounts
  state, in one transaction both sign (a multi-signer transaction, docs/PROTOCOL.md): both
  legs or neither.
- Offers (`offer`, `accept`, `cancel`, `reclaim`) for parties that are not online together:
  the maker escrows its leg in the module's account until an expiry height; an accept before
  it moves both legs at once; the maker cancels, or anyone reclaims after expiry, funds back.
- Hashed time-locked transfers (`lock`, `claim`, `refund`): a payment claimable by its
  recipient with the SHA-256 preimage up to a deadline height, refunded to its sender after
  it, never both, so a payment can be tied to an event on another ledger.

Tokens are moved through chainbook.apps.tokens (the native coin "" by the bank, issued tokens
by the assets module), so the chain needs both modules. Settlement has no genesis section:
open offers and locks hold funds in the module's account, which a genesis file would have to
fund consistently in two other modules' sections; importing none is the safe default.
"""

from chainbook.apps.base import Module
from chainbook.apps.settlement import process as _process
from chainbook.apps.settlement.actions import (
    ACTIONS,
    Accept,
    Cancel,
    Claim,
    MakeLock,
    MakeOffer,
    Reclaim,
    Refund,
    Swap,
)
from chainbook.apps.settlement.errors import ERRORS
from chainbook.apps.settlement.limits import LIMITS
from chainbook.apps.settlement.queries import QUERIES, EscrowInfo, LockInfo, OfferInfo
from chainbook.apps.settlement.state import ESCROW, MODULE_NAME
from chainbook.apps.settlement.workload import SettlementWorkload

MODULE = Module(
    name=MODULE_NAME,
    summary="Cross-border settlement: payment versus payment in one co-signed transaction, "
    "escrowed offers with an expiry, hashed time-locked transfers.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    errors=ERRORS,
    limits=LIMITS,
    workload=SettlementWorkload,
    assert_invariants=_process.assert_invariants,
)

__all__ = [
    "ESCROW",
    "MODULE",
    "Accept",
    "Cancel",
    "Claim",
    "EscrowInfo",
    "MakeLock",
    "LockInfo",
    "MakeOffer",
    "OfferInfo",
    "Reclaim",
    "Refund",
    "Swap",
]
