"""What the assets tests share: a chain with two issuing banks and an airline, and a ledger
wrapper that numbers each key's transactions."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, BOB, CAROL, DAVE, ask, make_state, run_block, run_refused, tx

BANK_A = PrivateKey.from_label("assets-bank-a")
BANK_A2 = PrivateKey.from_label("assets-bank-a-second-key")
BANK_B = PrivateKey.from_label("assets-bank-b")
AIRLINE = PrivateKey.from_label("assets-airline")
COURT = PrivateKey.from_label("assets-court")
"""An institution without the issuer role."""

INSTITUTIONS = [
    GenesisInstitution("bank-a", "Bank A", ["issuer"],
                       [BANK_A.public_key.hex(), BANK_A2.public_key.hex()]),
    GenesisInstitution("bank-b", "Bank B", ["issuer"], [BANK_B.public_key.hex()]),
    GenesisInstitution("airline", "Airline", ["issuer"], [AIRLINE.public_key.hex()]),
    GenesisInstitution("court-1", "Court", ["court"], [COURT.public_key.hex()]),
]
KEYS = [ALICE, BOB, CAROL, DAVE]


def make_ledger(**app_state: Any) -> LedgerState:
    return make_state(
        app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS), **app_state}
    )


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def run(state: LedgerState, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    """One action as the next block; asserts it succeeded."""
    (receipt,) = run_block(state, [tx(key, nonce(state, key), action)]).receipts
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt


def refused(state: LedgerState, key: PrivateKey, action: msgspec.Struct, code: str) -> str:
    """One action as the next block, refused with `code` and changing nothing but the nonce."""
    return run_refused(state, tx(key, nonce(state, key), action), code).error


def balance(state: LedgerState, token: str, key: PrivateKey | bytes) -> int:
    address = key if isinstance(key, bytes) else key.address
    return int(ask(state, "assets", "balance", token=token, address=address).balance)


__all__ = [
    "AIRLINE",
    "BANK_A",
    "BANK_A2",
    "BANK_B",
    "COURT",
    "INSTITUTIONS",
    "KEYS",
    "balance",
    "make_ledger",
    "nonce",
    "refused",
    "run",
]
