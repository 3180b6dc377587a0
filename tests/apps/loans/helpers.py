"""What the loans tests share: a chain where Alice lends, Bob borrows (he owns a registered
title and holds CNYX, a token), Carol pays for friends and Dave is an outsider; one action per
block, signed by one party or by both."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.assets import AssetsGenesis, GenesisAsset, GenesisBalance, GenesisToken
from chainbook.apps.loans import Create, Instalment
from chainbook.apps.loans.agreement import ESCROW
from chainbook.chain.tx import DecodedTx
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, BOB, CAROL, DAVE, ask, balance_of, make_state, run_block
from tests.support import run_refused as run_refused_tx
from tests.support import tx as make_tx

LENDER, BORROWER, FRIEND, OUTSIDER = ALICE, BOB, CAROL, DAVE
TITLE = "title-bob-1"
"""A registered asset Bob owns (his house's title)."""
TOKEN = "CNYX"
BALANCES = {ALICE.address: 1_000_000, BOB.address: 10_000, CAROL.address: 10_000}
TOKEN_BALANCES = {ALICE.address: 500_000, BOB.address: 50_000}


def make_ledger(**app_state: Any) -> LedgerState:
    tokens = GenesisToken(
        TOKEN, "CNY token", 2, "bank-a",
        balances=[GenesisBalance(a.hex(), n) for a, n in TOKEN_BALANCES.items()],
    )  # fmt: skip
    title = GenesisAsset(TITLE, "ab" * 32, BOB.address.hex(), 0)
    assets = AssetsGenesis(tokens=[tokens], assets=[title])
    return make_state(dict(BALANCES), app_state={"assets": assets, **app_state})


def agreement(
    loan_id: str = "L-1",
    principal: int = 100_000,
    *,
    token: str = "",
    rate_bps: int = 100,
    period_blocks: int = 10,
    due_blocks: int = 20,
    instalments: list[Instalment] | None = None,
    grace_blocks: int = 5,
    collateral: Any = None,
    lender: PrivateKey = LENDER,
    borrower: PrivateKey = BORROWER,
    memo: str = "",
) -> Create:
    """Alice lends Bob `principal` at 1 % per 10 blocks, due 20 blocks after, 5 of grace."""
    return Create(
        loan_id, lender.address, borrower.address, token, principal, rate_bps, period_blocks,
        instalments or [Instalment(due_blocks, principal)], grace_blocks, collateral, None, memo,
    )  # fmt: skip


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def signed_by(state: LedgerState, keys: list[PrivateKey], action: msgspec.Struct) -> DecodedTx:
    """A transaction of keys[0]'s account, co-signed by the others' accounts."""
    if len(keys) == 1:
        return make_tx(keys[0], nonce(state, keys[0]), action)
    accounts = [k.address for k in keys]
    return make_tx(keys, nonce(state, keys[0]), action, accounts=accounts)


def run(state: LedgerState, keys: PrivateKey | list[PrivateKey], action: msgspec.Struct) -> Receipt:
    """One action as the next block; asserts it succeeded."""
    keys = keys if isinstance(keys, list) else [keys]
    (receipt,) = run_block(state, [signed_by(state, keys, action)]).receipts
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt


def refused(
    state: LedgerState, keys: PrivateKey | list[PrivateKey], action: msgspec.Struct, code: str
) -> str:
    """One action as the next block, refused with `code`, changing nothing but the nonce."""
    keys = keys if isinstance(keys, list) else [keys]
    return run_refused_tx(state, signed_by(state, keys, action), code).error


def advance(state: LedgerState, blocks: int) -> None:
    for _ in range(blocks):
        run_block(state, [])


def advance_to(state: LedgerState, height: int) -> None:
    """Commit empty blocks until the next block is `height`."""
    advance(state, height - 1 - state.height)


def loan(state: LedgerState, loan_id: str = "L-1") -> Any:
    return ask(state, "loans", "loan", loan_id=loan_id)


def token_balance(state: LedgerState, who: PrivateKey | bytes, token: str = TOKEN) -> int:
    address = who if isinstance(who, bytes) else who.address
    if token == "":
        return balance_of(state, address)
    return int(ask(state, "assets", "balance", token=token, address=address).balance)


def asset_owner(state: LedgerState, asset_id: str = TITLE) -> bytes:
    owner: bytes = ask(state, "assets", "asset", asset_id=asset_id).owner
    return owner


def events(receipt: Receipt) -> list[tuple[str, dict[str, str]]]:
    return [(e.kind, dict(e.attributes)) for e in receipt.events]


__all__ = [
    "BORROWER",
    "ESCROW",
    "FRIEND",
    "LENDER",
    "OUTSIDER",
    "TITLE",
    "TOKEN",
    "advance",
    "advance_to",
    "agreement",
    "asset_owner",
    "events",
    "loan",
    "make_ledger",
    "nonce",
    "refused",
    "run",
    "signed_by",
    "token_balance",
]
