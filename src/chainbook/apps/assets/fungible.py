"""Fungible tokens: created by registered issuers, minted and burnt by them only, transferred
by their holders, frozen where the token was created freezable.

Rules kept:
- A token is created by a key of an institution that governance registers, active, in the
  role "issuer" (apps/institutions.py); the token belongs to that institution, not to the
  key: any of its current keys mints, burns, freezes and unfreezes, none once it is revoked
  (holders still transfer). Its id is its symbol: 2..12 characters of A-Z and 0-9, the first
  a letter (upper case only, so "CNYX" and "cnyx" cannot both exist), unique per chain, first
  come first served; RESERVED_SYMBOLS (the native coin's default symbol) are refused.
- decimals 0..18 and the hard cap (`supply_max`, 0: none) are fixed at creation, and so is
  `freezable`: only a token created freezable can have a frozen account, ever.
- The supply changes only by mint and burn: supply == minted - burned == the sum of its
  balances, and supply <= supply_max when capped, <= 2**64 - 1 always (asserted at every
  commit, process.assert_invariants). A mint past the cap is refused whole (no partial mint).
- The issuer mints to any account that is not frozen, and burns only from its own balance
  (holders redeem by transferring to the issuer, which burns).
- A transfer moves amount > 0 from the sender, who must hold it, to `to`. A frozen account
  neither sends nor receives the token; the issuing institution's own keys cannot be frozen.
  A transfer to oneself is checked like any other and changes nothing, as in the bank.
- An account that ever held a token stays listed among its holders (and the token among its
  holdings) at balance 0, as the bank keeps an account: listing is append-only, which keeps a
  credit O(1) and the lists provable.
- Every refusal raises before any write.
"""

from __future__ import annotations

import re

import msgspec

from chainbook import codec
from chainbook.apps.assets import limits
from chainbook.apps.assets.actions import Burn, CreateToken, Freeze, Mint, Transfer, Unfreeze
from chainbook.apps.assets.errors import (
    AccountFrozen,
    CapExceeded,
    InsufficientBalance,
    InvalidAmount,
    InvalidParty,
    InvalidSymbol,
    InvalidText,
    NotAnIssuer,
    NotFreezable,
    SymbolTaken,
    UnknownToken,
)
from chainbook.apps.assets.state import (
    MODULE_NAME,
    TOKENS_KEY,
    TokenRecord,
    balance_key,
    frozen_key,
    get_balance,
    get_token,
    get_uint,
    held_at_key,
    held_key,
    holder_at_key,
    is_frozen,
    token_at_key,
    token_key,
)
from chainbook.apps.base import KVReader, KVStore, TxContext, TxView, decode_int, encode_int
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.apps.tokens import NATIVE_TOKEN
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Amount

SYMBOL_PATTERN = re.compile(r"[A-Z][A-Z0-9]{1,11}")
RESERVED_SYMBOLS = frozenset({"CBK"})
"""The native coin's default symbol: no issued token may pass for the native coin (whose
token id is NATIVE_TOKEN, "")."""
ISSUER_ROLE = "issuer"


# --- pure helpers ---------------------------------------------------------------------------


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def describe_token(token: str, record: TokenRecord) -> str:
    when = "imported by the genesis file" if record.height == 0 else (
        f"created at height {record.height} in transaction {record.tx_hash.hex()}"
    )
    return f"token {token!r} of institution {record.institution!r}, {when}"


# --- checks ---------------------------------------------------------------------------------


def verify_symbol(token: str) -> None:
    if token == NATIVE_TOKEN:
        raise InvalidSymbol(
            'the token id "" is the native coin\'s: move it with the bank (bank.transfer)'
        )
    if not SYMBOL_PATTERN.fullmatch(token):
        raise InvalidSymbol(
            f"symbol {token!r} is not accepted: 2 to 12 characters of A-Z and 0-9, the first a "
            "letter (e.g. CNYX, HKD2, MILES)"
        )


def verify_amount(amount: Amount, what: str = "amount") -> None:
    if not 0 < amount <= limits.amount_max:
        raise InvalidAmount(f"{what} must be 1 to {limits.amount_max}, got {amount}")


def verify_memo(memo: str) -> None:
    size = compute_utf8_bytes(memo)
    if size > limits.memo_bytes_max:
        raise InvalidText(f"memo is {size} bytes of UTF-8, limit {limits.memo_bytes_max} bytes")


def verify_token(view: KVReader, token: str) -> TokenRecord:
    """The token's record; refuses an id nobody created (the native coin's included)."""
    record = get_token(view, token)
    if record is None:
        if token == NATIVE_TOKEN:
            raise UnknownToken(
                'the token id "" is the native coin\'s, which the bank keeps: use bank.transfer '
                "(a module: chainbook.apps.tokens.transfer)"
            )
        raise UnknownToken(f"no token {token!r} exists; an issuer creates it first "
                           "(assets.create_token)")
    return record


