"""Inputs of the node core: everything that happens to a node, as frozen structs.

A driver (the runtime, the simulator) turns what it observes into one of these and calls
`NodeCore.handle(input, now_ms)`. Time is the `now_ms` argument, never read by the core.

    Tick              the driver's heartbeat (every few ms); the core decides what is due
    PeerConnected     an authenticated peer is reachable
    PeerDisconnected  it is not any more
    FrameReceived     one wire frame from a peer: the exact bytes of core/wire.py
    TimerFired        a consensus timeout the core asked for (SetTimer) has elapsed
    TxsSubmitted      a client submitted transactions, their signatures already checked
    TxsVerified       the signature checks asked for by VerifyTxs are done
    BlockSaved        the block record asked for by SaveBlock is durable
"""

from __future__ import annotations

import msgspec

from chainbook.chain.tx import DecodedTx
from chainbook.consensus.events import TimeoutKind
from chainbook.core.private_wire import PrivateSubmitted
from chainbook.errors import InvalidInput
from chainbook.types import Height, Round

PeerId = bytes
"""A peer's node id: its Ed25519 public key (what its TLS certificate binds)."""

VerifyResult = DecodedTx | InvalidInput
"""What a signature check gives for one transaction: the decoded tx or why it was refused."""


class Tick(msgspec.Struct, frozen=True):
    pass


class PeerConnected(msgspec.Struct, frozen=True):
    peer_id: PeerId


class PeerDisconnected(msgspec.Struct, frozen=True):
    peer_id: PeerId


class FrameReceived(msgspec.Struct, frozen=True):
    peer_id: PeerId
    payload: bytes


class TimerFired(msgspec.Struct, frozen=True):
    kind: TimeoutKind
    height: Height
    round: Round


class TxsSubmitted(msgspec.Struct, frozen=True):
    """Transactions from a client, each with the outcome of its signature check (same order).

    Answered by one `TxsAdmitted` output with the same `request_id`.
    """

    request_id: int
    txs: list[bytes]
    checked: list[VerifyResult]


class TxsVerified(msgspec.Struct, frozen=True):
    """The outcome of `VerifyTxs(batch_id, ...)`, one result per transaction, same order."""

    batch_id: int
    results: list[VerifyResult]


class BlockSaved(msgspec.Struct, frozen=True):
    height: Height


Input = (
    Tick
    | PeerConnected
    | PeerDisconnected
    | FrameReceived
    | TimerFired
    | TxsSubmitted
    | TxsVerified
    | BlockSaved
    | PrivateSubmitted
)

__all__ = [
    "BlockSaved",
    "FrameReceived",
    "Input",
    "PeerConnected",
    "PeerDisconnected",
    "PeerId",
    "Tick",
    "TimerFired",
    "TxsSubmitted",
    "TxsVerified",
    "VerifyResult",
]
