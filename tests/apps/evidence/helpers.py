"""What the evidence tests share: a chain whose registry holds a court, a notary office, a
forensic centre, a CA, a customs office (no endorsing role) and one with two keys; a case
builder; send / ok / refused on that chain."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from chainbook.apps.evidence import Document, Endorse, Submit
from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis, RevokeInstitution
from chainbook.chain.tx import decode_tx
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Event, Receipt
from tests.apps.governance.chain import GovernedLedger
from tests.support import ALICE, ask, run_refused

COURT = PrivateKey.from_label("evidence-court")
NOTARY = PrivateKey.from_label("evidence-notary")
NOTARY_2 = PrivateKey.from_label("evidence-notary-second-key")
OTHER_NOTARY = PrivateKey.from_label("evidence-other-notary")
FORENSIC = PrivateKey.from_label("evidence-forensic")
CA = PrivateKey.from_label("evidence-ca")
CUSTOMS = PrivateKey.from_label("evidence-customs")
OUTSIDER = PrivateKey.from_label("evidence-outsider")

INSTITUTIONS = [
    GenesisInstitution("hz-court", "Hangzhou Internet Court", ["court"], [COURT.public_key.hex()]),
    GenesisInstitution(
        "hz-notary",
        "Hangzhou Notary Office",
        ["notary_office"],
        [NOTARY.public_key.hex(), NOTARY_2.public_key.hex()],
    ),
    GenesisInstitution(
        "xh-notary", "Xihu Notary Office", ["notary_office"], [OTHER_NOTARY.public_key.hex()]
    ),
    GenesisInstitution(
        "zj-forensic",
        "Zhejiang Forensic Centre",
        ["forensic_centre", "notary_office"],
        [FORENSIC.public_key.hex()],
    ),
    GenesisInstitution("cfca", "China Financial CA", ["certificate_authority"],
                       [CA.public_key.hex()]),
    GenesisInstitution("hz-customs", "Hangzhou Customs", ["customs"], [CUSTOMS.public_key.hex()]),
]

CONTRACT = hashlib.sha256(b"the loan contract of 1 March").digest()
CHAT = hashlib.sha256(b"the chat log of 2 March").digest()


def make_ledger() -> GovernedLedger:
    return GovernedLedger(app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)})


def case(name: str = "c1", **fields: Any) -> Submit:
    """A case of two records; policy "2 of [notary_office, forensic_centre]" unless changed."""
    base: dict[str, Any] = {
        "case": name,
        "title": "Loan dispute, Zhang v. Li",
        "documents": [Document("contract.pdf", CONTRACT), Document("chat.txt", CHAT)],
        "required": 2,
        "roles": ["notary_office", "forensic_centre"],
        "institutions": [],
    }
    return Submit(**{**base, **fields})


def send(ledger: GovernedLedger, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    return ledger.run(key, action)


def ok(ledger: GovernedLedger, key: PrivateKey, action: msgspec.Struct) -> list[Event]:
    receipt = send(ledger, key, action)
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt.events


def refused(ledger: GovernedLedger, key: PrivateKey, action: msgspec.Struct, code: str) -> str:
    """Refused with `code`, changing nothing but the nonce (tests/support run_refused)."""
    return run_refused(ledger.state, decode_tx(ledger.tx(key, action)), code).error


def digest_of(ledger: GovernedLedger, name: str = "c1") -> bytes:
    digest: bytes = ask(ledger.state, "evidence", "case", case=name).digest
    return digest


def endorse(ledger: GovernedLedger, key: PrivateKey, name: str = "c1", statement: str = "")\
        -> list[Event]:
    return ok(ledger, key, Endorse(name, digest_of(ledger, name), statement))


def revoke(ledger: GovernedLedger, institution: str) -> None:
    """Revoke through governance (the validators pass it) and wait for it to take effect."""
    ledger.pass_proposal(RevokeInstitution(institution, "licence withdrawn"))
    ledger.block()
    ledger.block()


SUBMITTER = ALICE

__all__ = [
    "INSTITUTIONS",
    "CA",
    "CHAT",
    "CONTRACT",
    "COURT",
    "CUSTOMS",
    "FORENSIC",
    "NOTARY",
    "NOTARY_2",
    "OTHER_NOTARY",
    "OUTSIDER",
    "SUBMITTER",
    "case",
    "digest_of",
    "endorse",
    "make_ledger",
    "ok",
    "refused",
    "revoke",
    "send",
]
