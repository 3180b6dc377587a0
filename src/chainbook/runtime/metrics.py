"""Prometheus metrics of one node (its own registry, so tests can run several nodes)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class NodeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.height = Gauge("chainbook_height", "Latest committed height", registry=r)
        self.round = Gauge("chainbook_round", "Consensus round at height + 1", registry=r)
        self.mempool_txs = Gauge("chainbook_mempool_txs", "Transactions in the mempool", registry=r)
        self.peers = Gauge("chainbook_peers", "Connected peers", registry=r)
        self.blocks = Counter("chainbook_blocks_committed", "Blocks committed", registry=r)
        self.txs = Counter("chainbook_txs_committed", "Transactions committed", registry=r)
        self.txs_admitted = Counter(
            "chainbook_txs_admitted", "Transactions admitted to the mempool", registry=r
        )
        self.txs_refused = Counter(
            "chainbook_txs_refused", "Transactions refused at admission", ["code"], registry=r
        )
        self.txs_checked_in_blocks = Counter(
            "chainbook_txs_checked_in_blocks",
            "Transactions whose signature was first checked in a proposed or synced block",
            registry=r,
        )
        self.block_interval = Histogram(
            "chainbook_block_interval_seconds",
            "Time between consecutive block times",
            buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
            registry=r,
        )
        self.book_repairs = Counter(
            "chainbook_book_repairs", "Damaged books detected and repaired", registry=r
        )
        self.peer_messages_dropped = Counter(
            "chainbook_peer_messages_dropped", "Peer messages refused", ["reason"], registry=r
        )

    def text(self) -> bytes:
        return generate_latest(self.registry)


__all__ = ["NodeMetrics"]
