"""The vote module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"vote/"; values canonical MessagePack):

    params                               VoteParams    the genesis allow-list of creators
    ballot/<id>                          BallotRecord  the ballot as created (voters counted)
    tally/<id>                           TallyRecord   the counts, one key whatever the size
    voter/<address 20 bytes><id>         VoterRecord   one eligible voter: weight, vote
    due/<height 8 bytes big-endian>      [DueEntry]    ballots whose phase ends at that height

One tally key per ballot keeps a vote's cost, a close's cost and a proven `tally` query's
size independent of the number of voters. The due lists are how the begin-block hook finds
the ballots to close without scanning (a module's view has no range reads).
"""

from __future__ import annotations

import enum
import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.types import Address, Height

PARAMS_KEY = b"params"
BALLOT_PREFIX = b"ballot/"
TALLY_PREFIX = b"tally/"
VOTER_PREFIX = b"voter/"
DUE_PREFIX = b"due/"
NO_CHOICE = -1
WEIGHTINGS = ("equal", "balance")


class Phase(enum.IntEnum):
    VOTING = 0
    """Created; votes are counted at heights [open_height, close_height)."""
    REVEALING = 1
    """A secret ballot past close: reveals are counted until its reveal window ends."""
    FINAL = 2
    """The result is final (the `vote.result` event was emitted)."""


class DueKind(enum.IntEnum):
    CLOSE = 0
    """A secret ballot's voting ends; its reveal window starts."""
    FINAL = 1
    """The result becomes final."""


class VoteParams(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    creators: list[Address]
    """Empty: anyone may create a ballot."""


class BallotRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    creator: Address
    title: str
    options: list[str]
    weighting: str
    open_height: Height
    """Effective: never below the height of the block that created the ballot."""
    close_height: Height
    revote: bool
    secret: bool
    reveal_blocks: int
    created_height: Height
    voters: int
    """Eligible voters so far."""
    voters_weight: int
    """Their total weight (the most any option can get)."""

    @property
    def final_height(self) -> Height:
        """The height whose begin-block hook makes the result final."""
        return self.close_height + self.reveal_blocks


class TallyRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    phase: Phase
    weights: list[int]
    """Counted weight per option."""
    votes: list[int]
    """Counted voters per option."""
    counted_voters: int
    counted_weight: int
    committed_voters: int
    """Secret ballots: voters holding a commitment (revealed or not)."""
    committed_weight: int


class VoterRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    weight: int
    choice: int
    """The option counted for this voter, or NO_CHOICE."""
    commitment: bytes
    """A secret ballot's commitment (empty until the voter commits)."""
    height: Height
    """The height of the voter's last vote, commitment or reveal (0: none yet)."""


class DueEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    ballot: str
    kind: DueKind


# --- keys -----------------------------------------------------------------------------------


def ballot_key(ballot: str) -> bytes:
    return BALLOT_PREFIX + ballot.encode()


def tally_key(ballot: str) -> bytes:
    return TALLY_PREFIX + ballot.encode()


def voter_key(ballot: str, voter: Address) -> bytes:
    return VOTER_PREFIX + voter + ballot.encode()


def due_key(height: Height) -> bytes:
    return DUE_PREFIX + struct.pack(">Q", height)


# --- accessors ------------------------------------------------------------------------------


def get_params(view: KVReader) -> VoteParams:
    raw = view.get(PARAMS_KEY)
    assert raw is not None, "vote params missing: state not initialised from genesis"
    return codec.decode(raw, VoteParams)


def get_ballot(view: KVReader, ballot: str) -> BallotRecord | None:
    raw = view.get(ballot_key(ballot))
    return None if raw is None else codec.decode(raw, BallotRecord)


def get_tally(view: KVReader, ballot: str) -> TallyRecord:
    raw = view.get(tally_key(ballot))
    assert raw is not None, f"ballot {ballot!r} has no tally"
    return codec.decode(raw, TallyRecord)


def get_voter(view: KVReader, ballot: str, voter: Address) -> VoterRecord | None:
    raw = view.get(voter_key(ballot, voter))
    return None if raw is None else codec.decode(raw, VoterRecord)


def get_due(view: KVReader, height: Height) -> list[DueEntry]:
    raw = view.get(due_key(height))
    return [] if raw is None else codec.decode(raw, list[DueEntry])


def compute_leading(tally: TallyRecord) -> list[int]:
    """The options with the most weight (several on a tie; none while nothing is counted)."""
    if tally.counted_weight == 0:
        return []
    best = max(tally.weights)
    return [i for i, weight in enumerate(tally.weights) if weight == best]


__all__ = [
    "BALLOT_PREFIX",
    "DUE_PREFIX",
    "NO_CHOICE",
    "PARAMS_KEY",
    "TALLY_PREFIX",
    "VOTER_PREFIX",
    "WEIGHTINGS",
    "BallotRecord",
    "DueEntry",
    "DueKind",
    "Phase",
    "TallyRecord",
    "VoteParams",
    "VoterRecord",
    "ballot_key",
    "compute_leading",
    "due_key",
    "get_ballot",
    "get_due",
    "get_params",
    "get_tally",
    "get_voter",
    "tally_key",
    "voter_key",
]
