"""Governance's spec vectors (tests/apps/spec.py gives the format).

The chain of these vectors has one validator (tests.support VALIDATOR, power 1), so one "yes"
passes a proposal in the block that carries it; the change is then scheduled two heights on.
"""

from __future__ import annotations

from typing import Any

from chainbook.apps.governance import (
    AddValidator,
    CastVote,
    GenesisInstitution,
    GovernanceGenesis,
    Propose,
    RegisterInstitution,
    RemoveValidator,
    SetParameter,
    Withdraw,
)
from chainbook.crypto import PrivateKey
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, VALIDATOR, make_state, signed

NEWCOMER = PrivateKey.from_label("newcomer")


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "propose_vote_pass",
            "The validator proposes a new validator and votes yes: it passes in this block and"
            " is scheduled two heights later.",
            make_state(),
            [
                signed(
                    VALIDATOR,
                    0,
                    Propose("admit e", AddValidator(NEWCOMER.public_key, 1, "e")),
                ),
                signed(VALIDATOR, 1, CastVote(1, "yes")),
            ],
        ),
        make_vector(
            "refusals",
            "A non-validator proposes and votes; a parameter out of range; removing the only"
            " validator; a vote on an unknown proposal; a withdrawal by someone else.",
            make_state(app_state={"governance": GovernanceGenesis(proposers=[BOB.address.hex()])}),
            [
                signed(ALICE, 0, Propose("alice", SetParameter("consensus.block_txs_max", 10))),
                signed(VALIDATOR, 0, Propose("big", SetParameter("consensus.block_txs_max", 0))),
                signed(VALIDATOR, 1, Propose("none left", RemoveValidator(VALIDATOR.address))),
                signed(VALIDATOR, 2, CastVote(9, "yes")),
                signed(BOB, 0, Propose("bob", SetParameter("consensus.block_txs_max", 10))),
                signed(ALICE, 1, CastVote(1, "yes")),
                signed(VALIDATOR, 3, Withdraw(1)),
            ],
        ),
        make_vector(
            "register_institution",
            "A court is registered by proposal and vote; a second registration of the same"
            " key by another id is refused at once.",
            make_state(
                app_state={
                    "governance": GovernanceGenesis(
                        institutions=[
                            GenesisInstitution(
                                "court-1", "Court", ["court"], [CAROL.public_key.hex()]
                            )
                        ]
                    )
                }
            ),
            [
                signed(
                    VALIDATOR,
                    0,
                    Propose(
                        "notary",
                        RegisterInstitution(
                            "notary-1", "Notary", ["notary_office"], [BOB.public_key]
                        ),
                    ),
                ),
                signed(VALIDATOR, 1, CastVote(1, "yes")),
                signed(
                    VALIDATOR,
                    2,
                    Propose(
                        "again",
                        RegisterInstitution("court-2", "Court 2", ["court"], [CAROL.public_key]),
                    ),
                ),
            ],
        ),
    ]
