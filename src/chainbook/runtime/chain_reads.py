"""The node's feeding of its transaction index and event stream, and the NodeService reads
built on them (api/service.py), kept out of runtime/node.py so that file stays the driver.

    indexing = NodeIndexing.open(home, config, registry)   before the core boots
    boot_core(..., on_block_replayed=indexing.catch_up)      heights the index lacks
    indexing.after_boot(book_height)                         a book cut back cuts the index
    indexing.start() / indexing.stop()                       the feeder thread
    indexing.on_committed(record)                            each BlockCommitted: O(1)

Rules kept:
- Nothing here is on the commit path: on_committed appends to the feeder's bounded queue and
  to the stream hub's ring; decoding and index writes run in the feeder's thread, the
  stream's decoding only when someone subscribes (api/stream.py).
- The index catches up at start from the replay the node makes anyway (core/book.py), so a
  crash that lost the index's last batches (or the whole file) loses nothing.
"""

from __future__ import annotations

import logging

from chainbook.api.dry_run import dry_run_tx
from chainbook.api.service import MempoolSnapshot
from chainbook.api.stream import EventHub
from chainbook.apps.registry import Registry
from chainbook.chain.block import Block
from chainbook.chain.tx import DecodedTx
from chainbook.core.node import NodeCore
from chainbook.core.outputs import BlockRecord
from chainbook.index.base import TxIndex
from chainbook.index.feeder import IndexFeeder
from chainbook.index.search import IndexUnavailable, TxPage, TxSearch
from chainbook.ledger.execute import BlockResult
from chainbook.ledger.receipts import Event, Receipt
from chainbook.runtime.config import NodeConfig
from chainbook.runtime.home import Home
from chainbook.storage import SqliteBlockStore
from chainbook.types import Hash, Height, TimeMs

log = logging.getLogger("chainbook.runtime")

INDEX_FILE = "index.sqlite"


def open_index(home: Home, config: NodeConfig) -> TxIndex | None:
    if config.index == "off":
        return None
    if config.index == "postgres":
        from chainbook.index.postgres_index import PostgresTxIndex

        return PostgresTxIndex(config.index_postgres_dsn, config.index_postgres_schema)
    from chainbook.index.sqlite_index import SqliteTxIndex

    home.data_dir.mkdir(mode=0o700, exist_ok=True)
    return SqliteTxIndex(home.data_dir / INDEX_FILE)


class NodeIndexing:
    def __init__(self, index: TxIndex | None, registry: Registry) -> None:
        self.index = index
        self.feeder = IndexFeeder(index, registry) if index is not None else None
        self.events = EventHub(registry)
        self.caught_up = 0

    @classmethod
    def open(cls, home: Home, config: NodeConfig, registry: Registry) -> NodeIndexing:
        return cls(open_index(home, config), registry)

    def catch_up(self, block: Block, result: BlockResult) -> None:
        if self.feeder is not None and block.height > self.feeder.index.indexed_height():
            self.feeder.write_now(block, result.receipts, result.events)
            self.caught_up += 1

    def is_behind(self, height: Height) -> bool:
        """The index has not reached `height` (the start must replay from below it)."""
        return self.feeder is not None and self.feeder.index.indexed_height() < height

    def after_boot(self, book_height: Height) -> None:
        if self.feeder is not None:
            self.feeder.truncate_from(book_height + 1)
            if self.caught_up:
                log.info("index_caught_up", extra={"blocks": self.caught_up})

    def start_at(self, height: Height) -> None:
        """A book whose first block with transactions is `height` (state sync)."""
        if self.feeder is not None:
            self.feeder.start_at(height)

    def start(self) -> None:
        if self.feeder is not None:
            self.feeder.start()

    def stop(self) -> None:
        if self.feeder is not None:
            self.feeder.stop()
        if self.index is not None:
            self.index.close()

    def on_committed(self, record: BlockRecord) -> None:
        if self.feeder is not None:
            self.feeder.push(record.block, record.receipts, record.events)
        self.events.publish(record.block, record.receipts, record.events)

    @property
    def indexed_height(self) -> Height | None:
        return None if self.index is None else self.index.indexed_height()


class ChainReads:
    """The NodeService methods over the index, the stream and the ledger state (mixed into
    runtime/node.py's Node beside runtime/reads.py's NodeReads, which answers the book's
    reads; Node provides the attributes below)."""

    store: SqliteBlockStore
    core: NodeCore
    chain_id: str
    indexing: NodeIndexing

    @property
    def events(self) -> EventHub:
        return self.indexing.events

    def find_block_height(self, block_hash: Hash) -> Height | None:
        height: Height | None = self.store.find_block_height(block_hash)
        return height

    def get_block_events(self, height: Height) -> list[Event] | None:
        if self.indexing.index is None:
            return None
        return self.indexing.index.get_block_events(height)

    def search_txs(self, search: TxSearch) -> TxPage:
        if self.indexing.index is None:
            raise IndexUnavailable('this node keeps no transaction index (config index = "off")')
        return self.indexing.index.search(search)

    def get_mempool(self, hashes_max: int) -> MempoolSnapshot:
        mempool = self.core.mempool
        stats = mempool.stats()
        reaped = mempool.reap(hashes_max, 1 << 40)
        return MempoolSnapshot(
            txs=stats.txs, bytes=stats.bytes, senders=stats.senders, hashes=[t.hash for t in reaped]
        )

    def dry_run(self, tx: DecodedTx, time_ms: TimeMs) -> Receipt:
        return dry_run_tx(self.core.ledger.state, self.chain_id, tx, time_ms)


__all__ = ["INDEX_FILE", "ChainReads", "NodeIndexing", "open_index"]
