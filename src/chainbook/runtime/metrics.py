"""Prometheus metrics of one node (its own registry, so tests can run several nodes).

The families a monitoring team running CometBFT nodes expects have an equivalent here
(CometBFT's name in brackets):

    chainbook_height, chainbook_round                       [consensus_height, _rounds]
    chainbook_validators, chainbook_validators_power        [consensus_validators(_power)]
    chainbook_missing_validators(_power)                    [consensus_missing_validators(_power)]
        validators whose precommit is not in the latest block's last_commit (the canonical
        commit of the block before it, the same on every node)
    chainbook_byzantine_validators(_power)                  [consensus_byzantine_validators(_power)]
        validators this node saw sign two different votes for one (height, round, type),
        since it started; chainbook_equivocations_seen counts each such pair
    chainbook_syncing                                       [blocksync_syncing]
    chainbook_latest_block_time_seconds                     [consensus_latest_block_height's time]
        an alert on `time() - this` catches a stalled chain (an idle chain still makes an
        empty block every consensus.empty_block_interval_ms)
    chainbook_block_interval_seconds                        [consensus_block_interval_seconds]
    chainbook_peers                                         [p2p_peers]
    chainbook_p2p_bytes_received / _sent                    [p2p_peer_receive/send_bytes_total]
        payload bytes of the node's frames, all peers together (p2p/stats.py)
    chainbook_mempool_txs                                   [mempool_size]
    chainbook_book_file_bytes                               the book's SQLite file and its -wal
    chainbook_book_verify_progress_ratio, chainbook_book_repairs
    process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds,
    process_max_fds, ...                                    (prometheus_client's process
                                                             collector, as every Go exporter)

They are served at /metrics on the API port and, when `metrics_port` is set, on a port of
their own (make_metrics_server), so monitoring can reach them without reaching the API.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chainbook import limits
from chainbook.chain.commit import Commit
from chainbook.chain.validators import ValidatorSet

METRICS_CONNECTIONS_MAX = 16
"""Concurrent connections the metrics port takes (a scraper or two); 503 beyond."""
BYZANTINE_TRACKED_MAX = limits.power_total_max
"""Equivocating validators remembered (each has power >= 1, so no set holds more)."""


class NodeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
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
            buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60),
            registry=r,
        )
        self.book_repairs = Counter(
            "chainbook_book_repairs", "Damaged books detected and repaired", registry=r
        )
        self.peer_messages_dropped = Counter(
            "chainbook_peer_messages_dropped", "Peer messages refused", ["reason"], registry=r
        )
        self.validators = Gauge(
            "chainbook_validators", "Validators of the next height", registry=r
        )
        self.validators_power = Gauge(
            "chainbook_validators_power", "Total voting power of the next height", registry=r
        )
        self.missing_validators = Gauge(
            "chainbook_missing_validators",
            "Validators without a precommit in the latest block's last_commit",
            registry=r,
        )
        self.missing_validators_power = Gauge(
            "chainbook_missing_validators_power",
            "Voting power of the validators missing from the latest block's last_commit",
            registry=r,
        )
        self.byzantine_validators = Gauge(
            "chainbook_byzantine_validators",
            "Validators seen signing two different votes for one height, round and type",
            registry=r,
        )
        self.byzantine_validators_power = Gauge(
            "chainbook_byzantine_validators_power",
            "Voting power of the validators seen equivocating",
            registry=r,
        )
        self.equivocations = Counter(
            "chainbook_equivocations_seen", "Pairs of conflicting votes seen", registry=r
        )
        self.syncing = Gauge(
            "chainbook_syncing", "1 while the node catches up by block sync", registry=r
        )
        self.latest_block_time = Gauge(
            "chainbook_latest_block_time_seconds",
            "Time of the latest committed block (Unix seconds)",
            registry=r,
        )
        self.p2p_bytes_received = Counter(
            "chainbook_p2p_bytes_received", "Payload bytes received from peers", registry=r
        )
        self.p2p_bytes_sent = Counter(
            "chainbook_p2p_bytes_sent", "Payload bytes sent to peers", registry=r
        )
        self.book_file_bytes = Gauge(
            "chainbook_book_file_bytes", "Size of the book's SQLite file and its -wal", registry=r
        )
        self.book_verify_progress = Gauge(
            "chainbook_book_verify_progress_ratio",
            "Progress of the background re-verification of the book (0..1)",
            registry=r,
        )
        self._byzantine: set[bytes] = set()
        self._counted: dict[str, int] = {}

    def text(self) -> bytes:
        return generate_latest(self.registry)

    # --- updates at scrape time and on events --------------------------------------------------

    def observe_validators(self, validators: ValidatorSet, last_commit: Commit | None) -> None:
        """The validator gauges, from the set and the latest block's last_commit."""
        self.validators.set(len(validators.validators))
        self.validators_power.set(validators.power_total)
        missing = []
        if last_commit is not None:
            signed = {s.validator_index for s in last_commit.signatures}
            missing = [v for i, v in enumerate(validators.validators) if i not in signed]
        self.missing_validators.set(len(missing))
        self.missing_validators_power.set(sum(v.power for v in missing))
        byzantine = [v for v in validators.validators if v.address in self._byzantine]
        self.byzantine_validators.set(len(byzantine))
        self.byzantine_validators_power.set(sum(v.power for v in byzantine))

    def observe_equivocation(self, validator: bytes) -> None:
        self.equivocations.inc()
        if len(self._byzantine) < BYZANTINE_TRACKED_MAX:
            self._byzantine.add(validator)

    def observe_totals(self, totals: Iterable[tuple[str, int]]) -> None:
        """Monotonic totals kept elsewhere (the transport's byte counts) -> their counters."""
        counters = {"p2p_bytes_received": self.p2p_bytes_received}
        counters["p2p_bytes_sent"] = self.p2p_bytes_sent
        for name, total in totals:
            new = total - self._counted.get(name, 0)
            if new > 0:
                counters[name].inc(new)
            self._counted[name] = total

    def observe_book_file(self, book_path: Path) -> None:
        size = 0
        for path in (book_path, book_path.with_name(book_path.name + "-wal")):
            with contextlib.suppress(OSError):
                size += path.stat().st_size
        self.book_file_bytes.set(size)


def make_metrics_server(render: Callable[[], bytes], host: str, port: int) -> uvicorn.Server:
    """A server of GET /metrics alone, on a port of its own (the node starts and stops it)."""

    async def metrics(request: Request) -> Response:
        return Response(render(), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(routes=[Route("/metrics", metrics, methods=["GET"])])
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        limit_concurrency=METRICS_CONNECTIONS_MAX,
    )
    server = uvicorn.Server(config)
    server.capture_signals = _no_signal_capture  # type: ignore[method-assign]
    return server


@contextlib.contextmanager
def _no_signal_capture() -> Iterator[None]:
    yield


__all__ = ["METRICS_CONNECTIONS_MAX", "NodeMetrics", "make_metrics_server"]
