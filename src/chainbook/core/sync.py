"""Block sync decisions: when to ask which peer for blocks, and which answers to accept.

Rules kept:
- A node asks for blocks when consensus reports that messages of a later height arrive
  (FallenBehind) or a peer announces a height more than one above ours. At most one request
  is outstanding; it may be sent again, to another peer, after `retry_ms` without an answer.
- Peers are asked in turn (round robin over the sorted ids of the connected peers that
  announced a height at least ours, else over every connected peer), so a peer that does not
  answer is not asked forever and the choice is the same on every run of a seed.
- Only an answer from the peer that was asked is accepted, and only while it is expected:
  an unsolicited SyncResponse is an explicit, counted no-op. What a peer can make the node
  hold before verification is thereby bounded by two responses (the one being applied and
  the next, requested as soon as one arrives: catch-up is a pipeline), each at most
  limits.sync_blocks_per_response_max blocks and limits.sync_response_bytes_max bytes.
- Pruned peers (storage/pruning.py; a book started by state sync is one too) are not faulty:
  asked for blocks below their first whole block, they answer SyncPruned with that height,
  and are not asked for any block below it again while connected (the next peer is asked at
  once). Every other peer is: one that says it pruned above the height asked for and sends
  nothing claims blocks it does not give, as one that answers an empty SyncResponse. When
  every connected peer pruned the blocks needed, nobody is asked (counted, and the node
  logs it once): the node needs an archive peer, or state sync.
- Serving is a bounded read of the node's own book (BookReader): its blocks, or SyncPruned
  below its first whole block, or no answer when it does not reach the height asked for.

Pure: no clock (time comes in as now_ms), no IO but the read-only BookReader port.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from chainbook import limits
from chainbook.core.inputs import PeerId
from chainbook.core.wire import SyncPruned, SyncResponse
from chainbook.types import Height, TimeMs


class BookReader(Protocol):
    """What the core reads from its own book (the runtime's SQLite store, the simulator's
    memory store). Writes are never made through it: they are SaveBlock outputs."""

    def latest_height(self) -> Height: ...

    def load_pruned_below(self) -> Height:
        """The first height whose whole block the book holds (1: nothing pruned)."""
        ...

    def load_blocks_bytes(
        self, from_height: Height, count_max: int, bytes_max: int
    ) -> list[tuple[bytes, bytes]]: ...


class SyncRequestPlan:
    """One request to send: ask `peer_id` for blocks from `from_height`."""

    __slots__ = ("from_height", "peer_id")

    def __init__(self, peer_id: PeerId, from_height: Height) -> None:
        self.peer_id = peer_id
        self.from_height = from_height


class BlockSync:
    """Peer heights, the outstanding request, and the choice of the next peer to ask."""

    def __init__(self, retry_ms: int) -> None:
        self.retry_ms = retry_ms
        self.peer_heights: dict[PeerId, Height] = {}
        """The latest height each connected peer announced."""
        self.connected: set[PeerId] = set()
        self.peer_pruned_below: dict[PeerId, Height] = {}
        """Connected peers that answered SyncPruned: the first whole block each holds."""
        self.counters: Counter[str] = Counter()
        self._asked: PeerId | None = None
        """The peer whose answer we wait for (None: nothing outstanding)."""
        self._asked_at_ms: TimeMs = 0
        self._turn = 0

    # --- peers -------------------------------------------------------------------------------

    def on_connected(self, peer_id: PeerId) -> None:
        self.connected.add(peer_id)

    def on_disconnected(self, peer_id: PeerId) -> None:
        self.connected.discard(peer_id)
        self.peer_heights.pop(peer_id, None)
        self.peer_pruned_below.pop(peer_id, None)
        if self._asked == peer_id:
            self._asked = None

    def on_status(self, peer_id: PeerId, height: Height) -> None:
        if peer_id in self.connected:
            self.peer_heights[peer_id] = height

    def on_pruned(self, peer_id: PeerId, pruned_below: Height) -> None:
        """`peer_id` holds no whole block below `pruned_below` (its SyncPruned answer)."""
        if peer_id in self.connected:
            known = self.peer_pruned_below.get(peer_id, 1)
            self.peer_pruned_below[peer_id] = max(known, pruned_below)

    def holds(self, peer_id: PeerId, from_height: Height) -> bool:
        """Whether `peer_id` may hold the block at `from_height` (it did not say it pruned it)."""
        return self.peer_pruned_below.get(peer_id, 1) <= from_height

    def is_pruned_out(self, from_height: Height) -> bool:
        """Peers are connected, and every one of them pruned the block at `from_height`."""
        return bool(self.connected) and not any(
            self.holds(p, from_height) for p in self.connected
        )

    @property
    def best_peer_height(self) -> Height:
        return max(self.peer_heights.values(), default=0)

    def is_behind(self, height: Height) -> bool:
        """A peer announced a height more than one above `height` (ours)."""
        return self.best_peer_height > height + 1

    # --- requests ----------------------------------------------------------------------------

    def plan_request(
        self, from_height: Height, now_ms: TimeMs, peer_id: PeerId | None = None
    ) -> SyncRequestPlan | None:
        """The request to send now for blocks from `from_height`, or None (one is outstanding
        and not yet due for a retry, or no peer is connected)."""
        if self._asked is not None and now_ms - self._asked_at_ms < self.retry_ms:
            self.counters["request_outstanding"] += 1
            return None
        if peer_id is None or peer_id not in self.connected or not self.holds(peer_id, from_height):
            peer_id = self._next_peer(from_height)
            if peer_id is None:
                if self.is_pruned_out(from_height):
                    self.counters["request_every_peer_pruned"] += 1
                return None
        self._asked, self._asked_at_ms = peer_id, now_ms
        return SyncRequestPlan(peer_id, from_height)

    def plan_next(self, peer_id: PeerId, after_height: Height, now_ms: TimeMs) -> SyncRequestPlan:
        """Pipeline: ask the same peer for the batch after the one that just arrived."""
        self._asked, self._asked_at_ms = peer_id, now_ms
        return SyncRequestPlan(peer_id, after_height + 1)

    def accept_response(self, peer_id: PeerId) -> bool:
        """Whether a response from `peer_id` is the one we wait for (then it is no longer)."""
        if self._asked != peer_id:
            self.counters["response_unsolicited"] += 1
            return False
        self._asked = None
        return True

    def _next_peer(self, from_height: Height) -> PeerId | None:
        holding = sorted(p for p in self.connected if self.holds(p, from_height))
        ahead = [p for p in holding if self.peer_heights.get(p, 0) >= from_height]
        candidates = ahead or holding
        if not candidates:
            return None
        self._turn += 1
        return candidates[self._turn % len(candidates)]


def serve_sync(
    book: BookReader, from_height: Height, count: int
) -> SyncResponse | SyncPruned | None:
    """The answer to a peer's SyncRequest: consecutive (block, commit) bytes from
    `from_height`; SyncPruned when that is below the book's first whole block; None when the
    book does not reach it (no answer: the peer asks another after its retry time)."""
    pruned_below = book.load_pruned_below()
    if from_height < pruned_below:
        return SyncPruned(from_height=from_height, pruned_below=pruned_below)
    blocks = book.load_blocks_bytes(
        from_height,
        min(count, limits.sync_blocks_per_response_max),
        limits.sync_response_bytes_max,
    )
    return SyncResponse(blocks=blocks) if blocks else None


__all__ = ["BlockSync", "BookReader", "SyncRequestPlan", "serve_sync"]
