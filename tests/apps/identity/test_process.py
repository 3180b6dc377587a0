"""identity rules: who issues which kind, once; who revokes, once; statuses at heights; the
standing of a revoked authority's earlier credentials; every limit at its edge."""

from __future__ import annotations

import pytest

from chainbook.apps.governance import RevokeInstitution
from chainbook.apps.identity import CREDENTIAL_TYPES, Issue, Revoke, compute_commitment, limits
from chainbook.apps.institutions import ROLES
from tests.apps.governance.test_registry_and_params import settle
from tests.apps.identity.helpers import (
    CIVIL,
    CIVIL_2,
    UNIVERSITY,
    birth,
    commitment_of,
    ledger,
    ok,
    refused,
)
from tests.support import ALICE, BOB, ask


def status(chain: object, commitment: bytes, height: int = 0) -> object:
    return ask(chain.state, "identity", "credential", commitment=commitment, height=height)  # type: ignore[attr-defined]


def test_every_kind_names_a_known_role() -> None:
    assert set(CREDENTIAL_TYPES.values()) <= set(ROLES)


def test_a_civil_registry_issues_a_birth_record_that_reads_valid() -> None:
    chain = ledger()
    receipt = ok(chain, CIVIL, birth())
    (event,) = receipt.events
    assert (event.module, event.kind) == ("identity", "issued")
    assert dict(event.attributes) == {
        "commitment": commitment_of().hex(),
        "kind": "birth",
        "subject": ALICE.address.hex(),
        "issuer": "civil-registry",
    }
    info = status(chain, commitment_of())
    assert (info.status, info.found, info.issuer, info.issuer_status) == (  # type: ignore[attr-defined]
        "valid", True, "civil-registry", "active"
    )
    assert info.issued_height == receipt.height and info.signer == CIVIL.address  # type: ignore[attr-defined]
    assert info.issuer_name == "Civil Registry"  # type: ignore[attr-defined]


def test_unknown_commitments_are_unknown() -> None:
    info = status(ledger(), b"\x07" * 32)
    assert (info.status, info.found) == ("unknown", False)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("key", "kind", "words"),
    [
        (ALICE, "birth", "is not a key of any registered institution"),
        (UNIVERSITY, "birth", "holds roles university, not civil_registry"),
        (CIVIL, "degree", "holds roles civil_registry, not university"),
    ],
)
def test_only_an_institution_in_the_kinds_role_issues(key: object, kind: str, words: str) -> None:
    chain = ledger()
    message = refused(chain, key, birth(kind=kind), "identity.not_authorised")  # type: ignore[arg-type]
    assert words in message


def test_a_university_issues_degrees() -> None:
    chain = ledger()
    ok(chain, UNIVERSITY, birth(kind="degree", commitment=commitment_of(kind="degree")))


def test_a_commitment_is_issued_once() -> None:
    chain = ledger()
    first = ok(chain, CIVIL, birth())
    message = refused(chain, CIVIL_2, birth(), "identity.already_issued")
    assert f"issued by 'civil-registry' at height {first.height}" in message


def test_unknown_kinds_and_bad_subjects_are_refused_naming_what_is_accepted() -> None:
    chain = ledger()
    message = refused(chain, CIVIL, birth(kind="birthday"), "identity.invalid_type")
    assert "'birthday'" in message and "birth (civil_registry)" in message
    for size in (0, 19, 21, 31, 33):
        message = refused(chain, CIVIL, birth(subject=b"\x01" * size), "identity.invalid_subject")
        assert f"{size} bytes" in message
    for size in limits.subject_bytes:
        ok(chain, CIVIL, birth(subject=b"\x01" * size, commitment=bytes([size]) * 32))


def test_validity_at_its_edges() -> None:
    chain = ledger()
    next_height = chain.height + 1
    refused(chain, CIVIL, birth(valid_until_height=next_height), "identity.invalid_validity")
    next_height = chain.height + 1
    ok(chain, CIVIL, birth(valid_until_height=next_height + 1))
    next_height = chain.height + 1
    too_far = next_height + limits.validity_blocks_max + 1
    message = refused(
        chain, CIVIL, birth(valid_until_height=too_far, commitment=b"\x02" * 32),
        "identity.invalid_validity",
    )  # fmt: skip
    assert str(limits.validity_blocks_max) in message
    next_height = chain.height + 1
    edge = next_height + limits.validity_blocks_max
    ok(chain, CIVIL, birth(valid_until_height=edge, commitment=b"\x02" * 32))


def test_a_licence_expires_at_its_height() -> None:
    chain = ledger()
    issued = ok(chain, CIVIL, birth(valid_until_height=chain.height + 4)).height
    end = issued + 3
    assert status(chain, commitment_of(), issued).status == "valid"  # type: ignore[attr-defined]
    chain.blocks_until(end)
    assert status(chain, commitment_of(), end - 1).status == "valid"  # type: ignore[attr-defined]
    assert status(chain, commitment_of()).status == "expired"  # type: ignore[attr-defined]


