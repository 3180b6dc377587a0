"""What the identity tests share: a governed chain with a civil registry and a university
registered at genesis, documents and their commitments."""

from __future__ import annotations

import hashlib

import msgspec

from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.apps.identity import Issue, compute_commitment
from chainbook.chain.tx import decode_tx
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from tests.apps.governance.chain import GovernedLedger
from tests.support import ALICE, run_refused

CIVIL = PrivateKey.from_label("civil-registry")
CIVIL_2 = PrivateKey.from_label("civil-registry-2")
"""A second key of the civil registry (registered with it)."""
UNIVERSITY = PrivateKey.from_label("university")
INSTITUTIONS = [
    GenesisInstitution(
        "civil-registry", "Civil Registry", ["civil_registry"],
        [CIVIL.public_key.hex(), CIVIL_2.public_key.hex()],
    ),
    GenesisInstitution("uni", "University", ["university"], [UNIVERSITY.public_key.hex()]),
]  # fmt: skip
DOCUMENT = b"Birth certificate: Alice Doe, born 1 May 1990, Lyon"
SALT = bytes(range(16))


def ledger(**app_state: object) -> GovernedLedger:
    return GovernedLedger(
        app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS), **app_state}
    )


def commitment_of(document: bytes = DOCUMENT, kind: str = "birth", subject: bytes = ALICE.address,
                  salt: bytes = SALT) -> bytes:  # fmt: skip
    return compute_commitment(kind, subject, hashlib.sha256(document).digest(), salt)


def birth(document: bytes = DOCUMENT, **fields: object) -> Issue:
    base: dict[str, object] = {
        "commitment": commitment_of(document),
        "kind": "birth",
        "subject": ALICE.address,
    }
    return Issue(**{**base, **fields})  # type: ignore[arg-type]


def ok(chain: GovernedLedger, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    receipt = chain.run(key, action)
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt


def refused(chain: GovernedLedger, key: PrivateKey, action: msgspec.Struct, code: str) -> str:
    """The refusal's message; asserts it changed nothing but the nonce."""
    return run_refused(chain.state, decode_tx(chain.tx(key, action)), code).error


__all__ = [
    "CIVIL",
    "CIVIL_2",
    "DOCUMENT",
    "INSTITUTIONS",
    "SALT",
    "UNIVERSITY",
    "birth",
    "commitment_of",
    "ledger",
    "ok",
    "refused",
]
