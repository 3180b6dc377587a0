"""The node-to-node wire protocol: one MessagePack-encoded message per p2p frame.

Every message is a tagged array (`[tag, ...fields]`) decoded strictly into one of the types
below; anything else is a protocol violation by the peer (PeerMisbehaved), which drops the
peer's connection with a log line. Gossip is one hop: a node sends its own transactions and
consensus messages to every peer it is connected to (testnets are a full mesh); nothing is
relayed further, except evidence of equivocation, which every node holding it re-sends with its
votes until a block commits it (core/evidence.py).

Bounds checked at decoding, before anything else looks at a message (a peer over a bound is
dropped): transactions per TxsMessage, blocks per SyncResponse, transactions and evidence of a
proposed block, pieces per EvidenceMessage (limits.evidence_per_message_max), offers per
SnapshotsResponse, validator changes per snapshot proof, bytes per chunk (core/snapshots.py).
The state sync messages (Snapshots*, SnapshotProof*, Chunk*) are served by every node that keeps
snapshots (core/node.py) and asked by a node that state-syncs (core/statesync.py).
"""

from __future__ import annotations

import msgspec

from chainbook import codec, limits
from chainbook.chain.evidence import DuplicateVoteEvidence
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.private_wire import PrivatePull, PrivatePush
from chainbook.core.snapshot_proof import PROOF_HOPS_MAX, SnapshotProof
from chainbook.core.snapshots import CHUNK_BYTES_MAX, SNAPSHOTS_OFFERED_MAX, SnapshotOffer
from chainbook.errors import PeerMisbehaved
from chainbook.types import Height


class TxsMessage(msgspec.Struct, array_like=True, frozen=True, tag="txs"):
    """A batch of signed transactions admitted by the sender's mempool."""

    txs: list[bytes]


class StatusMessage(msgspec.Struct, array_like=True, frozen=True, tag="status"):
    """Announced periodically: lets a peer that is behind know it should sync."""

    height: Height


class SyncRequest(msgspec.Struct, array_like=True, frozen=True, tag="sync_request"):
    from_height: Height
    count: int


class SyncResponse(msgspec.Struct, array_like=True, frozen=True, tag="sync_response"):
    """Consecutive committed blocks, each with its commit certificate (both encoded)."""

    blocks: list[tuple[bytes, bytes]]


class SyncPruned(msgspec.Struct, array_like=True, frozen=True, tag="sync_pruned"):
    """The answer to a SyncRequest from below the sender's first whole block: it pruned the
    blocks asked for (storage/pruning.py), or never held them (a book started by state sync).
    `from_height` is the request's; `pruned_below` the sender's first whole block, above it
    (a sender that says otherwise claims blocks it does not send: a fault, core/node.py)."""

    from_height: Height
    pruned_below: Height


class EvidenceMessage(msgspec.Struct, array_like=True, frozen=True, tag="evidence"):
    """Pieces of evidence of equivocation the sender verified (chain/evidence.py)."""

    evidence: list[DuplicateVoteEvidence]


class SnapshotsRequest(msgspec.Struct, array_like=True, frozen=True, tag="snapshots_request"):
    """State sync (core/statesync.py): which snapshots can you serve?"""


class SnapshotsResponse(msgspec.Struct, array_like=True, frozen=True, tag="snapshots"):
    """The snapshots the sender serves, newest first (core/snapshots.py)."""

    offers: list[SnapshotOffer]


class SnapshotProofRequest(
    msgspec.Struct, array_like=True, frozen=True, tag="snapshot_proof_request"
):
    height: Height


class SnapshotProofResponse(msgspec.Struct, array_like=True, frozen=True, tag="snapshot_proof"):
    """What proves the root of the snapshot of proof.height (core/snapshot_proof.py)."""

    proof: SnapshotProof


class ChunkRequest(msgspec.Struct, array_like=True, frozen=True, tag="chunk_request"):
    height: Height
    index: int


class ChunkResponse(msgspec.Struct, array_like=True, frozen=True, tag="chunk"):
    height: Height
    index: int
    chunk: bytes


