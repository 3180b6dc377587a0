"""What every settlement action checks and moves: a leg (a token and an amount), its party's
funds, the escrow, the heights and the memo.

Rules kept:
- A leg's amount is at least 1 base unit of one token (at most 2**64 - 1, the wire's
  bound); amounts are moved exactly as the
  parties signed them (the rate of an exchange is the ratio of its two amounts), so nothing is
  rounded and no unit is created or lost: the modules that hold balances (the bank, assets)
  assert their supplies at every commit, and settlement only moves.
- Tokens move only through chainbook.apps.tokens, i.e. the bank's and the assets module's
  exports, which see this module as the caller: funds leave only the transaction's signers
  (the native coin: its sender only) or the module's own account, ESCROW.
- `escrow/<token>` follows every move into and out of ESCROW, so it equals the sum of the open
  records' amounts (asserted at every commit, process.assert_invariants) and, as long as
  nobody pays ESCROW directly, ESCROW's balance in that token (tests check both).
- A deadline height lies after the current height and at most expiry_blocks_max ahead.
"""

from __future__ import annotations

from chainbook.apps import tokens
from chainbook.apps.base import KVStore, TxContext, TxView, decode_int, encode_int
from chainbook.apps.settlement import limits
from chainbook.apps.settlement.errors import (
    InsufficientFunds,
    InvalidAmount,
    InvalidHeight,
    MemoTooLong,
    TooManyOpen,
    UnknownToken,
)
from chainbook.apps.settlement.state import ESCROW, escrow_key, get_uint
from chainbook.types import Address, Amount, Height


def describe_token(token: str) -> str:
    return "the native coin" if token == tokens.NATIVE_TOKEN else f"token {token!r}"


def verify_memo(memo: str) -> None:
    size = len(memo) if memo.isascii() else len(memo.encode())
    if size > limits.memo_bytes_max:
        raise MemoTooLong(f"memo is {size} bytes of UTF-8, limit {limits.memo_bytes_max} bytes")


def verify_amount(amount: Amount, field: str) -> None:
    """At least 1 (the wire form, a MessagePack uint, stops at 2**64 - 1)."""
    if amount < 1:
        raise InvalidAmount(f"{field} must be at least 1 base unit, got {amount}")


def verify_token(view: TxView, ctx: TxContext, token: str, field: str) -> None:
    """The token exists (the native coin always does)."""
    if len(token) > limits.token_chars_max:
        raise UnknownToken(
            f"{field} is {len(token)} characters; a token id is \"\" (the native coin) or a "
            f"symbol of 2 to {limits.token_chars_max}"
        )
    if not tokens.token_info(view, ctx, token).found:
        raise UnknownToken(
            f"{field} {token!r} names no token: nobody created it (the native coin is \"\"; "
            "the assets module's `tokens` query lists the others)"
        )


def verify_funds(
    view: TxView, ctx: TxContext, party: Address, role: str, token: str, amount: Amount
) -> None:
    held = tokens.balance(view, ctx, party, token)
    if held < amount:
        raise InsufficientFunds(
            f"the {role} {party.hex()} holds {held} of {describe_token(token)}, needs {amount}"
        )


def verify_deadline(ctx: TxContext, height: Height, field: str) -> None:
    last = ctx.height + limits.expiry_blocks_max
    if not ctx.height < height <= last:
        raise InvalidHeight(
            f"{field} must be after the current height {ctx.height} and at most "
            f"{limits.expiry_blocks_max} blocks ahead ({ctx.height + 1} to {last}), got {height}"
        )


def verify_open_count(view: KVStore, key: bytes, limit: int, what: str, owner: Address) -> int:
    """The account's count of open offers or locks, below its limit."""
    count = get_uint(view, key)
    if count >= limit:
        raise TooManyOpen(
            f"account {owner.hex()} has {count} open {what}, the limit; close one first"
        )
    return count


def process_add(view: KVStore, key: bytes, delta: int) -> None:
    """Add `delta` to a counter that is absent at 0 (and deleted when it falls back to 0).
    Read with get_to_update: the value read only decides this key's new value."""
    raw = view.get_to_update(key)
    value = (0 if raw is None else decode_int(raw)) + delta
    assert value >= 0, (key, value)
    if value == 0:
        view.delete(key)
    else:
        view.set(key, encode_int(value))


def process_escrow_in(
    view: TxView, ctx: TxContext, party: Address, token: str, amount: Amount
) -> None:
    tokens.transfer(view, ctx, party, ESCROW, token, amount)
    process_add(view, escrow_key(token), amount)


def process_escrow_out(
    view: TxView, ctx: TxContext, to: Address, token: str, amount: Amount
) -> None:
    tokens.transfer(view, ctx, ESCROW, to, token, amount)
    process_add(view, escrow_key(token), -amount)


__all__ = [
    "describe_token",
    "process_add",
    "process_escrow_in",
    "process_escrow_out",
    "verify_amount",
    "verify_deadline",
    "verify_funds",
    "verify_memo",
    "verify_open_count",
    "verify_token",
]
