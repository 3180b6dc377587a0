"""identity's genesis section (imported credentials, checked) and its commit invariants (they
bite: a broken write is an assertion, not a state)."""

from __future__ import annotations

import msgspec
import pytest

from chainbook import codec
from chainbook.apps.identity import GenesisCredential, IdentityGenesis
from chainbook.apps.identity.process import assert_invariants
from chainbook.apps.identity.state import CredentialRecord, credential_key
from chainbook.errors import ConfigError
from tests.apps.identity.helpers import ledger
from tests.support import ALICE, ask, make_genesis

IMPORTED = GenesisCredential("cd" * 32, "marriage", ALICE.address.hex(), "civil-registry",
                             1_600_000_000_000)  # fmt: skip


def test_imported_credentials_are_valid_from_height_zero() -> None:
    chain = ledger(identity=IdentityGenesis(credentials=[IMPORTED]))
    chain.block()
    answer = ask(chain.state, "identity", "credential", commitment=bytes.fromhex("cd" * 32))
    assert (answer.status, answer.issued_height, answer.issuer_status) == ("valid", 0, "active")
    assert answer.issued_time_ms == 1_600_000_000_000


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"commitment": "zz"}, "commitment"),
        ({"kind": "baptism"}, "kind: 'baptism'"),
        ({"subject": "ab" * 19}, "subject"),
        ({"issuer": "Civil Registry"}, "issuer"),
        ({"issued_time_ms": -1}, "issued_time_ms"),
        ({"valid_until_height": 10**9}, "valid_until_height"),
    ],
)
def test_a_bad_genesis_section_is_refused_naming_the_field(change: dict, words: str) -> None:
    bad = msgspec.structs.replace(IMPORTED, **change)
    with pytest.raises(ConfigError, match=words):
        make_genesis(app_state={"identity": IdentityGenesis(credentials=[bad])})
    with pytest.raises(ConfigError, match="appears twice"):
        make_genesis(app_state={"identity": IdentityGenesis(credentials=[IMPORTED, IMPORTED])})


RECORD = CredentialRecord("birth", ALICE.address, "civil-registry", ALICE.address, 3, 9, b"", 0)
KEY = credential_key(b"\x01" * 32)


def views(before: CredentialRecord | None, after: CredentialRecord | None) -> tuple:
    return (
        {KEY: codec.encode(before)} if before else {},
        {KEY: codec.encode(after)} if after else {},
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (RECORD, None),  # deleted
        (RECORD, msgspec.structs.replace(RECORD, subject=b"\x02" * 20)),  # rewritten
        (
            msgspec.structs.replace(RECORD, revoked_height=5, revoke_reason="r"),
            msgspec.structs.replace(RECORD, revoked_height=6, revoke_reason="r"),
        ),  # revoked twice
        (None, msgspec.structs.replace(RECORD, revoked_height=2, revoke_reason="r")),
        (RECORD, msgspec.structs.replace(RECORD, revoked_height=5, issuer="other",
                                         revoke_reason="r")),  # fmt: skip
    ],
    ids=["deleted", "rewritten", "revoked twice", "revoked before issued", "revocation+change"],
)
def test_the_invariants_bite(
    before: CredentialRecord | None, after: CredentialRecord | None
) -> None:
    old, new = views(before, after)
    with pytest.raises(AssertionError):
        assert_invariants(old, new, [KEY])  # type: ignore[arg-type]


def test_the_invariants_hold_for_an_issue_and_a_revocation() -> None:
    revoked = msgspec.structs.replace(RECORD, revoked_height=5, revoke_reason="r", revoked_by=b"x")
    assert_invariants(*views(None, RECORD), [KEY])  # type: ignore[misc]
    assert_invariants(*views(RECORD, revoked), [KEY])  # type: ignore[misc]