def verify_issuer(view: TxView, ctx: TxContext) -> InstitutionAnswer:
    """The sender is a key of an active institution in the role "issuer"."""
    request = InstitutionRequest(address=ctx.sender, role=ISSUER_ROLE)
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    if not answer.authorised or answer.institution is None:
        if answer.institution is None:
            why = "no registered institution has this key"
        elif answer.institution.status != "active":
            why = f"its institution {answer.institution.id!r} is {answer.institution.status}"
        else:
            roles = ", ".join(answer.institution.roles)
            why = f"its institution {answer.institution.id!r} holds roles {roles}, not issuer"
        raise NotAnIssuer(
            f"{ctx.sender.hex()} may not issue tokens: {why}; an institution is registered as "
            "an issuer by a governance proposal (register_institution, role issuer)"
        )
    return answer


def verify_token_issuer(
    view: TxView, ctx: TxContext, token: str, record: TokenRecord
) -> InstitutionAnswer:
    """The sender is a current key of the token's own issuing institution."""
    request = InstitutionRequest(address=ctx.sender, role=ISSUER_ROLE)
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    institution = answer.institution
    if not answer.authorised or institution is None or institution.id != record.institution:
        held_by = "no institution" if institution is None else f"institution {institution.id!r}"
        raise NotAnIssuer(
            f"only the issuer of token {token!r}, institution {record.institution!r} (an active "
            f"key of it), mints, burns and freezes; {ctx.sender.hex()} is a key of {held_by}"
            + ("" if answer.authorised or institution is None else f" ({institution.status})")
        )
    return answer


def verify_not_frozen(view: KVReader, token: str, record: TokenRecord, address: Address,
                      who: str) -> None:
    if record.freezable and is_frozen(view, token, address):
        raise AccountFrozen(
            f"{who} {address.hex()} is frozen in token {token!r}: it neither sends nor receives "
            f"it until institution {record.institution!r} unfreezes it"
        )


def verify_funds(view: KVReader, token: str, address: Address, needed: Amount) -> Amount:
    available = get_balance(view, token, address) or 0
    if available < needed:
        raise InsufficientBalance(
            f"{address.hex()} holds {available} of token {token!r}, needed {needed}"
        )
    return available


def verify_freezable(token: str, record: TokenRecord) -> None:
    if not record.freezable:
        raise NotFreezable(
            f"token {token!r} was created without freezable: no account of it can be frozen"
        )


# --- state changes --------------------------------------------------------------------------


def process_credit(
    view: KVStore, token: str, record: TokenRecord, address: Address, amount: Amount
) -> TokenRecord:
    """Add to a balance; the first credit lists the account among the token's holders and the
    token among the account's holdings. Returns the record with its new holder count (the
    caller writes it). The balance is read with `get`: whether it exists decides keys."""
    key = balance_key(token, address)
    raw = view.get(key)
    if raw is not None:
        view.set(key, encode_int(decode_int(raw) + amount))
        return record
    view.set(key, encode_int(amount))
    view.set(holder_at_key(token, record.holders), codec.encode(address))
    held = get_uint(view, held_key(address))
    view.set(held_at_key(address, held), codec.encode(token))
    view.set(held_key(address), encode_int(held + 1))
    return msgspec.structs.replace(record, holders=record.holders + 1)


def process_move(
    view: KVStore, token: str, record: TokenRecord, sender: Address, to: Address,
    amount: Amount,
) -> None:
    """The checks and writes of every transfer (the action and the export)."""
    verify_amount(amount)
    verify_not_frozen(view, token, record, sender, "sender")
    verify_not_frozen(view, token, record, to, "recipient")
    balance = verify_funds(view, token, sender, amount)
    view.set(balance_key(token, sender), encode_int(balance - amount))
    updated = process_credit(view, token, record, to, amount)
    if updated is not record:
        view.set(token_key(token), codec.encode(updated))


def process_create_token(view: TxView, ctx: TxContext, action: CreateToken) -> list[Event]:
    verify_symbol(action.token)
    if action.token in RESERVED_SYMBOLS:
        raise SymbolTaken(
            f"symbol {action.token!r} is reserved: it is the native coin's default symbol"
        )
    existing = get_token(view, action.token)
    if existing is not None:
        raise SymbolTaken(
            f"symbol {action.token!r} is taken: {describe_token(action.token, existing)}; "
            "symbols are unique per chain, first come first served"
        )
    size = compute_utf8_bytes(action.name)
    if not 1 <= size <= limits.token_name_bytes_max:
        raise InvalidText(
            f"name is {size} bytes of UTF-8; accepted 1 to {limits.token_name_bytes_max}"
        )
    if action.decimals > limits.decimals_max:
        raise InvalidAmount(f"decimals must be 0 to {limits.decimals_max}, got {action.decimals}")
    if action.supply_max > limits.amount_max:
        raise InvalidAmount(
            f"supply_max must be 0 (no cap) to {limits.amount_max}, got {action.supply_max}"
        )
    answer = verify_issuer(view, ctx)
    assert answer.institution is not None
    record = TokenRecord(
        name=action.name,
        decimals=action.decimals,
        supply_max=action.supply_max,
        freezable=action.freezable,
        institution=answer.institution.id,
        creator=ctx.sender,
        supply=0,
        minted=0,
        burned=0,
        holders=0,
        height=ctx.height,
        tx_hash=ctx.tx_hash,
    )
    process_add_token(view, action.token, record)
    attributes = [
        ("token", action.token),
        ("institution", answer.institution.id),
        ("issuer", ctx.sender.hex()),
    ]
    return [Event(MODULE_NAME, "token_created", attributes)]


