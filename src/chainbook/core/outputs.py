"""Outputs of the node core, and the order in which a driver must carry them out.

`NodeCore.handle` returns a list of outputs. The driver performs them strictly in list order
and feeds back what it observes as inputs (core/inputs.py). The order rules (etcd raft's
`Ready`: persist before you send, apply only what is durable):

1. `SaveConsensusRecord` is durable (fsync'd) before any output after it is performed. The
   core emits it before every Send/Broadcast of a vote or proposal this validator signed, so
   a validator that crashes after sending never forgets what it signed.
2. `SaveBlock` asks the driver to make a decided block's record durable, then to feed back
   `BlockSaved(height)`. The core applies the block to its ledger state only on that input:
   committed blocks are persisted first, so a crash never leaves a node whose state is ahead
   of its book. Nothing else waits for it; later outputs of the same list may run before.
3. `VerifyTxs` asks for signature checks (the runtime's worker processes); the driver feeds
   back `TxsVerified(batch_id, results)` when they are done, in any order between batches.
4. `Send`, `Broadcast`, `Disconnect`, `SetTimer`, `TxsAdmitted`, `BlockCommitted`,
   `LogEvent` and `Halt` have no durability needs. `Halt` is the last output the core ever
   returns: its ledger disagrees with a block > 2/3 of the validators committed.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.chain.block import Block
from chainbook.chain.commit import Commit
from chainbook.consensus.effects import SaveConsensusRecord
from chainbook.consensus.events import TimeoutKind
from chainbook.core.inputs import PeerId, VerifyResult
from chainbook.core.private_wire import PurgePrivateData, SavePrivateData
from chainbook.ledger.receipts import Event, Receipt
from chainbook.types import Hash, Height, Round


class BlockRecord(msgspec.Struct, frozen=True):
    """A decided block and everything executing it produced: what a book stores per height.

    Self-contained: a store needs nothing else to save it, and the state after it is the
    state before it with `changes` applied.
    """

    block: Block
    block_bytes: bytes
    """The block's canonical encoding (as received from a peer, or as encoded here)."""
    commit: Commit
    receipts: list[Receipt]
    events: list[Event]
    """Block-level events (begin-block hooks, e.g. the bank's mint)."""
    changes: dict[bytes, bytes | None]
    """Every state key the block wrote: its new value, or None when deleted."""
    app_hash: Hash

    @property
    def height(self) -> Height:
        return self.block.height


class SaveBlock(msgspec.Struct, frozen=True):
    record: BlockRecord


class Send(msgspec.Struct, frozen=True):
    peer_id: PeerId
    payload: bytes
    """One wire frame (core/wire.py)."""


class Broadcast(msgspec.Struct, frozen=True):
    payload: bytes
    """One wire frame for every connected peer."""


class Disconnect(msgspec.Struct, frozen=True):
    """Close the connection to a peer that broke the protocol, and refuse it for `ban_ms`."""

    peer_id: PeerId
    reason: str
    ban_ms: int = 0


class SetTimer(msgspec.Struct, frozen=True):
    """Feed back TimerFired(kind, height, round) after `duration_ms`."""

    kind: TimeoutKind
    height: Height
    round: Round
    duration_ms: int


class VerifyTxs(msgspec.Struct, frozen=True):
    batch_id: int
    txs: list[bytes]
    hashes: list[Hash]


class TxsAdmitted(msgspec.Struct, frozen=True):
    """The answer to TxsSubmitted(request_id): per transaction, admitted or refused why."""

    request_id: int
    results: list[VerifyResult]


class BlockCommitted(msgspec.Struct, frozen=True):
    """The block is durable and applied: the ledger state is at its height now."""

    record: BlockRecord
    round: Round
    """The round its commit certificate is for."""


class LogEvent(msgspec.Struct, frozen=True):
    """Something an operator may want to read: a named event and its fields."""

    level: str
    """"info", "warning", "error" or "critical"."""
    event: str
    fields: dict[str, Any] = {}


class Halt(msgspec.Struct, frozen=True):
    reason: str


Output = (
    SaveConsensusRecord
    | SaveBlock
    | Send
    | Broadcast
    | Disconnect
    | SetTimer
    | VerifyTxs
    | TxsAdmitted
    | BlockCommitted
    | LogEvent
    | Halt
    | SavePrivateData
    | PurgePrivateData
)

__all__ = [
    "BlockCommitted",
    "BlockRecord",
    "Broadcast",
    "Disconnect",
    "Halt",
    "LogEvent",
    "Output",
    "SaveBlock",
    "SaveConsensusRecord",
    "Send",
    "SetTimer",
    "TxsAdmitted",
    "VerifyTxs",
]
