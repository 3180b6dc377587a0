"""The identity module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

from chainbook.apps.governance import GovernanceGenesis
from chainbook.apps.identity import Issue, Revoke
from tests.apps.identity.helpers import CIVIL, INSTITUTIONS, UNIVERSITY, commitment_of
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, make_state, signed


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    state = make_state(app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)})
    birth = Issue(commitment_of(), "birth", ALICE.address)
    return [
        make_vector(
            "issue_and_revoke",
            "The civil registry issues a birth record and revokes it; the university's birth"
            " record (identity.not_authorised), an unregistered account's degree"
            " (identity.not_authorised), a second issue of the same commitment"
            " (identity.already_issued) and a revocation by another institution"
            " (identity.not_issuer) are refused.",
            state,
            [
                signed(CIVIL, 0, birth),
                signed(UNIVERSITY, 0, Issue(commitment_of(b"x"), "birth", ALICE.address)),
                signed(BOB, 0, Issue(commitment_of(b"y"), "degree", BOB.address)),
                signed(CIVIL, 1, birth),
                signed(UNIVERSITY, 1, Revoke(commitment_of(), "not ours")),
                signed(CIVIL, 2, Revoke(commitment_of(), "issued in error")),
            ],
        ),
        make_vector(
            "limits",
            "Refusals at the limits: an unknown kind, a 19-byte subject, a validity at this"
            " height, an empty revocation reason.",
            state,
            [
                signed(CIVIL, 0, Issue(commitment_of(), "birthday", ALICE.address)),
                signed(CIVIL, 1, Issue(commitment_of(), "birth", b"\x01" * 19)),
                signed(CIVIL, 2, Issue(commitment_of(), "birth", ALICE.address, 1)),
                signed(CIVIL, 3, Revoke(commitment_of(), "")),
            ],
        ),
    ]
