"""State sync: a new node fetches a recent state from its peers instead of replaying every block.

    syncer = StateSyncer(genesis)
    outputs = syncer.handle(input, now_ms)   # PeerConnected/Disconnected, FrameReceived, Tick

The driver runs a StateSyncer before the node core when the book is empty and the config says
`state_sync = true` (runtime/node.py, sim/): it feeds it the peers and their frames, carries out
its Send / Disconnect / LogEvent outputs, and on `RestoreSnapshot` stores the verified state as
the book's checkpoint (storage: restore_snapshot) and boots the node core from it, which then
block-syncs from C + 1 and follows the chain. CometBFT's state sync is the model, simplified.

The steps, each a rule kept:
1. Discover. Every connected peer is asked for its offers (SnapshotsRequest); offers are
   collected for `discovery_ms` after the first peer, then the newest is chosen (highest
   height, then offered by the most peers, then by offer hash: the same choice on every run of
   a seed). With none, peers are asked again every `rediscover_ms`, and the node waits (a log
   line says so): it does not fall back to replaying from genesis by itself.
2. Prove. One peer that offered it is asked for the snapshot proof (core/snapshot_proof.py),
   verified from the genesis file alone through the chain of validator-set changes. Nothing
   is fetched before the root the state must hash to is known.
3. Fetch. Chunks are asked from the peers that offered the snapshot, in turn, at most
   `chunks_in_flight_max` at a time; each is checked against its hash in the offer when it
   arrives, and decoded (core/snapshots.py). A request unanswered after `request_timeout_ms`
   goes to the next peer. The bytes taken are bounded by the offer's `state_bytes`, itself
   bounded by SNAPSHOT_BYTES_MAX.
4. Restore. The state assembled from the chunks must hash to the proven app hash. Only then is
   RestoreSnapshot emitted: nothing is written before the whole state is verified.

Faults (each provable, each answered by Disconnect with `ban_ms` through the transport's ban):
a malformed frame, a malformed offer, a proof that does not hold (the peer that sent it), a
chunk that does not match its hash (the peer that sent it); an offer whose chunks match their
hashes but do not make the proven state, or hold more bytes than it said (every peer that
offered it: honest peers at one height offer identical snapshots). A refused offer is never
chosen again; another peer or offer is tried. Answers nobody asked for, or from another peer
than the one asked, are counted no-ops.

Pure: no clock (time comes in as now_ms), no IO.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chainbook.chain.genesis import Genesis
from chainbook.core.inputs import (
    FrameReceived,
    Input,
    PeerConnected,
    PeerDisconnected,
    PeerId,
    Tick,
)
from chainbook.core.outputs import Disconnect, LogEvent, Send
from chainbook.core.snapshot_proof import (
    InvalidSnapshotProof,
    SnapshotProof,
    VerifiedAnchor,
    verify_snapshot_proof,
)
from chainbook.core.snapshots import (
    InvalidSnapshot,
    SnapshotOffer,
    assemble_state,
    decode_chunk,
    get_offer_refusal,
    is_chunk_of,
)
from chainbook.core.wire import (
    ChunkRequest,
    ChunkResponse,
    SnapshotProofRequest,
    SnapshotProofResponse,
    SnapshotsRequest,
    SnapshotsResponse,
    WireMessage,
    decode_message,
    encode_message,
)
from chainbook.errors import PeerMisbehaved
from chainbook.ledger.state_tree import StateTree
from chainbook.types import Hash, Height, TimeMs

OFFERS_TRACKED_MAX = 64
"""Distinct offers remembered at once (more are dropped, counted, until one is refused)."""
OFFERS_REFUSED_MAX = 1_024
"""Refused offer hashes remembered (the oldest forgotten first)."""


@dataclass(frozen=True, slots=True)
class StateSyncSettings:
    discovery_ms: int = 2_000
    """Offers are collected this long after the first peer connects before one is chosen."""
    rediscover_ms: int = 5_000
    """With no usable offer, every peer is asked again this often."""
    request_timeout_ms: int = 15_000
    """A proof or chunk request unanswered this long goes to another peer."""
    chunks_in_flight_max: int = 4
    """Chunk requests outstanding at once (over all peers)."""
    ban_ms: int = 60_000
    """How long a peer caught lying is refused by the transport."""


@dataclass(frozen=True, slots=True)
class VerifiedSnapshot:
    """A state whose root is the proven app hash of header C + 1, and what proves it."""

    anchor: VerifiedAnchor
    kv: dict[bytes, bytes]
    tree: StateTree

    @property
    def height(self) -> Height:
        return self.anchor.height


@dataclass(frozen=True, slots=True)
class RestoreSnapshot:
    """Output: store `snapshot` as the book's checkpoint, then boot the node core from it."""

    snapshot: VerifiedSnapshot