def process_add_token(view: KVStore, token: str, record: TokenRecord) -> None:
    count = get_uint(view, TOKENS_KEY)
    view.set(token_at_key(count), codec.encode(token))
    view.set(TOKENS_KEY, encode_int(count + 1))
    view.set(token_key(token), codec.encode(record))


def process_mint(view: TxView, ctx: TxContext, action: Mint) -> list[Event]:
    verify_amount(action.amount)
    record = verify_token(view, action.token)
    verify_token_issuer(view, ctx, action.token, record)
    cap = record.supply_max or limits.amount_max
    if record.supply + action.amount > cap:
        raise CapExceeded(
            f"minting {action.amount} of token {action.token!r} would make its supply "
            f"{record.supply + action.amount}, over its cap {cap} (supply now {record.supply}; "
            f"at most {cap - record.supply} more)"
        )
    verify_not_frozen(view, action.token, record, action.to, "recipient")
    record = msgspec.structs.replace(
        record, supply=record.supply + action.amount, minted=record.minted + action.amount
    )
    record = process_credit(view, action.token, record, action.to, action.amount)
    view.set(token_key(action.token), codec.encode(record))
    attributes = [("token", action.token), ("to", action.to.hex()), ("amount", str(action.amount))]
    return [Event(MODULE_NAME, "mint", attributes)]


def process_burn(view: TxView, ctx: TxContext, action: Burn) -> list[Event]:
    verify_amount(action.amount)
    record = verify_token(view, action.token)
    verify_token_issuer(view, ctx, action.token, record)
    balance = verify_funds(view, action.token, ctx.sender, action.amount)
    view.set(balance_key(action.token, ctx.sender), encode_int(balance - action.amount))
    record = msgspec.structs.replace(
        record, supply=record.supply - action.amount, burned=record.burned + action.amount
    )
    view.set(token_key(action.token), codec.encode(record))
    attributes = [
        ("token", action.token),
        ("from", ctx.sender.hex()),
        ("amount", str(action.amount)),
    ]
    return [Event(MODULE_NAME, "burn", attributes)]


def process_transfer(view: TxView, ctx: TxContext, action: Transfer) -> list[Event]:
    verify_memo(action.memo)
    record = verify_token(view, action.token)
    process_move(view, action.token, record, ctx.sender, action.to, action.amount)
    attributes = [
        ("token", action.token),
        ("from", ctx.sender.hex()),
        ("to", action.to.hex()),
        ("amount", str(action.amount)),
    ]
    return [Event(MODULE_NAME, "transfer", attributes)]


def process_freeze(view: TxView, ctx: TxContext, action: Freeze | Unfreeze) -> list[Event]:
    """Freeze or unfreeze (the same checks; a no-op change is refused)."""
    freezing = isinstance(action, Freeze)
    record = verify_token(view, action.token)
    verify_freezable(action.token, record)
    answer = verify_token_issuer(view, ctx, action.token, record)
    assert answer.institution is not None
    if freezing and action.account in answer.institution.addresses:
        raise InvalidParty(
            f"{action.account.hex()} is a key of the issuer {record.institution!r} itself: it "
            "cannot be frozen"
        )
    frozen = is_frozen(view, action.token, action.account)
    if frozen == freezing:
        state = "frozen already" if frozen else "not frozen"
        raise InvalidParty(
            f"account {action.account.hex()} is {state} in token {action.token!r}"
        )
    key = frozen_key(action.token, action.account)
    if freezing:
        view.set(key, encode_int(ctx.height))
    else:
        view.delete(key)
    attributes = [("token", action.token), ("account", action.account.hex())]
    return [Event(MODULE_NAME, "freeze" if freezing else "unfreeze", attributes)]


__all__ = [
    "ISSUER_ROLE",
    "RESERVED_SYMBOLS",
    "SYMBOL_PATTERN",
    "describe_token",
    "process_add_token",
    "process_burn",
    "process_create_token",
    "process_credit",
    "process_freeze",
    "process_mint",
    "process_move",
    "process_transfer",
    "verify_amount",
    "verify_funds",
    "verify_not_frozen",
    "verify_symbol",
    "verify_token",
]
