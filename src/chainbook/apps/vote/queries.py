"""vote queries: read-only, over the committed state (QueryContext.view is the module's keys).

    ballot(ballot)           the ballot as created: options, rules, heights, voters
    tally(ballot)            the counts per option, the leading options, the unrevealed votes
                             of a secret ballot, and the phase
    voter(ballot, address)   one voter's eligibility, weight and vote (a secret vote shows no
                             option until revealed)

Each reads at most three state keys, so every answer is provable (?prove=true) whatever the
ballot's size.

The phase is that of the next block: "pending" (it does not count votes yet), "voting",
"revealing" (a secret ballot past close), "final" (the result event was emitted). Between
the last voting height and the close block's hook the phase still reads "voting"; the next
block refuses votes all the same (the heights decide).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.vote.actions import AddressBytes
from chainbook.apps.vote.state import (
    NO_CHOICE,
    Phase,
    compute_leading,
    get_ballot,
    get_tally,
    get_voter,
)
from chainbook.types import Address, Height


class BallotRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    ballot: str


class BallotInfo(msgspec.Struct, frozen=True):
    ballot: str
    found: bool
    creator: Address = b""
    title: str = ""
    options: list[str] = []
    weighting: str = ""
    open_height: Height = 0
    close_height: Height = 0
    """Votes count at heights [open_height, close_height)."""
    revote: bool = False
    secret: bool = False
    reveal_blocks: int = 0
    """Reveals count at heights [close_height, close_height + reveal_blocks)."""
    created_height: Height = 0
    voters: int = 0
    voters_weight: int = 0


class OptionTally(msgspec.Struct, frozen=True):
    option: int
    text: str
    votes: int
    weight: int


class TallyInfo(msgspec.Struct, frozen=True):
    ballot: str
    found: bool
    phase: str = ""
    options: list[OptionTally] = []
    leading: list[int] = []
    """The options with the most weight; several on a tie, none while nothing is counted."""
    counted_voters: int = 0
    counted_weight: int = 0
    eligible_voters: int = 0
    eligible_weight: int = 0
    unrevealed_voters: int = 0
    """A secret ballot's voters who committed and have not revealed (never, once final)."""
    unrevealed_weight: int = 0
    final: bool = False


class VoterRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    ballot: str
    address: AddressBytes


class VoterInfo(msgspec.Struct, frozen=True):
    ballot: str
    address: Address
    eligible: bool
    weight: int = 0
    voted: bool = False
    """A vote is counted (public), or a commitment is held (secret)."""
    option: int | None = None
    """The option counted; None before a vote or, on a secret ballot, before the reveal."""
    committed: bool = False
    revealed: bool = False
    height: Height = 0
    """Of the voter's last vote, commitment or reveal."""


def query_ballot(ctx: QueryContext, request: BallotRequest) -> BallotInfo:
    """A ballot: its options, voters, heights and rules."""
    record = get_ballot(ctx.view, request.ballot)
    if record is None:
        return BallotInfo(ballot=request.ballot, found=False)
    return BallotInfo(
        ballot=request.ballot,
        found=True,
        creator=record.creator,
        title=record.title,
        options=record.options,
        weighting=record.weighting,
        open_height=record.open_height,
        close_height=record.close_height,
        revote=record.revote,
        secret=record.secret,
        reveal_blocks=record.reveal_blocks,
        created_height=record.created_height,
        voters=record.voters,
        voters_weight=record.voters_weight,
    )


def describe_phase(phase: Phase, open_height: Height, next_height: Height) -> str:
    if phase is Phase.FINAL:
        return "final"
    if phase is Phase.REVEALING:
        return "revealing"
    return "pending" if next_height < open_height else "voting"


def query_tally(ctx: QueryContext, request: BallotRequest) -> TallyInfo:
    """A ballot's tally: counted votes and weight per option, leading options, unrevealed."""
    record = get_ballot(ctx.view, request.ballot)
    if record is None:
        return TallyInfo(ballot=request.ballot, found=False)
    tally = get_tally(ctx.view, request.ballot)
    committed_voters = tally.committed_voters if record.secret else tally.counted_voters
    committed_weight = tally.committed_weight if record.secret else tally.counted_weight
    return TallyInfo(
        ballot=request.ballot,
        found=True,
        phase=describe_phase(tally.phase, record.open_height, ctx.height + 1),
        options=[
            OptionTally(i, text, tally.votes[i], tally.weights[i])
            for i, text in enumerate(record.options)
        ],
        leading=compute_leading(tally),
        counted_voters=tally.counted_voters,
        counted_weight=tally.counted_weight,
        eligible_voters=record.voters,
        eligible_weight=record.voters_weight,
        unrevealed_voters=committed_voters - tally.counted_voters,
        unrevealed_weight=committed_weight - tally.counted_weight,
        final=tally.phase is Phase.FINAL,
    )


def query_voter(ctx: QueryContext, request: VoterRequest) -> VoterInfo:
    """One voter of a ballot: eligible or not, weight, vote or commitment."""
    voter = get_voter(ctx.view, request.ballot, request.address)
    if voter is None:
        return VoterInfo(ballot=request.ballot, address=request.address, eligible=False)
    counted = voter.choice != NO_CHOICE
    return VoterInfo(
        ballot=request.ballot,
        address=request.address,
        eligible=True,
        weight=voter.weight,
        voted=counted or bool(voter.commitment),
        option=voter.choice if counted else None,
        committed=bool(voter.commitment),
        revealed=counted and bool(voter.commitment),
        height=voter.height,
    )


QUERIES = (
    Query("ballot", BallotRequest, BallotInfo, query_ballot),
    Query("tally", BallotRequest, TallyInfo, query_tally),
    Query("voter", VoterRequest, VoterInfo, query_voter),
)

__all__ = [
    "QUERIES",
    "BallotInfo",
    "BallotRequest",
    "OptionTally",
    "TallyInfo",
    "VoterInfo",
    "VoterRequest",
    "query_ballot",
    "query_tally",
    "query_voter",
]
