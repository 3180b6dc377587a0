"""The vote module: ballots with eligible voters (or balance weights fixed at creation), open
and close heights, one counted vote per voter, results at close, optional secret ballots."""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.vote import process as _process
from chainbook.apps.vote.actions import ACTIONS, AddVoters, Cast, Commit, Create, Reveal
from chainbook.apps.vote.closing import assert_invariants as _assert_invariants
from chainbook.apps.vote.closing import process_closings as _process_closings
from chainbook.apps.vote.commitment import COMMITMENT_TAG, compute_commitment
from chainbook.apps.vote.errors import ERRORS
from chainbook.apps.vote.genesis import VoteGenesis, verify_vote_genesis
from chainbook.apps.vote.limits import LIMITS
from chainbook.apps.vote.queries import (
    QUERIES,
    BallotInfo,
    BallotRequest,
    OptionTally,
    TallyInfo,
    VoterInfo,
    VoterRequest,
)
from chainbook.apps.vote.workload import VoteWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="Ballots: eligible voters or balance weights fixed at creation, one counted vote "
    "per voter, results at close, optional commit-then-reveal secrecy.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(VoteGenesis, _process.process_genesis, verify_vote_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=VoteWorkload,
    begin_block=_process_closings,
    assert_invariants=_assert_invariants,
)

__all__ = [
    "COMMITMENT_TAG",
    "MODULE",
    "AddVoters",
    "BallotInfo",
    "BallotRequest",
    "Cast",
    "Commit",
    "Create",
    "OptionTally",
    "Reveal",
    "TallyInfo",
    "VoteGenesis",
    "VoterInfo",
    "VoterRequest",
    "compute_commitment",
]
