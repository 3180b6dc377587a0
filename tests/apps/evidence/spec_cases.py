"""The evidence module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

from chainbook.apps.evidence import Endorse, compute_case_digest
from chainbook.apps.governance import GovernanceGenesis
from chainbook.ledger.state import LedgerState
from tests.apps.evidence.helpers import FORENSIC, INSTITUTIONS, NOTARY, NOTARY_2, OUTSIDER, case
from tests.apps.spec import MakeVector
from tests.support import ALICE, make_state, signed


def registry_state() -> LedgerState:
    return make_state(app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)})


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    digest = compute_case_digest(case(), ALICE.address)
    return [
        make_vector(
            "endorse_until_met",
            "Alice submits a case (2 of [notary_office, forensic_centre]); the notary office and"
            " the forensic centre endorse it (the second meets the policy: evidence.policy_met);"
            " the notary office's second key is refused (evidence.already_endorsed), as is an"
            " account of no institution (evidence.not_an_institution).",
            registry_state(),
            [
                signed(ALICE, 0, case()),
                signed(NOTARY, 0, Endorse("c1", digest, "copies match the originals")),
                signed(FORENSIC, 0, Endorse("c1", digest)),
                signed(NOTARY_2, 0, Endorse("c1", digest)),
                signed(OUTSIDER, 0, Endorse("c1", digest)),
            ],
        ),
        make_vector(
            "policy_never_met",
            "Refused policies: 3 of 2 entries, a role that cannot endorse, an institution not"
            " registered; nothing is written but the nonces.",
            registry_state(),
            [
                signed(ALICE, 0, case(required=3)),
                signed(ALICE, 1, case(roles=["customs"], required=1)),
                signed(ALICE, 2, case(roles=[], institutions=["nobody"], required=1)),
            ],
        ),
    ]
