"""Payment versus payment: two legs in two tokens between two parties, in one transaction
that both sign, both legs or neither.

Rules kept:
- The sender pays `give_amount` of `give_token` to the counterparty; the counterparty pays
  `get_amount` of `get_token` to the sender. The agreed rate is the ratio of the two amounts,
  which both parties signed as they are: nothing is computed, nothing rounded.
- The counterparty must be a signer of the transaction (TxContext.signers: the ledger checked
  that the keys speak for it under its account policy), and not the sender itself.
- The native coin may be the sender's leg only. The bank moves an account's coins only in that
  account's own transactions, so that a fee admitted for a pending transaction stays payable
  (apps/bank/process.py); the party who pays in the native coin therefore sends the swap.
- Both legs are checked (tokens, amounts, each party's funds) before either moves, so a
  refusal names the party and the leg; a refusal of the second move (a frozen account) still
  discards the first, as every write of a refused action is (apps/base.py TxView.call).
- The swap keeps no record: its receipt and its `settlement.swapped` event are the record,
  found by either party's address (GET /txs?account=...).
"""

from __future__ import annotations

from chainbook.apps import tokens
from chainbook.apps.base import TxContext, TxView
from chainbook.apps.settlement.actions import Swap
from chainbook.apps.settlement.errors import (
    InvalidParty,
    NativeFromCosigner,
    NotCosigned,
    SameToken,
)
from chainbook.apps.settlement.legs import verify_amount, verify_funds, verify_memo, verify_token
from chainbook.apps.settlement.state import MODULE_NAME
from chainbook.ledger.receipts import Event


def verify_counterparty(ctx: TxContext, action: Swap) -> None:
    counterparty = action.counterparty
    if counterparty == ctx.sender:
        raise InvalidParty(
            f"the counterparty {counterparty.hex()} is the sender itself; a swap is between "
            "two accounts"
        )
    if counterparty not in ctx.signers:
        signers = ", ".join(s.hex() for s in ctx.signers)
        raise NotCosigned(
            f"the counterparty {counterparty.hex()} did not sign this transaction (its accounts: "
            f"{signers}); a swap is one transaction for the accounts [sender, counterparty], "
            "signed by both (chainbook settlement prepare-swap, then cosign)"
        )
    if action.get_token == tokens.NATIVE_TOKEN:
        raise NativeFromCosigner(
            f"the counterparty {counterparty.hex()} would pay in the native coin; only the "
            "sender's coins move in its transaction, so the party paying in the native coin "
            "sends the swap: swap the roles (sender and counterparty, give and get)"
        )


def verify_legs(action: Swap) -> None:
    verify_amount(action.give_amount, "give_amount")
    verify_amount(action.get_amount, "get_amount")
    if action.give_token == action.get_token:
        raise SameToken(
            f"both legs are in token {action.give_token!r}; an exchange is of two tokens "
            "(pay in one token with bank.transfer or assets.transfer)"
        )


def process_swap(view: TxView, ctx: TxContext, action: Swap) -> list[Event]:
    verify_memo(action.memo)
    verify_legs(action)
    verify_counterparty(ctx, action)
    verify_token(view, ctx, action.give_token, "give_token")
    verify_token(view, ctx, action.get_token, "get_token")
    verify_funds(view, ctx, ctx.sender, "sender", action.give_token, action.give_amount)
    verify_funds(
        view, ctx, action.counterparty, "counterparty", action.get_token, action.get_amount
    )
    tokens.transfer(
        view, ctx, ctx.sender, action.counterparty, action.give_token, action.give_amount
    )
    tokens.transfer(view, ctx, action.counterparty, ctx.sender, action.get_token, action.get_amount)
    attributes = [
        ("sender", ctx.sender.hex()),
        ("counterparty", action.counterparty.hex()),
        ("give_token", action.give_token),
        ("give_amount", str(action.give_amount)),
        ("get_token", action.get_token),
        ("get_amount", str(action.get_amount)),
    ]
    return [Event(MODULE_NAME, "swapped", attributes)]


__all__ = ["process_swap", "verify_counterparty", "verify_legs"]
