"""The node runtime: a thin driver of the node core (core/node.py) on asyncio.

This is the only module with a clock, sockets and disk handles for a running node. One asyncio
event loop runs everything: the p2p transport, the HTTP API (uvicorn in the same loop), the
tick that gives the core its time, and the pipes to the signature worker processes. The core
decides; this module turns what happens into the core's inputs and carries out its outputs
strictly in order (core/outputs.py gives the order rules):

    SaveConsensusRecord -> the store's consensus record (fsync'd) before anything after it
    SaveBlock           -> the store (one SQLite transaction, fsync), then BlockSaved is fed back
    Send / Broadcast    -> the transport          Disconnect -> the transport drops the peer
    SetTimer            -> loop.call_later        VerifyTxs  -> the signature workers
    TxsAdmitted         -> the API call waiting   BlockCommitted -> metrics, commit waiters, log
    LogEvent            -> the log                Halt       -> stop, and raise from run()

State sync (config `state_sync = true`, an empty book): the peers and their frames go to a
StateSyncer (core/statesync.py) before the core starts; its RestoreSnapshot output is stored as
the book's checkpoint (SqliteBlockStore.restore_snapshot, one transaction) and the core is
booted again from it, then started, and block-syncs from there. A node with
`snapshot_interval_blocks` takes a snapshot of the state every that many blocks (a worker
thread cuts and writes it, storage/snapshots.py) and its core serves them.

Inputs that arrive while outputs are being carried out (BlockSaved, an answer fed back at
once) are queued and handled after, in arrival order, so the core never re-enters itself.

One file past 550 lines because it is one idea, the core's asyncio driver: its start-up, the
carrying out of every output kind, and the stop and repair paths all touch the same handles
(store, transport, workers, API server); the services beside it are modules of their own
(reads.py, verifier.py, background_verify.py, metrics.py, collector.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import sys
import time
from collections import deque
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import msgspec
import uvicorn

from chainbook import limits
from chainbook.api.service import (
    TxLocation,
)
from chainbook.apps.registry import REGISTRY
from chainbook.chain.commit import Commit
from chainbook.chain.tx import DecodedTx
from chainbook.consensus.machine import StateDivergence
from chainbook.core.book import BookReport
from chainbook.core.boot import boot_core
from chainbook.core.inputs import (
    BlockSaved,
    FrameReceived,
    Input,
    PeerConnected,
    PeerDisconnected,
    Tick,
    TimerFired,
    TxsSubmitted,
    TxsVerified,
    VerifyResult,
)
from chainbook.core.node import CoreSettings
from chainbook.core.outputs import (
    BlockCommitted,
    Broadcast,
    Disconnect,
    Halt,
    LogEvent,
    Output,
    SaveBlock,
    SaveConsensusRecord,
    Send,
    SetTimer,
    TxsAdmitted,
    VerifyTxs,
)
from chainbook.core.private_wire import PurgePrivateData, SavePrivateData
from chainbook.core.snapshots import make_snapshot
from chainbook.core.statesync import RestoreSnapshot, StateSyncer, SyncerOutput, VerifiedSnapshot
from chainbook.errors import (
    BookInUse,
    ConsensusRecordMissing,
    InvalidInput,
    InvalidTransaction,
    MempoolFull,
)
from chainbook.p2p import Transport, TransportConfig
from chainbook.runtime.background_verify import BackgroundVerification, verify_book
from chainbook.runtime.book_start import refuse_foreign_genesis
from chainbook.runtime.chain_reads import ChainReads, NodeIndexing
from chainbook.runtime.collector import tune_garbage_collector
from chainbook.runtime.home import Home, configure_node_logging
from chainbook.runtime.metrics import NodeMetrics, make_metrics_server
from chainbook.runtime.private_service import PrivateDataMixin
from chainbook.runtime.reads import NodeReads
from chainbook.runtime.verifier import SignatureVerifier, verify_inline
from chainbook.storage import (
    PRUNE_BLOCKS_PER_CALL_MAX,
    FileConsensusRecordStore,
    FileSnapshotStore,
    SqliteBlockStore,
    StateCheckpoints,
    consensus_record_path,
    get_book_height_seen,
    load_signing_record,
    open_sqlite_book,
)
from chainbook.storage.private_store import PRIVATE_STORE_FILE_NAME, SqlitePrivateStore
from chainbook.types import Hash, Height

log = logging.getLogger("chainbook.runtime")

TICK_INTERVAL_MS = 10
"""How often the core is given the time (its gossip flush is the finest cadence it keeps)."""
GIL_SWITCH_INTERVAL_S = 0.0005
"""How long the event loop thread may hold the GIL while another thread waits for it."""
LOG_LEVELS = {
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def now_ms() -> int:
    return int(time.time() * 1000)


class Node(NodeReads, ChainReads, PrivateDataMixin):
    """One chainbook node: its book, the node core, p2p, the signature workers and the API."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.config = home.load_config()
        self.key = home.load_key()
        self.genesis = home.load_genesis()
        self.chain_id = self.genesis.chain_id
        self.metrics = NodeMetrics()
        # Another genesis than the book's: refused before anything writes (runtime/book_start.py).
        refuse_foreign_genesis(home.book_path, self.genesis)
        # A damaged file is salvaged first (the readable prefix kept, the rest re-synced).
        self.store, salvage = open_sqlite_book(home.book_path)
        if salvage is not None:
            log.error("book_salvaged", extra=msgspec.to_builtins(salvage))
        # The double-sign guard lives beside the key, not in the book (storage/consensus_record.py):
        # judged before the book is opened, since opening may truncate a damaged tail.
        self.records = FileConsensusRecordStore(consensus_record_path(home.root))
        signing_refused: str | None = None
        record: bytes | None = None
        try:
            record = load_signing_record(self.records, get_book_height_seen(self.store, salvage))
        except ConsensusRecordMissing as exc:
            signing_refused = str(exc)
            log.critical("signing_refused", extra={"reason": signing_refused})
        self.snapshots: FileSnapshotStore | None = None
        if self.config.snapshot_interval_blocks:
            snapshots_dir = home.data_dir / "snapshots"
            self.snapshots = FileSnapshotStore(snapshots_dir, self.config.snapshots_kept)
        self._snapshot_running = False
        # The transaction index and event stream (runtime/chain_reads.py), fed by the replay.
        # An index behind the state checkpoint (new, or deleted) needs the blocks below it
        # replayed too: block events are not stored in the book.
        self.indexing = NodeIndexing.open(home, self.config, REGISTRY)
        # Not below a book's first whole block (pruned, or started by state sync): no replay
        # from genesis is possible there, and the index starts where the book does.
        index_behind = self.indexing.is_behind(self.store.load_state_meta().height)
        index_behind = index_behind and self.store.load_pruned_below() == 1
        booted = boot_core(
            genesis=self.genesis,
            key=self.key,
            store=self.store,
            record=record,
            settings=CoreSettings(),
            signing_refused=signing_refused,
            book=str(home.book_path),
            snapshots=self.snapshots,
            on_block_replayed=self.indexing.catch_up,
            full_verify=index_behind,
        )
        self.core = booted.core
        self.private_store = SqlitePrivateStore(home.book_path.with_name(PRIVATE_STORE_FILE_NAME))
        self.core.private.store = self.private_store
        self.indexing.after_boot(self.core.height)
        if self.store.load_book_base() > 1:  # started by state sync: nothing below to index
            self.indexing.start_at(self.store.load_book_base() + 1)
        self.book_report: BookReport = booted.report
        damaged = booted.report.corrupt_height is not None or salvage is not None
        self.book_repairs = 1 if damaged else 0
        if self.book_repairs:
            self.metrics.book_repairs.inc()
        _log_book_report(booted.report)
        self._state_checkpoints = StateCheckpoints()
        self.transport: Transport | None = None
        self.verifier = SignatureVerifier(self.chain_id, self.config.signature_workers or None)
        self._inputs: deque[Input] = deque()
        self._handling = False
        self._request_ids = itertools.count()
        self._answers: dict[int, list[VerifyResult]] = {}
        self._waiters: dict[Hash, list[asyncio.Future[TxLocation]]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._reported: dict[str, int] = {}
        last = self.core.ledger.last_header
        self._last_block_time_ms: int | None = None if last is None else last.time_ms
        """Core counters already added to the Prometheus counters."""
        self._stopping: asyncio.Event | None = None
        self._closed = False
        """Set once the node stops: inputs still arriving (a peer's last frame, a timer) are
        dropped, so nothing is written after the book's final checkpoint."""
        self._tasks: list[asyncio.Task[None]] = []
        self._failure: BaseException | None = None
        self.background_verification: BackgroundVerification | None = None
        self._metrics_server: uvicorn.Server | None = None
        self._latest_last_commit: Commit | None = None
        """The latest block's last_commit (the missing-validators metrics), once read."""
        self.syncer: StateSyncer | None = None
        """Set while the node state-syncs (its core is not started until it is done)."""
        if self.config.state_sync and self.store.latest_height() == 0:
            self.syncer = StateSyncer(self.genesis)
        elif self.config.state_sync:
            log.info(
                "state_sync_skipped",
                extra={"reason": "the book holds blocks", "height": self.store.latest_height()},
            )
        self._state_sync_started_s = time.monotonic()
        log.info(
            "node_opened",
            extra={
                "height": self.core.height,
                "app_hash": self.core.ledger.state.app_hash.hex(),
                "validator": self.core.is_validator,
                "corrupt_height": booted.report.corrupt_height,
                "checkpoint_height": booted.report.checkpoint_height,
            },
        )

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Run until stop() (or SIGTERM/SIGINT); raises if the node had to halt."""
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        ca_pem, cert_pem = self.home.load_tls()
        self.transport = Transport(
            TransportConfig(
                node_seed=self.key.seed,
                ca_cert_pem=ca_pem,
                node_cert_pem=cert_pem,
                chain_id=self.chain_id,
                frame_bytes_max=limits.frame_bytes_max,
                peers_max=limits.peers_max,
                peer_send_queue_max=limits.peer_send_queue_max,
                listen_host=self.config.p2p_host,
                listen_port=self.config.p2p_port,
                peer_addresses=tuple(self.config.peers),
                network_id=self.genesis.hash,
                reserved_peer_ids=frozenset(
                    v.public_key for v in self.genesis.validator_set.validators
                ),
                revoked_node_ids=self.home.load_revoked_node_ids(),
                unauthenticated_connections_max=limits.unauthenticated_connections_max,
                peer_bans_max=limits.peer_bans_max,
                refusal_log_lines_max=limits.refusal_log_lines_max,
            ),
            on_message=lambda peer, payload: self._handle(FrameReceived(peer, payload)),
            on_peer_disconnected=lambda peer: self._handle(PeerDisconnected(peer)),
            on_peer_connected=lambda peer: self._handle(PeerConnected(peer)),
        )
        await self.verifier.start()
        await self.transport.start()
        if self.syncer is None:  # else once the snapshot is restored (_restore_snapshot)
            self.indexing.start()
        server = self._make_api_server()
        self._tasks = [
            asyncio.create_task(server.serve(), name="api"),
            asyncio.create_task(self._tick_forever(), name="tick"),
            *self._start_side_services(),
        ]
        log.info("node_started", extra={"p2p": self.config.p2p_address, "api": self.config.api_url})
        if self.syncer is None:
            self._carry_out_all(self.core.start(now_ms()))
        else:
            log.info("state_sync_started", extra={"peers": len(self.config.peers)})
        self._drain()
        await self._stopping.wait()
        await self._shut_down(server)
        if self._failure is not None:
            raise self._failure

    async def _shut_down(self, server: uvicorn.Server) -> None:
        """The stop path (SIGTERM): no input is handled any more, the API and p2p close, the
        workers and the background verifier stop, the state checkpoint moves to the latest
        height, and the book closes (SQLite folds its -wal into the file). Every write before
        it was a whole transaction; nothing after it writes."""
        self._closed = True
        server.should_exit = True
        if self._metrics_server is not None:
            self._metrics_server.should_exit = True
        assert self.transport is not None
        await self.transport.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.background_verification is not None:
            await self.background_verification.aclose()
        await self.verifier.aclose()
        self._save_final_checkpoint()
        self.indexing.stop()
        self.store.close()
        self.private_store.close()
        log.info("node_stopped", extra={"height": self.core.height})

    def _save_final_checkpoint(self) -> None:
        """Write the state changes pending since the last checkpoint, so the next start has
        no block to replay. Skipped after a halt: that state is the one that diverged."""
        pending = self._state_checkpoints.take_pending()
        state = self.core.ledger.state
        if self._failure is not None or self.store.latest_height() != state.height:
            return
        if self.store.load_state_meta().height < state.height:
            self.store.advance_state(pending, state.height, state.app_hash)

    def _start_side_services(self) -> list[asyncio.Task[None]]:
        """The background re-verification of the book and the metrics port, if configured."""
        tasks: list[asyncio.Task[None]] = []
        if self.config.book_verify_cpu_share > 0:
            self.background_verification = BackgroundVerification(
                self.home.book_path,
                self.home.genesis_path,
                cpu_share=self.config.book_verify_cpu_share,
                interval_s=self.config.book_verify_interval_s,
                on_report=self._on_book_verified,
                on_progress=self.metrics.book_verify_progress.set,
            )
            run = self.background_verification.run_forever()
            tasks.append(asyncio.create_task(run, name="book-verify"))
        if self.config.metrics_port:
            config = self.config
            self._metrics_server = make_metrics_server(
                self.metrics_text, config.metrics_host, config.metrics_port
            )
            tasks.append(asyncio.create_task(self._metrics_server.serve(), name="metrics"))
        return tasks

    def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    def _make_api_server(self) -> uvicorn.Server:
        from chainbook.api import create_app
        from chainbook.api.server import api_server_config

        app = create_app(self, cors_origins=self.config.api_cors_origins)
        config = api_server_config(app, self.config.api_host, self.config.api_port)
        server = uvicorn.Server(config)
        # The node owns the signals (graceful stop of p2p, store and API together).
        server.capture_signals = _no_signal_capture  # type: ignore[method-assign]
        return server

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_INTERVAL_MS / 1000)
            self._handle(Tick())

    # ------------------------------------------------------------------ driving the core

    def _handle(self, input_: Input) -> None:
        """Feed an input; inputs that arrive meanwhile wait their turn (no re-entry)."""
        if self._closed:
            return
        self._inputs.append(input_)
        self._drain()

    def _handle_for(self, core: object, input_: Input) -> None:
        """An answer to what `core` asked (a timer, signature checks): dropped if the core was
        rebooted since (_repair_book); its batch ids and timers mean nothing to the new one."""
        if core is self.core:
            self._handle(input_)

    def _drain(self) -> None:
        if self._handling:
            return
        self._handling = True
        try:
            while self._inputs and self._failure is None:
                input_ = self._inputs.popleft()
                if self.syncer is not None:
                    self._carry_out_syncer(self.syncer.handle(input_, now_ms()))
                else:
                    self._carry_out_all(self.core.handle(input_, now_ms()))
        finally:
            self._handling = False

    def _carry_out_all(self, outputs: list[Output]) -> None:
        for output in outputs:
            self._carry_out(output)

    def _carry_out_syncer(self, outputs: list[SyncerOutput]) -> None:
        for output in outputs:
            if isinstance(output, RestoreSnapshot):
                self._restore_snapshot(output.snapshot)
            else:
                self._carry_out(output)

    def _restore_snapshot(self, snapshot: VerifiedSnapshot) -> None:
        """The verified snapshot becomes the book's checkpoint (one transaction), the core is
        booted from it and started, and learns of the connected peers: block sync from C + 1."""
        anchor = snapshot.anchor
        hops = [(hop.header, hop.commit, hop.validators) for hop in anchor.hops]
        self.store.restore_snapshot(
            anchor.base_block_bytes,
            anchor.base_block,
            anchor.base_commit,
            snapshot.kv,
            anchor.app_hash,
            hops,
        )
        self.syncer = None
        booted = boot_core(
            genesis=self.genesis,
            key=self.key,
            store=self.store,
            record=self.records.load() or None,
            settings=self.core.settings,
            signing_refused=self.core.signing_refused,
            book=str(self.home.book_path),
            snapshots=self.snapshots,
            restored=(snapshot.kv, snapshot.tree),
        )
        _log_book_report(booted.report)
        self.core, self.book_report = booted.core, booted.report
        self.indexing.start_at(anchor.height + 1)
        self.indexing.start()
        assert self.core.height == anchor.height
        self._state_checkpoints = StateCheckpoints()
        last = self.core.ledger.last_header
        self._last_block_time_ms = None if last is None else last.time_ms
        log.info(
            "state_sync_restored",
            extra={
                "height": anchor.height,
                "app_hash": anchor.app_hash.hex(),
                "elapsed_s": round(time.monotonic() - self._state_sync_started_s, 3),
            },
        )
        self._carry_out_all(self.core.start(now_ms()))
        assert self.transport is not None
        for peer in self.transport.connected_peers():
            self._inputs.append(PeerConnected(peer.peer_id))

    def _take_snapshot(self, height: Height) -> None:
        """Every snapshot_interval_blocks: cut the state after `height` into a snapshot in a
        worker thread (a copy of the state: the next blocks change it meanwhile), then offer
        it. One at a time; one due while another is written is skipped (logged)."""
        snapshots = self.snapshots
        if snapshots is None or height % self.config.snapshot_interval_blocks:
            return
        if self._snapshot_running:
            log.warning("snapshot_skipped", extra={"height": height, "reason": "one is running"})
            return
        self._snapshot_running = True
        kv = dict(self.core.ledger.state.kv)

        async def take() -> None:
            started = time.monotonic()
            try:
                offer, chunks = await asyncio.to_thread(make_snapshot, kv, height)
                await asyncio.to_thread(snapshots.write, offer, chunks)
                snapshots.add(offer)
            except OSError as exc:
                log.error("snapshot_failed", extra={"height": height, "reason": str(exc)})
                return
            finally:
                self._snapshot_running = False
            log.info(
                "snapshot_taken",
                extra={
                    "height": height,
                    "chunks": len(chunks),
                    "state_bytes": offer.state_bytes,
                    "elapsed_s": round(time.monotonic() - started, 3),
                },
            )

        self._spawn(take())

    def _carry_out(self, output: Output) -> None:
        match output:
            case SaveConsensusRecord(record=record):
                self.records.save(record)  # fsync'd before anything after it is sent
            case SaveBlock(record=record):
                changes = self._state_checkpoints.changes_to_save(record.height, record.changes)
                self.store.save_block(
                    record.block_bytes,
                    record.block,
                    record.commit,
                    record.receipts,
                    changes,
                    record.app_hash,
                )
                self._inputs.append(BlockSaved(record.height))
            case Send(peer_id=peer_id, payload=payload):
                assert self.transport is not None
                self.transport.send(peer_id, payload)
            case Broadcast(payload=payload):
                assert self.transport is not None
                self.transport.broadcast(payload)
            case Disconnect(peer_id=peer_id, reason=reason):
                assert self.transport is not None
                self.metrics.peer_messages_dropped.labels("peer_disconnected").inc()
                if output.ban_ms > 0:
                    self.transport.ban(peer_id, output.ban_ms, reason)
                else:
                    self.transport.disconnect(peer_id, reason)
            case SetTimer(kind=kind, height=height, round=round_, duration_ms=ms):
                timer = TimerFired(kind, height, round_)
                asyncio.get_running_loop().call_later(
                    max(ms, 0) / 1000, self._handle_for, self.core, timer
                )
            case VerifyTxs(batch_id=batch_id, txs=txs, hashes=hashes):
                self._spawn(self._verify(batch_id, txs, hashes))
            case TxsAdmitted(request_id=request_id, results=results):
                self._answers[request_id] = results
            case BlockCommitted():
                self._on_committed(output)
            case LogEvent(level=level, event=event, fields=fields):
                log.log(LOG_LEVELS.get(level, logging.INFO), event, extra=fields)
                if event == "equivocation_evidence":
                    self.metrics.observe_equivocation(bytes.fromhex(str(fields["validator"])))
            case Halt(reason=reason):
                self._failure = StateDivergence(reason)
                self.stop()
            case SavePrivateData() | PurgePrivateData():
                self.private_store.carry_out(output)

    async def _verify(self, batch_id: int, txs: list[bytes], hashes: list[Hash]) -> None:
        core = self.core
        results = await self.verifier.verify(txs, hashes)
        self._handle_for(core, TxsVerified(batch_id, list(results)))

    def _on_committed(self, committed: BlockCommitted) -> None:
        record = committed.record
        block = record.block
        self.metrics.blocks.inc()
        self.metrics.txs.inc(len(block.txs))
        self._latest_last_commit = block.last_commit
        self._prune_old_blocks(block.height)
        self._take_snapshot(block.height)
        if self._last_block_time_ms is not None:
            interval_s = (block.header.time_ms - self._last_block_time_ms) / 1000
            self.metrics.block_interval.observe(max(interval_s, 0.0))
        self._last_block_time_ms = block.header.time_ms
        self.indexing.on_committed(record)
        log.info(
            "block_committed",
            extra={
                "height": block.height,
                "txs": len(block.txs),
                "hash": block.hash.hex(),
                "round": committed.round,
            },
        )
        if not self._waiters:
            return
        for index, (hash_, receipt) in enumerate(
            zip(block.tx_hashes, record.receipts, strict=True)
        ):
            waiters = self._waiters.pop(hash_, None)
            if waiters:
                location = TxLocation(height=block.height, index=index, receipt=receipt)
                for future in waiters:
                    if not future.done():
                        future.set_result(location)

    # ------------------------------------------------------------------ book repair

    def _on_book_verified(self, report: BookReport) -> None:
        """What the background re-verification found (runtime/background_verify.py)."""
        if report.corrupt_height is None and report.state_table_matches is not False:
            log.info("book_verified", extra={"height": report.height})
            return
        if report.pruned_below > 1:
            # No history to replay a repair from; the live state descends from the checkpoint.
            log.critical(
                "book_corrupt",
                extra={
                    "height": report.corrupt_height,
                    "reason": report.reason,
                    "found_by": "background_verify",
                    "what_to_do": "a pruned book cannot be repaired in place: stop the node, "
                    "move data/ aside, start it to sync from a peer that keeps every block",
                },
            )
            return
        self._repair_book(report)

    def _prune_old_blocks(self, height: Height) -> None:
        """Keep the transactions of the last `prune_keep_blocks` blocks only (0: all; a batch
        per commit, storage/pruning.py)."""
        keep = self.config.prune_keep_blocks
        if keep and height > keep:
            self.store.prune_blocks(height - keep + 1, PRUNE_BLOCKS_PER_CALL_MAX)

    def _repair_book(self, report: BookReport) -> None:
        """Damage the background re-verification found below the checkpoint: what a start
        does when it finds damage, while running. The book is cut at the damaged block, the
        core booted again by a full replay (which also rewrites the state table), and block
        sync fetches the rest from peers. A full replay takes as long as starts took before
        checkpoints; it happens only for a damaged book."""
        state_damage = "" if report.state_table_matches is not False else " (state table)"
        log.error(
            "book_corrupt",
            extra={
                "height": report.corrupt_height,
                "reason": report.reason or f"the state table differs from the replay{state_damage}",
                "found_by": "background_verify",
            },
        )
        self.book_repairs += 1
        self.metrics.book_repairs.inc()
        if report.corrupt_height is not None:
            self.store.truncate_from(report.corrupt_height)
        booted = boot_core(
            genesis=self.genesis,
            key=self.key,
            store=self.store,
            record=self.records.load() or None,
            settings=self.core.settings,
            signing_refused=self.core.signing_refused,
            full_verify=True,
            book=str(self.home.book_path),
            snapshots=self.snapshots,
        )
        _log_book_report(booted.report)
        self.core, self.book_report = booted.core, booted.report
        self.core.private.store = self.private_store
        self._state_checkpoints = StateCheckpoints()
        self._reported.clear()
        self._latest_last_commit = None
        last = self.core.ledger.last_header
        self._last_block_time_ms = None if last is None else last.time_ms
        self._carry_out_all(self.core.start(now_ms()))
        assert self.transport is not None
        for peer in self.transport.connected_peers():
            self._inputs.append(PeerConnected(peer.peer_id))
        self._drain()

    # ------------------------------------------------------------------ peers

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ NodeService

    def submit_tx(self, tx_bytes: bytes) -> DecodedTx:
        self._verify_api_capacity()
        result = self._submit([tx_bytes], [verify_inline(self.chain_id, tx_bytes)])[0]
        if isinstance(result, InvalidInput):
            raise result
        return result

    async def submit_txs(self, txs: list[bytes]) -> list[DecodedTx | InvalidInput]:
        try:
            self._verify_api_capacity()
        except MempoolFull as exc:
            self._count_api_refusal(exc)
            return [exc] * len(txs)
        checked = list(await self.verifier.verify(txs))
        return self._submit(txs, checked)

    def _submit(self, txs: list[bytes], checked: list[VerifyResult]) -> list[VerifyResult]:
        request_id = next(self._request_ids)
        self._handle(TxsSubmitted(request_id, txs, checked))
        results = self._answers.pop(request_id)
        for result in results:
            if isinstance(result, InvalidInput):
                self._count_api_refusal(result)
        return results

    def _verify_api_capacity(self) -> None:
        if self.syncer is not None:
            raise MempoolFull("the node is state-syncing and admits no transactions yet; retry")
        if self.core.is_at_api_capacity():
            pending = len(self.core.mempool)
            raise MempoolFull(
                f"{pending} transactions pending, the API admits new ones below "
                f"{limits.mempool_txs_api_max}; retry later"
            )

    def _count_api_refusal(self, exc: InvalidInput) -> None:
        code = exc.code if isinstance(exc, InvalidTransaction) else "decode_error"
        self.metrics.txs_refused.labels(code).inc()

    async def wait_for_tx(self, tx_hash: Hash, timeout_s: float) -> TxLocation | None:
        location = self.get_tx(tx_hash)
        if location is not None:
            return location
        future: asyncio.Future[TxLocation] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(tx_hash, []).append(future)
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            return None
        finally:
            waiters = self._waiters.get(tx_hash)
            if waiters and future in waiters:
                waiters.remove(future)
                if not waiters:
                    del self._waiters[tx_hash]


def _log_book_report(report: BookReport) -> None:
    if report.corrupt_height is not None:
        log.error("book_corrupt", extra={"height": report.corrupt_height, "reason": report.reason})
    if report.state_table_rewritten:
        log.warning("state_table_rewritten", extra={"height": report.height})


@contextlib.contextmanager
def _no_signal_capture() -> Iterator[None]:
    yield


def run_node(home: Path) -> None:
    """Entry point of `chainbook node start --home H` (blocking until stopped)."""
    home_ = Home(Path(home))
    config = home_.load_config()
    configure_node_logging(home_, config)
    # The index feeder's thread (index/feeder.py) shares the GIL with the event loop: a short
    # switch interval keeps either from waiting 5 ms (the default) behind the other.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    node = Node(home_)
    tune_garbage_collector()
    try:
        import uvloop

        uvloop.run(node.run())
    except ImportError:
        asyncio.run(node.run())


def verify_home(home: Path) -> BookReport:
    """`chainbook verify`: re-verify a node's whole book without changing it; beside a running
    node (which holds the book), through a read-only connection."""
    home_ = Home(Path(home))
    genesis = home_.load_genesis()
    try:
        store = SqliteBlockStore(home_.book_path)
    except BookInUse:
        store = SqliteBlockStore(home_.book_path, read_only=True)
    try:
        return verify_book(store, genesis)
    finally:
        store.close()


__all__ = ["Node", "run_node", "verify_home"]
