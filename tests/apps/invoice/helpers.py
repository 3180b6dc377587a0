"""What the invoice tests share: a chain with two taxpayer shops, a tax authority, an employer
and a court (no taxpayer), a token; offers signed by a shop; a ledger wrapper that numbers each
key's transactions and runs co-signed ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from chainbook.apps.assets import AssetsGenesis, GenesisBalance, GenesisToken
from chainbook.apps.governance import (
    CastVote,
    GenesisInstitution,
    GovernanceGenesis,
    Propose,
    RevokeInstitution,
)
from chainbook.apps.invoice import Line, Offer, Pay, sign_offer
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    DAVE,
    VALIDATOR,
    ask,
    make_state,
    run_block,
    run_refused,
    tx,
)

SHOP = PrivateKey.from_label("invoice-shop")
SHOP2 = PrivateKey.from_label("invoice-shop-second-key")
OTHER_SHOP = PrivateKey.from_label("invoice-other-shop")
TAX = PrivateKey.from_label("invoice-tax-authority")
EMPLOYER = PrivateKey.from_label("invoice-employer")
COURT = PrivateKey.from_label("invoice-court")
TILL_KEY = PrivateKey.from_label("invoice-shop-till")
TILL = TILL_KEY.address
"""The shop's receiving account."""

INSTITUTIONS = [
    GenesisInstitution("sz-shop", "Shenzhen Shop", ["taxpayer"],
                       [SHOP.public_key.hex(), SHOP2.public_key.hex()]),
    GenesisInstitution("hk-shop", "Hong Kong Shop", ["taxpayer"], [OTHER_SHOP.public_key.hex()]),
    GenesisInstitution("sz-tax", "Shenzhen Tax Bureau", ["tax_authority"],
                       [TAX.public_key.hex()]),
    GenesisInstitution("acme", "ACME Ltd", ["taxpayer"], [EMPLOYER.public_key.hex()]),
    GenesisInstitution("court-1", "Court", ["court"], [COURT.public_key.hex()]),
]
TOKEN = "CNYX"
FUNDS = 10**9
BALANCES = {k.address: FUNDS for k in (ALICE, BOB, CAROL, EMPLOYER)}


def make_ledger(balances: dict[bytes, int] | None = None, **app_state: Any) -> LedgerState:
    """Alice, Bob, Carol and the employer hold FUNDS of the native coin (unless `balances`)
    and of CNYX."""
    token = GenesisToken(TOKEN, "CNY deposit token", 2, "bank-a", freezable=True,
                         balances=[GenesisBalance(a.hex(), FUNDS) for a in BALANCES])
    return make_state(
        BALANCES if balances is None else balances,
        app_state={
            "governance": GovernanceGenesis(institutions=INSTITUTIONS),
            "assets": AssetsGenesis(tokens=[token]),
            **app_state,
        },
    )


def lines(*items: tuple[int, int, int]) -> list[Line]:
    """Lines of (quantity, unit_price, tax_rate_bps)."""
    return [Line(f"item {i}", q, p, r) for i, (q, p, r) in enumerate(items)]


def offer(
    number: str = "2025-0001",
    buyer: PrivateKey | bytes | None = ALICE,
    *,
    items: Sequence[Line] | None = None,
    seller: str = "sz-shop",
    key: PrivateKey = SHOP,
    token: str = "",
    pay_to: bytes = TILL,
    valid_until_height: int = 1_000,
) -> Offer:
    """An offer of 2 x 100 at 13 % and 1 x 50 at 6 % (total 279) unless `items`."""
    to = buyer.address if isinstance(buyer, PrivateKey) else (buyer or b"")
    return Offer(
        seller, number, key.public_key, to, pay_to, token,
        list(items) if items is not None else lines((2, 100, 1300), (1, 50, 600)),
        valid_until_height,
    )


KNOWN_KEYS = {k.public_key: k for k in (SHOP, SHOP2, OTHER_SHOP, TAX, EMPLOYER, COURT, ALICE,
                                         BOB, CAROL, DAVE)}


def signed_pay(offer_: Offer, key: PrivateKey | None = None, chain_id: str = CHAIN_ID) -> Pay:
    """The offer with a signature by `key` (default: the offer's own seller key)."""
    signer = KNOWN_KEYS[offer_.seller_key] if key is None else key
    return Pay(offer_, sign_offer(signer, chain_id, offer_))


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def cosigned(state: LedgerState, keys: Sequence[PrivateKey], action: msgspec.Struct) -> Any:
    """A transaction of keys[0]'s account, co-signed by the others' accounts."""
    return tx(list(keys), nonce(state, keys[0]), action, accounts=[k.address for k in keys])


def run(state: LedgerState, keys: PrivateKey | Sequence[PrivateKey], action: msgspec.Struct
        ) -> Receipt:
    """One action as the next block (co-signed when several keys); asserts it succeeded."""
    keys = [keys] if isinstance(keys, PrivateKey) else list(keys)
    decoded = (tx(keys[0], nonce(state, keys[0]), action) if len(keys) == 1
               else cosigned(state, keys, action))
    (receipt,) = run_block(state, [decoded]).receipts
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt


def refused(state: LedgerState, keys: PrivateKey | Sequence[PrivateKey], action: msgspec.Struct,
            code: str) -> str:
    """One action as the next block, refused with `code`, changing nothing but the nonce."""
    keys = [keys] if isinstance(keys, PrivateKey) else list(keys)
    decoded = (tx(keys[0], nonce(state, keys[0]), action) if len(keys) == 1
               else cosigned(state, keys, action))
    return run_refused(state, decoded, code).error


def invoice(state: LedgerState, invoice_id: str) -> Any:
    return ask(state, "invoice", "invoice", id=invoice_id)


def coins(state: LedgerState, who: PrivateKey | bytes, token: str = "") -> int:
    address = who.address if isinstance(who, PrivateKey) else who
    if token:
        return int(ask(state, "assets", "balance", token=token, address=address).balance)
    return int(ask(state, "bank", "balance", address=address).balance)


def revoke(state: LedgerState, institution: str) -> None:
    """The validator (all the power) revokes an institution; blocks until it takes effect."""
    run(state, VALIDATOR, Propose(f"revoke {institution}", RevokeInstitution(institution, "x")))
    proposals = ask(state, "governance", "proposals").proposals
    run(state, VALIDATOR, CastVote(proposals[0].id, "yes"))
    for _ in range(10):
        if ask(state, "governance", "institution", id=institution).institution.status == "revoked":
            return
        run_block(state, [])
    raise AssertionError(f"{institution} was not revoked")


__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "COURT",
    "DAVE",
    "EMPLOYER",
    "FUNDS",
    "INSTITUTIONS",
    "OTHER_SHOP",
    "SHOP",
    "SHOP2",
    "TAX",
    "TILL",
    "TILL_KEY",
    "TOKEN",
    "coins",
    "cosigned",
    "invoice",
    "lines",
    "make_ledger",
    "nonce",
    "offer",
    "refused",
    "revoke",
    "run",
    "signed_pay",
]
