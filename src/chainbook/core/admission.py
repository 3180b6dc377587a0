"""Admission of gossiped transactions, and the batching of what this node gossips.

Rules kept:
- A peer's transactions wait in a queue for their signature check. The queue is bounded in
  total (limits.admission_queue_txs_max) and per peer (limits.admission_queue_txs_per_peer_max),
  so one peer flooding junk cannot crowd out the others; what is beyond a bound is dropped
  and counted, never held.
- Signatures are checked in batches of at most limits.admission_batch_txs_max, one batch at a
  time (the runtime's worker processes do the work, VerifyTxs/TxsVerified). A transaction
  already pending or recently committed here is dropped before any signature work: gossip
  often arrives after the block that carried it.
- The hashes of the latest committed transactions are remembered (bounded by
  limits.recent_committed_txs_max, oldest forgotten first) for that check.
- What this node admits from its clients is gossiped to every peer (one hop, see wire.py),
  in frames of at most limits.gossip_txs_per_frame_max, flushed at the core's gossip interval.

Pure: no clock, no IO.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from collections.abc import Callable

from chainbook import limits
from chainbook.chain.tx import tx_hash
from chainbook.core.inputs import PeerId
from chainbook.types import Hash


class GossipBatch:
    """Transactions sent for their signature check together."""

    __slots__ = ("batch_id", "hashes", "hash_set", "txs")

    def __init__(self, batch_id: int, txs: list[bytes], hashes: list[Hash]) -> None:
        self.batch_id = batch_id
        self.txs = txs
        self.hashes = hashes
        self.hash_set = frozenset(hashes)

    def narrow(self, keep: list[tuple[bytes, Hash]]) -> None:
        """Keep only these (tx, hash) pairs (the others need no signature check)."""
        self.txs = [tx for tx, _ in keep]
        self.hashes = [hash_ for _, hash_ in keep]
        self.hash_set = frozenset(self.hashes)


class Admission:
    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()
        self._queue: deque[tuple[PeerId, bytes]] = deque()
        self._queued_by_peer: Counter[PeerId] = Counter()
        self._recently_committed: OrderedDict[Hash, None] = OrderedDict()
        self.checking: GossipBatch | None = None
        """The gossip batch in signature checks now (one at a time)."""
        self._outbound: list[bytes] = []

    # --- inbound gossip ----------------------------------------------------------------------

    def enqueue(self, peer_id: PeerId, txs: list[bytes]) -> None:
        """Queue a peer's transactions; past a bound they are dropped and counted."""
        room_total = limits.admission_queue_txs_max - len(self._queue)
        room_peer = limits.admission_queue_txs_per_peer_max - self._queued_by_peer[peer_id]
        room = max(0, min(room_total, room_peer, len(txs)))
        if room < len(txs):
            self.counters["admission_queue_full"] += len(txs) - room
        for tx in txs[:room]:
            self._queue.append((peer_id, tx))
        if room:
            self._queued_by_peer[peer_id] += room

    @property
    def queued(self) -> int:
        return len(self._queue)

    def next_batch(self, batch_id: int, is_pending: Callable[[Hash], bool]) -> GossipBatch | None:
        """The next batch to check, unless one is being checked or nothing new is queued.

        Transactions already pending or recently committed are dropped here, unchecked.
        """
        while self.checking is None and self._queue:
            txs: list[bytes] = []
            hashes: list[Hash] = []
            while self._queue and len(txs) < limits.admission_batch_txs_max:
                peer_id, tx = self._queue.popleft()
                self._queued_by_peer[peer_id] -= 1
                if self._queued_by_peer[peer_id] <= 0:
                    del self._queued_by_peer[peer_id]
                hash_ = tx_hash(tx)
                if hash_ in self._recently_committed or is_pending(hash_):
                    self.counters["gossip_known"] += 1
                    continue
                txs.append(tx)
                hashes.append(hash_)
            if txs:
                self.checking = GossipBatch(batch_id, txs, hashes)
        return self.checking

    def finish_batch(self, batch_id: int) -> GossipBatch | None:
        """The checked batch with this id (None if it is not the one in checks)."""
        batch = self.checking
        if batch is None or batch.batch_id != batch_id:
            return None
        self.checking = None
        return batch

    def is_checking_any(self, hashes: list[Hash]) -> bool:
        """Whether some of these transactions are in the batch being checked now."""
        batch = self.checking
        return batch is not None and any(h in batch.hash_set for h in hashes)

    # --- committed ---------------------------------------------------------------------------

    def is_recently_committed(self, hash_: Hash) -> bool:
        return hash_ in self._recently_committed

    def remember_committed(self, hashes: list[Hash]) -> None:
        # OrderedDict: popping the oldest is O(1). (Deleting the first key of a plain dict
        # leaves a hole that every later next(iter(d)) walks over: quadratic once it is full.)
        recent = self._recently_committed
        recent.update(dict.fromkeys(hashes))
        while len(recent) > limits.recent_committed_txs_max:
            recent.popitem(last=False)

    # --- outbound gossip ---------------------------------------------------------------------

    def gossip(self, tx: bytes) -> None:
        self._outbound.append(tx)

    @property
    def has_outbound(self) -> bool:
        return bool(self._outbound)

    def take_outbound(self) -> list[list[bytes]]:
        """What to gossip now, cut into frames of at most gossip_txs_per_frame_max."""
        if not self._outbound:
            return []
        buffer, self._outbound = self._outbound, []
        step = limits.gossip_txs_per_frame_max
        return [buffer[start : start + step] for start in range(0, len(buffer), step)]


__all__ = ["Admission", "GossipBatch"]