def test_the_issuer_revokes_once_with_a_reason_and_the_status_follows_the_heights() -> None:
    chain = ledger()
    chain.block()
    issued = ok(chain, CIVIL, birth()).height
    refused(chain, UNIVERSITY, Revoke(commitment_of(), "not mine"), "identity.not_issuer")
    message = refused(chain, BOB, Revoke(commitment_of(), "x"), "identity.not_issuer")
    assert "is a key of no institution" in message
    # Another key of the same institution may revoke (a rotated key, a second office).
    revoked = ok(chain, CIVIL_2, Revoke(commitment_of(), "issued in error"))
    (event,) = revoked.events
    assert dict(event.attributes) == {
        "commitment": commitment_of().hex(), "issuer": "civil-registry",
        "reason": "issued in error",
    }  # fmt: skip
    message = refused(chain, CIVIL, Revoke(commitment_of(), "again"), "identity.already_revoked")
    assert f"revoked at height {revoked.height}" in message
    now = status(chain, commitment_of())
    assert (now.status, now.revoked_height, now.revoke_reason) == (  # type: ignore[attr-defined]
        "revoked", revoked.height, "issued in error"
    )
    assert status(chain, commitment_of(), issued - 1).status == "unknown"  # type: ignore[attr-defined]
    before = status(chain, commitment_of(), revoked.height - 1)
    assert (before.status, before.revoked_height, before.revoke_reason) == ("valid", 0, "")  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="after the state's height"):
        status(chain, commitment_of(), chain.height + 1)


def test_unknown_credentials_and_reasons_at_their_limits() -> None:
    chain = ledger()
    refused(chain, CIVIL, Revoke(b"\x09" * 32, "why"), "identity.unknown_credential")
    ok(chain, CIVIL, birth())
    refused(chain, CIVIL, Revoke(commitment_of(), ""), "identity.invalid_reason")
    too_long = "é" * (limits.reason_bytes_max // 2) + "x"
    message = refused(chain, CIVIL, Revoke(commitment_of(), too_long), "identity.invalid_reason")
    assert f"{limits.reason_bytes_max + 1} bytes" in message
    ok(chain, CIVIL, Revoke(commitment_of(), "r" * limits.reason_bytes_max))


def test_a_revoked_authority_issues_and_revokes_nothing_but_its_credentials_stand() -> None:
    chain = ledger()
    ok(chain, CIVIL, birth())
    settle(chain, RevokeInstitution("civil-registry", "merged into the national registry"))
    revoked_at = ask(chain.state, "governance", "institution", id="civil-registry")
    revoked_height = revoked_at.institution.revoked_height
    assert revoked_height
    message = refused(chain, CIVIL, birth(b"another"), "identity.not_authorised")
    assert f"revoked at height {revoked_height}" in message
    message = refused(chain, CIVIL, Revoke(commitment_of(), "late"), "identity.not_authorised")
    assert "a revoked authority revokes nothing" in message
    info = status(chain, commitment_of())
    assert (info.status, info.issuer_status, info.issuer_revoked_height) == (  # type: ignore[attr-defined]
        "valid", "revoked", revoked_height
    )
    earlier = status(chain, commitment_of(), revoked_height - 1)
    assert (earlier.status, earlier.issuer_status) == ("valid", "active")  # type: ignore[attr-defined]


def test_the_commitment_binds_document_kind_subject_and_salt() -> None:
    digest = bytes(32)
    base = compute_commitment("birth", ALICE.address, digest, bytes(16))
    assert base != compute_commitment("death", ALICE.address, digest, bytes(16))
    assert base != compute_commitment("birth", BOB.address, digest, bytes(16))
    assert base != compute_commitment("birth", ALICE.address, b"\x01" * 32, bytes(16))
    assert base != compute_commitment("birth", ALICE.address, digest, bytes(17))
    for salt in (bytes(limits.salt_bytes_min), bytes(limits.salt_bytes_max)):
        compute_commitment("birth", ALICE.address, digest, salt)
    for salt in (bytes(limits.salt_bytes_min - 1), bytes(limits.salt_bytes_max + 1)):
        with pytest.raises(ValueError, match="salt of"):
            compute_commitment("birth", ALICE.address, digest, salt)


def test_issue_decoding_refuses_a_short_commitment() -> None:
    import msgspec

    from chainbook.apps.registry import REGISTRY

    bad = msgspec.msgpack.encode(["identity.issue", b"\x01" * 31, "birth", ALICE.address, 0])
    with pytest.raises(Exception, match="identity.issue"):
        REGISTRY.decode_action(bad)
    assert isinstance(REGISTRY.decode_action(msgspec.msgpack.encode(
        ["identity.issue", b"\x01" * 32, "birth", ALICE.address, 0])), Issue)  # fmt: skip
