"""Inputs of the consensus machine. Each is a frozen struct; `ConsensusMachine.step` takes one."""

from __future__ import annotations

import enum

import msgspec

from chainbook.chain.block import Block
from chainbook.chain.commit import Commit, SignedProposal, SignedVote
from chainbook.types import Height, Round


class TimeoutKind(enum.IntEnum):
    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3
    COMMIT = 4


class ProposalReceived(msgspec.Struct, frozen=True):
    proposal: SignedProposal
    block: Block


class VoteReceived(msgspec.Struct, frozen=True):
    vote: SignedVote


class TimeoutElapsed(msgspec.Struct, frozen=True):
    kind: TimeoutKind
    height: Height
    round: Round


class CommitReceived(msgspec.Struct, frozen=True):
    """A block and its commit certificate for our current height, from block sync."""

    block: Block
    commit: Commit


class Resend(msgspec.Struct, frozen=True):
    """Periodic nudge from the driver: re-broadcast our proposal and votes of the current round.

    Messages can be lost (a dropped connection, a lossy network); resending our own latest
    messages is what makes the protocol live again once the network heals.
    """


Event = ProposalReceived | VoteReceived | TimeoutElapsed | CommitReceived | Resend

__all__ = [
    "CommitReceived",
    "Event",
    "ProposalReceived",
    "Resend",
    "TimeoutElapsed",
    "TimeoutKind",
    "VoteReceived",
]