SyncerOutput = Send | Disconnect | LogEvent | RestoreSnapshot


@dataclass
class _Offer:
    offer: SnapshotOffer
    peers: set[PeerId] = field(default_factory=set)


@dataclass
class _Target:
    """The offer being proven and fetched."""

    offer_hash: Hash
    offer: SnapshotOffer
    anchor: VerifiedAnchor | None = None
    proof_asked: tuple[PeerId, TimeMs] | None = None
    proof_tried: set[PeerId] = field(default_factory=set)
    chunks: dict[int, list[tuple[bytes, bytes]]] = field(default_factory=dict)
    in_flight: dict[int, tuple[PeerId, TimeMs]] = field(default_factory=dict)
    bytes_taken: int = 0
    turn: int = 0


class StateSyncer:
    """Finds, proves, fetches and verifies a snapshot (module docstring)."""

    def __init__(self, genesis: Genesis, settings: StateSyncSettings | None = None) -> None:
        self.genesis = genesis
        self.settings = settings or StateSyncSettings()
        self.connected: set[PeerId] = set()
        self.offers: dict[Hash, _Offer] = {}
        self.refused: dict[Hash, None] = {}
        """Offers found lying (insertion-ordered: the oldest is forgotten first)."""
        self.counters: Counter[str] = Counter()
        self.target: _Target | None = None
        self.done = False
        self._asked_offers: dict[PeerId, TimeMs] = {}
        self._discover_due_ms: TimeMs | None = None
        self._outputs: list[SyncerOutput] = []
        self._now_ms: TimeMs = 0

    # ------------------------------------------------------------------ the interface

    def handle(self, input_: Input, now_ms: TimeMs) -> list[SyncerOutput]:
        if self.done:
            self.counters["input_after_restore"] += 1
            return []
        self._now_ms = now_ms
        match input_:
            case PeerConnected(peer_id=peer_id):
                self.connected.add(peer_id)
                self._ask_offers(peer_id)
                if self._discover_due_ms is None:
                    self._discover_due_ms = now_ms + self.settings.discovery_ms
            case PeerDisconnected(peer_id=peer_id):
                self._forget_peer(peer_id)
            case FrameReceived(peer_id=peer_id, payload=payload):
                self._on_frame(peer_id, payload)
            case Tick():
                pass
            case _:
                self.counters["input_ignored"] += 1
        if not self.done:
            self._advance()
        outputs, self._outputs = self._outputs, []
        return outputs

    # ------------------------------------------------------------------ frames

    def _on_frame(self, peer_id: PeerId, payload: bytes) -> None:
        try:
            message = decode_message(payload)
        except PeerMisbehaved as exc:
            self._ban(peer_id, f"malformed message: {exc}")
            return
        match message:
            case SnapshotsResponse(offers=offers):
                self._on_offers(peer_id, offers)
            case SnapshotProofResponse(proof=proof):
                self._on_proof(peer_id, proof)
            case ChunkResponse(height=height, index=index, chunk=chunk):
                self._on_chunk(peer_id, height, index, chunk)
            case _:
                # Consensus, gossip and sync traffic of the running chain: not ours yet.
                self.counters["message_ignored"] += 1

    def _on_offers(self, peer_id: PeerId, offers: list[SnapshotOffer]) -> None:
        if self._asked_offers.pop(peer_id, None) is None:
            self.counters["offers_unsolicited"] += 1
            return
        for offer in offers:
            refusal = get_offer_refusal(offer)
            if refusal is not None:
                self._ban(peer_id, f"snapshot offer refused: {refusal}")
                return
        for offer in offers:
            offer_hash = offer.hash
            if offer_hash in self.refused:
                self.counters["offer_refused_before"] += 1
                continue
            entry = self.offers.get(offer_hash)
            if entry is None:
                if len(self.offers) >= OFFERS_TRACKED_MAX:
                    self.counters["offer_dropped_too_many"] += 1
                    continue
                entry = self.offers[offer_hash] = _Offer(offer)
            entry.peers.add(peer_id)

    def _on_proof(self, peer_id: PeerId, proof: SnapshotProof) -> None:
        target = self.target
        if (
            target is None
            or target.anchor is not None
            or target.proof_asked is None
            or target.proof_asked[0] != peer_id
        ):
            self.counters["proof_unsolicited"] += 1
            return
        target.proof_asked = None
        try:
            anchor = verify_snapshot_proof(self.genesis, proof, target.offer.height)
        except InvalidSnapshotProof as exc:
            self._ban(peer_id, f"snapshot proof refused: {exc}")
            return
        target.anchor = anchor
        self._log(
            "info",
            "state_sync_proof_verified",
            height=anchor.height,
            app_hash=anchor.app_hash.hex(),
            validator_changes=len(anchor.hops),
            chunks=len(target.offer.chunk_hashes),
        )

    def _on_chunk(self, peer_id: PeerId, height: Height, index: int, chunk: bytes) -> None:
        target = self.target
        asked = None if target is None else target.in_flight.get(index)
        if (
            target is None
            or target.anchor is None
            or height != target.offer.height
            or asked is None
            or asked[0] != peer_id
        ):
            self.counters["chunk_unsolicited"] += 1
            return
        del target.in_flight[index]
        if not is_chunk_of(target.offer, index, chunk):
            self._ban(peer_id, f"chunk {index} of the snapshot of {height} does not match its hash")
            return
        target.bytes_taken += len(chunk)
        if target.bytes_taken > target.offer.state_bytes:
            said = target.offer.state_bytes
            self._refuse_offer(f"its chunks hold more than the {said} bytes it said")
            return
        try:
            target.chunks[index] = decode_chunk(chunk, index)
        except InvalidSnapshot as exc:
            self._refuse_offer(str(exc))
            return
        self.counters["chunk_taken"] += 1
        if len(target.chunks) == len(target.offer.chunk_hashes):
            self._restore(target)

    # ------------------------------------------------------------------ progress

    def _advance(self) -> None:
        """What is due now: choose an offer, (re-)ask for the proof or for chunks."""
        if self.target is None:
            self._choose()
        target = self.target
        if target is None:
            return
        if target.anchor is None:
            self._ask_proof(target)
            return
        timeout_ms = self.settings.request_timeout_ms
        for index, (peer_id, asked_ms) in list(target.in_flight.items()):
            if self._now_ms - asked_ms >= timeout_ms:
                del target.in_flight[index]
                self.counters["chunk_timeout"] += 1
                self._log("info", "state_sync_chunk_timeout", index=index, peer=_short(peer_id))
        self._ask_chunks(target)

    def _choose(self) -> None:
        due = self._discover_due_ms
        if due is None or self._now_ms < due:
            return
        usable = [(h, e) for h, e in self.offers.items() if e.peers & self.connected]
        if not usable:
            self._discover_due_ms = self._now_ms + self.settings.rediscover_ms
            for peer_id in sorted(self.connected):
                self._ask_offers(peer_id)
            self.counters["no_offer"] += 1
            self._log("info", "state_sync_waiting", peers=len(self.connected), offers=0)
            return
        offer_hash, entry = max(
            usable, key=lambda item: (item[1].offer.height, len(item[1].peers), item[0])
        )
        self.target = _Target(offer_hash, entry.offer)
        self._log(
            "info",
            "state_sync_offer_chosen",
            height=entry.offer.height,
            chunks=len(entry.offer.chunk_hashes),
            state_bytes=entry.offer.state_bytes,
            peers=len(entry.peers),
        )

    def _ask_proof(self, target: _Target) -> None:
        asked = target.proof_asked
        if asked is not None and self._now_ms - asked[1] < self.settings.request_timeout_ms:
            return
        if asked is not None:
            self.counters["proof_timeout"] += 1
        candidates = sorted(self._offer_peers(target) - target.proof_tried)
        if not candidates:
            self._drop_target("no peer that offered it gave a proof that holds")
            return
        peer_id = candidates[0]
        target.proof_tried.add(peer_id)
        target.proof_asked = (peer_id, self._now_ms)
        self._send(peer_id, SnapshotProofRequest(height=target.offer.height))

    def _ask_chunks(self, target: _Target) -> None:
        peers = sorted(self._offer_peers(target))
        if not peers:
            self._drop_target("no connected peer offers it any more")
            return
        missing = (
            i
            for i in range(len(target.offer.chunk_hashes))
            if i not in target.chunks and i not in target.in_flight
        )
        while len(target.in_flight) < self.settings.chunks_in_flight_max:
            index = next(missing, None)
            if index is None:
                return
            target.turn += 1
            peer_id = peers[target.turn % len(peers)]
            target.in_flight[index] = (peer_id, self._now_ms)
            self._send(peer_id, ChunkRequest(height=target.offer.height, index=index))

    def _restore(self, target: _Target) -> None:
        anchor = target.anchor
        assert anchor is not None
        chunks = (target.chunks[i] for i in range(len(target.offer.chunk_hashes)))
        try:
            kv = assemble_state(target.offer, chunks)
        except InvalidSnapshot as exc:
            self._refuse_offer(str(exc))
            return
        tree = StateTree.from_items(kv)
        if tree.root != anchor.app_hash:
            self._refuse_offer(
                f"its state hashes to {tree.root.hex()[:16]}, header {anchor.height + 1} "
                f"commits to {anchor.app_hash.hex()[:16]}"
            )
            return
        self.done = True
        self._log(
            "info",
            "state_sync_verified",
            height=anchor.height,
            app_hash=anchor.app_hash.hex(),
            entries=len(kv),
            state_bytes=target.bytes_taken,
        )
        self._outputs.append(RestoreSnapshot(VerifiedSnapshot(anchor, kv, tree)))

    # ------------------------------------------------------------------ peers and offers

    def _offer_peers(self, target: _Target) -> set[PeerId]:
        entry = self.offers.get(target.offer_hash)
        return set() if entry is None else entry.peers & self.connected

    def _ask_offers(self, peer_id: PeerId) -> None:
        self._asked_offers[peer_id] = self._now_ms
        self._send(peer_id, SnapshotsRequest())

    def _forget_peer(self, peer_id: PeerId) -> None:
        self.connected.discard(peer_id)
        self._asked_offers.pop(peer_id, None)
        for entry in self.offers.values():
            entry.peers.discard(peer_id)
        target = self.target
        if target is None:
            return
        if target.proof_asked is not None and target.proof_asked[0] == peer_id:
            target.proof_asked = None
        for index in [i for i, (p, _) in target.in_flight.items() if p == peer_id]:
            del target.in_flight[index]

    def _ban(self, peer_id: PeerId, reason: str) -> None:
        self.counters["peer_banned"] += 1
        ban_ms = self.settings.ban_ms
        self._outputs.append(Disconnect(peer_id, reason, ban_ms=ban_ms))
        self._log("warning", "state_sync_peer_banned", peer=_short(peer_id), reason=reason)
        self._forget_peer(peer_id)

    def _refuse_offer(self, reason: str) -> None:
        """The chosen offer was a lie: every peer that made it is banned, it is never taken
        again, and the next best offer is chosen at once."""
        target = self.target
        assert target is not None
        entry = self.offers.pop(target.offer_hash, None)
        self.refused[target.offer_hash] = None
        if len(self.refused) > OFFERS_REFUSED_MAX:
            del self.refused[next(iter(self.refused))]
        self.target = None
        self._discover_due_ms = self._now_ms
        self.counters["offer_refused"] += 1
        self._log(
            "warning", "state_sync_snapshot_refused", height=target.offer.height, reason=reason
        )
        for peer_id in sorted(entry.peers if entry is not None else ()):
            self._ban(peer_id, f"offered a false snapshot of {target.offer.height}: {reason}")

    def _drop_target(self, reason: str) -> None:
        """Give up the chosen offer (not a lie: nobody left to serve it)."""
        target = self.target
        assert target is not None
        self.offers.pop(target.offer_hash, None)
        self.target = None
        self._discover_due_ms = self._now_ms
        self.counters["offer_dropped"] += 1
        self._log("info", "state_sync_offer_dropped", height=target.offer.height, reason=reason)

    # ------------------------------------------------------------------ outputs

    def _send(self, peer_id: PeerId, message: WireMessage) -> None:
        self._outputs.append(Send(peer_id, encode_message(message)))

    def _log(self, level: str, event: str, **fields: object) -> None:
        self._outputs.append(LogEvent(level, event, dict(fields)))


def _short(peer_id: PeerId) -> str:
    return peer_id.hex()[:16]


__all__ = [
    "OFFERS_REFUSED_MAX",
    "OFFERS_TRACKED_MAX",
    "RestoreSnapshot",
    "StateSyncSettings",
    "StateSyncer",
    "SyncerOutput",
    "VerifiedSnapshot",
]
