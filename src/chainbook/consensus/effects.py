"""Outputs of the consensus machine, and the order in which the driver must carry them out.

`ConsensusMachine.step` returns a list of effects. The driver performs them strictly in list
order, and the machine relies on that order:

1. `SaveConsensusRecord` is durable (fsync'd) before any effect after it is performed. The machine
   emits it before every Broadcast of a vote or proposal it signed, so a validator that crashes
   after sending never forgets what it signed, and after restart never signs a conflicting vote.
2. `CommitBlock` is durable (block, commit, state) before the next height starts. The machine
   only starts the next height on TimeoutElapsed(COMMIT), which the driver can only deliver
   after performing the ScheduleTimeout that follows the CommitBlock.
3. `Broadcast`, `ScheduleTimeout`, `FallenBehind` and `EvidenceFound` have no durability needs.
"""

from __future__ import annotations

import msgspec

from chainbook.chain.block import Block
from chainbook.chain.commit import Commit, SignedVote
from chainbook.consensus.events import TimeoutKind
from chainbook.consensus.messages import ConsensusMessage
from chainbook.types import Height, Round


class SaveConsensusRecord(msgspec.Struct, frozen=True):
    """Make the consensus record durable before anything after it. The node core passes this
    effect on as its own output of the same name (core/outputs.py): one record, one name."""

    record: bytes
    """Encoded ConsensusRecord (see machine.py); opaque to the driver."""


class Broadcast(msgspec.Struct, frozen=True):
    message: ConsensusMessage


class ScheduleTimeout(msgspec.Struct, frozen=True):
    kind: TimeoutKind
    height: Height
    round: Round
    duration_ms: int


class CommitBlock(msgspec.Struct, frozen=True):
    """The block is decided (final). The driver stores it and applies it to the ledger."""

    block: Block
    commit: Commit


class FallenBehind(msgspec.Struct, frozen=True):
    """Messages for a later height arrived: the driver should fetch blocks from peers (sync)."""

    height: Height


class EvidenceFound(msgspec.Struct, frozen=True):
    """A validator signed two different votes for one height, round and type (equivocation)."""

    first: SignedVote
    second: SignedVote


Effect = (
    SaveConsensusRecord | Broadcast | ScheduleTimeout | CommitBlock | FallenBehind | EvidenceFound
)

__all__ = [
    "Broadcast",
    "CommitBlock",
    "Effect",
    "EvidenceFound",
    "FallenBehind",
    "SaveConsensusRecord",
    "ScheduleTimeout",
]
