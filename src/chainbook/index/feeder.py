"""Feeding the index off the commit path: the node hands each committed block over, a thread
of the feeder turns batches of them into index rows and writes them.

Rules kept:
- `push(record)` is O(1) and never blocks nor does IO: the commit path only appends to a
  bounded queue (index_queue_blocks_max). Decoding transactions and writing rows happen in
  the feeder's thread, a batch (up to index_batch_blocks_max blocks) per transaction.
- A full queue means the index writes slower than the chain commits: the block is not
  queued, the feeder stops (`lagging` is set, counted in `blocks_dropped`) rather than leave a
  gap, and the index stays at the last height written until the node restarts and feeds it
  from the book. Searches keep answering from what is indexed (TxPage.indexed_height says
  how far).
- Heights arrive in order; the first pushed must follow the index's height (the start-up
  catch-up, `write_now`, brings it there first).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading

from chainbook.apps.registry import Registry
from chainbook.chain.block import Block
from chainbook.index.base import TxIndex
from chainbook.index.entries import IndexedBlock, compute_block_entries
from chainbook.ledger.receipts import Event, Receipt
from chainbook.types import Height

log = logging.getLogger("chainbook.index")

INDEX_QUEUE_BLOCKS_MAX = 256
"""Committed blocks waiting to be indexed; a full queue stops the feeder (see above)."""
INDEX_BATCH_BLOCKS_MAX = 64
"""Blocks written in one index transaction."""

_Item = tuple[Block, list[Receipt], list[Event]]


class IndexFeeder:
    def __init__(
        self,
        index: TxIndex,
        registry: Registry,
        *,
        queue_blocks_max: int = INDEX_QUEUE_BLOCKS_MAX,
        batch_blocks_max: int = INDEX_BATCH_BLOCKS_MAX,
    ) -> None:
        self.index = index
        self.registry = registry
        self.batch_blocks_max = batch_blocks_max
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=queue_blocks_max)
        self._thread: threading.Thread | None = None
        self.lagging = False
        self.blocks_dropped = 0
        self.blocks_written = 0
        self.failure: BaseException | None = None
        self._next_height = index.indexed_height() + 1

    # --- the node's side --------------------------------------------------------------------

    def write_now(self, block: Block, receipts: list[Receipt], events: list[Event]) -> None:
        """Index a block synchronously (the start-up catch-up, before `start`)."""
        assert self._thread is None
        if block.height < self._next_height:
            return  # already indexed
        assert block.height == self._next_height, (block.height, self._next_height)
        self.index.write_blocks([compute_block_entries(block, receipts, events, self.registry)])
        self._next_height += 1

    def start_at(self, height: Height) -> None:
        """The book holds no block below `height` to index (it was started by state sync):
        the index records that it holds everything below (there is nothing) and goes on from
        there. Before `start`, as write_now."""
        assert self._thread is None
        if self._next_height < height:
            self.index.truncate_from(height)  # deletes nothing; indexed height = height - 1
            self._next_height = height

    def truncate_from(self, height: Height) -> None:
        """The book was cut back to height - 1: forget what the index holds from `height`."""
        assert self._thread is None
        if self._next_height > height:
            self.index.truncate_from(height)
            self._next_height = height

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="index-feeder", daemon=True)
        self._thread.start()

    def push(self, block: Block, receipts: list[Receipt], events: list[Event]) -> None:
        if self.lagging or self.failure is not None:
            self.blocks_dropped += 1
            return
        if block.height < self._next_height:
            return  # indexed by the start-up catch-up
        assert block.height == self._next_height, (block.height, self._next_height)
        try:
            self._queue.put_nowait((block, receipts, events))
        except queue.Full:
            self.lagging = True
            self.blocks_dropped += 1
            log.warning("index_lagging", extra={"height": block.height})
            return
        self._next_height += 1

    def stop(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):  # the thread died on a write failure
            self._queue.put(None, timeout=timeout_s)
        self._thread.join(timeout_s)
        self._thread = None

    def wait_idle(self, timeout_s: float) -> bool:
        """True once everything pushed is written (tests)."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout_s)

    # --- the feeder's thread ----------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            items: list[_Item | None] = [first]
            while len(items) < self.batch_blocks_max:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(item is None for item in items)
            blocks = [item for item in items if item is not None]
            try:
                self._write(blocks)
            except Exception as exc:  # the index is derived: log, stop feeding, keep the node
                self.failure = exc
                log.error("index_write_failed", extra={"error": repr(exc)})
                stopping = True
            finally:
                for _ in items:
                    self._queue.task_done()
        if self.failure is not None:
            self._drain_after_failure()

    def _write(self, items: list[_Item]) -> None:
        if not items:
            return
        entries: list[IndexedBlock] = [
            compute_block_entries(block, receipts, events, self.registry)
            for block, receipts, events in items
        ]
        self.index.write_blocks(entries)
        self.blocks_written += len(entries)

    def _drain_after_failure(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
            self._queue.task_done()


__all__ = ["INDEX_BATCH_BLOCKS_MAX", "INDEX_QUEUE_BLOCKS_MAX", "IndexFeeder"]
