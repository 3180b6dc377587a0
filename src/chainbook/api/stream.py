"""The live stream of committed blocks: the hub the node publishes to, filters, and the
messages a WebSocket subscriber receives (api/stream_routes.py serves them at /events).

Rules kept:
- One message per height, never split: {"type": "height", "height": h, "block": ...,
  "txs": [...], "events": [...]} holds everything of height h that matches the subscriber's
  filter. A client that remembers the last height it received and reconnects with
  from_height = that + 1 gets every later height exactly once: no gap, no duplicate.
- A height with nothing matching is not sent (with "blocks" among the kinds, every height
  matches).
- Publishing is O(subscribers) and does no decoding when nobody listens; what a block holds
  is computed once (index/entries.py) and shared by every subscriber.
- Every subscriber has a bounded queue (STREAM_PENDING_HEIGHTS_MAX heights). One that falls
  that far behind is closed with code 4008 and a reason naming the limit and the height to
  resume from; at most STREAM_SUBSCRIBERS_MAX subscribe at once (the next is closed, 1013).
- The hub keeps the last STREAM_RECENT_HEIGHTS_MAX blocks for resuming; older heights are
  loaded from the node's book and index, at most STREAM_REPLAY_HEIGHTS_MAX per subscription.
- publish() may be called from any thread: each subscriber is fed on its own event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.block import Block
from chainbook.index.entries import IndexedBlock, IndexedTx, compute_block_entries
from chainbook.ledger.receipts import Event, Receipt
from chainbook.types import Address, Height

STREAM_SUBSCRIBERS_MAX = 64
STREAM_PENDING_HEIGHTS_MAX = 256
"""Heights queued for one subscriber before it is closed as too slow."""
STREAM_RECENT_HEIGHTS_MAX = 256
STREAM_REPLAY_HEIGHTS_MAX = 10_000
"""Heights one subscription may ask to replay (from_height below the latest)."""
STREAM_KINDS = ("blocks", "txs", "events")

CLOSE_TOO_SLOW = 4008
CLOSE_BAD_REQUEST = 4400
CLOSE_TRY_LATER = 1013

BlockLoader = Callable[[Height], tuple[Block, list[Receipt], list[Event] | None] | None]


class StreamFilter(msgspec.Struct, frozen=True):
    kinds: frozenset[str] = frozenset(STREAM_KINDS)
    module: str | None = None
    event_type: str | None = None
    """"<module>.<kind>"."""
    account: Address | None = None
    item: str | None = None
    """An item id: matches an event with an attribute of this value (an asset id, a
    document hash) and a transaction with such an event or a top-level field of this value."""


# --- messages ---------------------------------------------------------------------------------


class StreamEventView(msgspec.Struct, frozen=True):
    tx_index: int | None
    """None for a block-level event (begin-block: the bank's mint)."""
    module: str
    kind: str
    attributes: list[tuple[str, str]]


class StreamTxView(msgspec.Struct, frozen=True):
    hash: str
    index: int
    sender: str
    nonce: int
    module: str
    action: str
    fields: dict[str, Any]
    ok: bool
    code: str
    error: str
    event_types: list[str]


class StreamBlockView(msgspec.Struct, frozen=True):
    hash: str
    time_ms: int
    proposer: str
    tx_count: int


class StreamMessage(msgspec.Struct, frozen=True, tag="height", tag_field="type"):
    height: int
    block: StreamBlockView | None
    txs: list[StreamTxView]
    events: list[StreamEventView]


class SubscribedMessage(msgspec.Struct, frozen=True, tag="subscribed", tag_field="type"):
    from_height: int
    """The first height this subscription will send (when something matches)."""
    latest_height: int


# --- matching ----------------------------------------------------------------------------------


def is_tx_match(tx: IndexedTx, wanted: StreamFilter) -> bool:
    named = wanted.module is None or tx.module == wanted.module
    if not named and all(e.module != wanted.module for e in tx.events):
        return False
    if wanted.event_type is not None and wanted.event_type not in tx.event_types:
        return False
    if wanted.account is not None and wanted.account not in tx.accounts:
        return False
    if wanted.item is not None:
        in_events = any(v == wanted.item for e in tx.events for _, v in e.attributes)
        if not in_events and wanted.item not in tx.fields.values():
            return False
    return True


def is_event_match(event: Event, tx: IndexedTx | None, wanted: StreamFilter) -> bool:
    if wanted.module is not None and event.module != wanted.module:
        return False
    if wanted.event_type is not None and f"{event.module}.{event.kind}" != wanted.event_type:
        return False
    values = [v for _, v in event.attributes]
    if wanted.account is not None:
        named = wanted.account.hex() in values
        if not named and (tx is None or wanted.account not in tx.accounts):
            return False
    return wanted.item is None or wanted.item in values


def compute_message(block: IndexedBlock, wanted: StreamFilter) -> StreamMessage | None:
    """What of `block` this subscriber receives, or None when nothing matches."""
    txs: list[StreamTxView] = []
    events: list[StreamEventView] = []
    if "events" in wanted.kinds:
        for event in block.block_events:
            if is_event_match(event, None, wanted):
                events.append(StreamEventView(None, event.module, event.kind, event.attributes))
    for tx in block.txs:
        if "txs" in wanted.kinds and is_tx_match(tx, wanted):
            txs.append(view_stream_tx(tx))
        if "events" in wanted.kinds:
            for event in tx.events:
                if is_event_match(event, tx, wanted):
                    events.append(
                        StreamEventView(tx.index, event.module, event.kind, event.attributes)
                    )
    header: StreamBlockView | None = None
    if "blocks" in wanted.kinds:
        header = StreamBlockView(
            hash=block.hash.hex(),
            time_ms=block.time_ms,
            proposer=block.proposer.hex(),
            tx_count=len(block.txs),
        )
    if header is None and not txs and not events:
        return None
    return StreamMessage(height=block.height, block=header, txs=txs, events=events)


def view_stream_tx(tx: IndexedTx) -> StreamTxView:
    return StreamTxView(
        hash=tx.hash.hex(),
        index=tx.index,
        sender=tx.sender.hex(),
        nonce=tx.nonce,
        module=tx.module,
        action=tx.action,
        fields=tx.fields,
        ok=tx.ok,
        code=tx.code,
        error=tx.error,
        event_types=tx.event_types,
    )


# --- the hub -----------------------------------------------------------------------------------


class TooManySubscribers(Exception):
    pass


class _Published:
    """A committed block as published; its entries computed at most once."""

    __slots__ = ("_entries", "block", "events", "receipts")

    def __init__(self, block: Block, receipts: list[Receipt], events: list[Event]) -> None:
        self.block = block
        self.receipts = receipts
        self.events = events
        self._entries: IndexedBlock | None = None

    def entries(self, registry: Registry) -> IndexedBlock:
        if self._entries is None:
            self._entries = compute_block_entries(
                self.block, self.receipts, self.events, registry
            )
        return self._entries


class Subscription:
    """One subscriber's queue of published heights, on the subscriber's event loop."""

    def __init__(self, hub: EventHub, wanted: StreamFilter, pending_max: int) -> None:
        self.hub = hub
        self.wanted = wanted
        self.pending_max = pending_max
        self.loop = asyncio.get_running_loop()
        self._queue: deque[_Published] = deque()
        self._ready = asyncio.Event()
        self.too_slow = False

    def offer(self, published: _Published) -> None:
        """Called on the subscriber's loop."""
        if self.too_slow:
            return
        if len(self._queue) >= self.pending_max:
            self.too_slow = True
        else:
            self._queue.append(published)
        self._ready.set()

    async def next(self) -> IndexedBlock | None:
        """The next published block, or None when the subscriber fell too far behind."""
        while not self._queue and not self.too_slow:
            self._ready.clear()
            await self._ready.wait()
        if self.too_slow:
            return None
        return self._queue.popleft().entries(self.hub.registry)

    def close(self) -> None:
        self.hub.unsubscribe(self)


class EventHub:
    def __init__(
        self,
        registry: Registry = REGISTRY,
        *,
        subscribers_max: int = STREAM_SUBSCRIBERS_MAX,
        pending_heights_max: int = STREAM_PENDING_HEIGHTS_MAX,
        recent_heights_max: int = STREAM_RECENT_HEIGHTS_MAX,
    ) -> None:
        self.registry = registry
        self.subscribers_max = subscribers_max
        self.pending_heights_max = pending_heights_max
        self._recent: deque[_Published] = deque(maxlen=recent_heights_max)
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()
        self.latest_height: Height = 0
        self.closed_too_slow = 0

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, block: Block, receipts: list[Receipt], events: list[Event]) -> None:
        """A block was committed (heights in order). Cheap when nobody subscribes."""
        published = _Published(block, receipts, events)
        with self._lock:
            if self._recent and block.height != self._recent[-1].block.height + 1:
                self._recent.clear()  # a jump (a fake node's test chain): keep no stale run
            self._recent.append(published)
            self.latest_height = block.height
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            if _is_on_loop(subscription.loop):
                subscription.offer(published)
            else:
                subscription.loop.call_soon_threadsafe(subscription.offer, published)

    def subscribe(self, wanted: StreamFilter) -> Subscription:
        with self._lock:
            if len(self._subscribers) >= self.subscribers_max:
                raise TooManySubscribers(
                    f"{len(self._subscribers)} subscribers, limit {self.subscribers_max}"
                )
            subscription = Subscription(self, wanted, self.pending_heights_max)
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def get_recent(self, height: Height) -> IndexedBlock | None:
        with self._lock:
            recent = list(self._recent)
        if not recent or not recent[0].block.height <= height <= recent[-1].block.height:
            return None
        published = recent[height - recent[0].block.height]
        assert published.block.height == height
        return published.entries(self.registry)


def _is_on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


__all__ = [
    "CLOSE_BAD_REQUEST",
    "CLOSE_TOO_SLOW",
    "CLOSE_TRY_LATER",
    "STREAM_KINDS",
    "STREAM_PENDING_HEIGHTS_MAX",
    "STREAM_RECENT_HEIGHTS_MAX",
    "STREAM_REPLAY_HEIGHTS_MAX",
    "STREAM_SUBSCRIBERS_MAX",
    "BlockLoader",
    "EventHub",
    "StreamFilter",
    "StreamMessage",
    "Subscription",
    "SubscribedMessage",
    "TooManySubscribers",
    "compute_message",
]