WireMessage = (
    ProposalMessage
    | VoteMessage
    | TxsMessage
    | StatusMessage
    | SyncRequest
    | SyncResponse
    | SyncPruned
    | EvidenceMessage
    | PrivatePush
    | PrivatePull
    | SnapshotsRequest
    | SnapshotsResponse
    | SnapshotProofRequest
    | SnapshotProofResponse
    | ChunkRequest
    | ChunkResponse
)


_decoder: msgspec.msgpack.Decoder[WireMessage] = msgspec.msgpack.Decoder(WireMessage)


def encode_message(message: WireMessage) -> bytes:
    return codec.encode(message)


def decode_message(payload: bytes) -> WireMessage:
    """Decode a peer's frame; any malformed or out-of-bounds message raises PeerMisbehaved."""
    try:
        message: WireMessage = _decoder.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise PeerMisbehaved(f"invalid wire message: {exc}") from None
    verify_message_bounds(message)
    return message


def verify_message_bounds(message: WireMessage) -> None:
    match message:
        case TxsMessage(txs=txs) if len(txs) > limits.gossip_txs_per_frame_max:
            raise PeerMisbehaved(
                f"txs message with {len(txs)} transactions, limit {limits.gossip_txs_per_frame_max}"
            )
        case SyncRequest(from_height=h, count=n) if (
            h < 1 or not 1 <= n <= limits.sync_blocks_per_response_max
        ):
            raise PeerMisbehaved(
                f"sync request from {h} count {n}: heights start at 1, "
                f"count 1..{limits.sync_blocks_per_response_max}"
            )
        case SyncPruned(from_height=h) if h < 1:
            raise PeerMisbehaved(f"sync pruned answer from height {h}: heights start at 1")
        case SyncResponse(blocks=blocks) if len(blocks) > limits.sync_blocks_per_response_max:
            raise PeerMisbehaved(f"sync response with {len(blocks)} blocks")
        case ProposalMessage(block=block) if len(block.txs) > limits.block_txs_max:
            raise PeerMisbehaved(f"proposal with {len(block.txs)} transactions")
        case ProposalMessage(block=block) if len(block.evidence) > limits.evidence_per_block_max:
            raise PeerMisbehaved(
                f"proposal with {len(block.evidence)} pieces of evidence, limit "
                f"{limits.evidence_per_block_max}"
            )
        case EvidenceMessage(evidence=evidence) if not (
            1 <= len(evidence) <= limits.evidence_per_message_max
        ):
            raise PeerMisbehaved(
                f"evidence message with {len(evidence)} pieces, accepted 1.."
                f"{limits.evidence_per_message_max}"
            )
        case SnapshotsResponse(offers=offers) if len(offers) > SNAPSHOTS_OFFERED_MAX:
            raise PeerMisbehaved(
                f"snapshots message with {len(offers)} offers, limit {SNAPSHOTS_OFFERED_MAX}"
            )
        case SnapshotProofResponse(proof=proof) if len(proof.hops) > PROOF_HOPS_MAX:
            raise PeerMisbehaved(
                f"snapshot proof with {len(proof.hops)} validator changes, limit {PROOF_HOPS_MAX}"
            )
        case ChunkRequest(height=h, index=i) | ChunkResponse(height=h, index=i) if (
            h < 1 or i < 0
        ):
            raise PeerMisbehaved(
                f"chunk message for height {h} index {i}: heights start at 1, indexes at 0"
            )
        case ChunkResponse(chunk=chunk) if len(chunk) > CHUNK_BYTES_MAX:
            raise PeerMisbehaved(f"chunk of {len(chunk)} bytes, limit {CHUNK_BYTES_MAX}")
        case _:
            pass


__all__ = [
    "ChunkRequest",
    "ChunkResponse",
    "SnapshotProofRequest",
    "SnapshotProofResponse",
    "SnapshotsRequest",
    "SnapshotsResponse",
    "EvidenceMessage",
    "StatusMessage",
    "SyncPruned",
    "SyncRequest",
    "SyncResponse",
    "TxsMessage",
    "WireMessage",
    "decode_message",
    "encode_message",
]
