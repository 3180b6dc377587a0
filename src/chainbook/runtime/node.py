"""The node runtime: feeds the pure core with events and carries out its effects.

This is the only module with a clock, sockets and disk handles. One asyncio event loop runs
everything: the p2p transport, the HTTP API (uvicorn in the same loop) and the consensus
machine. Rules kept:
- Effects are performed strictly in the order the machine returns them (consensus/effects.py):
  the consensus record is durable before the vote it covers is sent; a decided block is saved
  (one SQLite transaction, fsync) before the ledger state and the mempool move on.
- A zero-length timeout (a block decided through sync) is fed back at once, so a node that
  catches up runs at the speed of verification.
- A StateDivergence (our ledger disagrees with a block > 2/3 of the validators committed)
  stops the node with a critical log line rather than letting it fork.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from chainbook import codec, limits, merkle
from chainbook.api.service import (
    AccountView,
    NodeStatus,
    PeerView,
    TxLocation,
    TxProof,
    ValidatorView,
)
from chainbook.chain.block import Block, decode_block, encode_block
from chainbook.chain.commit import Commit, SignedProposal
from chainbook.chain.tx import DecodedTx, tx_hash
from chainbook.consensus.effects import (
    Broadcast,
    CommitBlock,
    Effect,
    EvidenceFound,
    FallenBehind,
    PersistState,
    ScheduleTimeout,
)
from chainbook.consensus.events import (
    CommitReceived,
    Event,
    ProposalReceived,
    Resend,
    TimeoutElapsed,
    VoteReceived,
)
from chainbook.consensus.machine import ConsensusMachine, StateDivergence
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.book import BookReport, open_book
from chainbook.core.mempool import Mempool
from chainbook.core.wire import (
    StatusMessage,
    SyncRequest,
    SyncResponse,
    TxsMessage,
    WireMessage,
    decode_message,
    encode_message,
)
from chainbook.errors import (
    DecodeError,
    InvalidInput,
    InvalidTransaction,
    MempoolFull,
    PeerMisbehaved,
)
from chainbook.ledger.application import LedgerApplication
from chainbook.ledger.state import get_balance, get_nonce
from chainbook.p2p import PeerMisbehaved as TransportPeerMisbehaved
from chainbook.p2p import Transport, TransportConfig
from chainbook.runtime.home import Home, configure_logging
from chainbook.runtime.metrics import NodeMetrics
from chainbook.runtime.verifier import SignatureVerifier
from chainbook.storage.base import StateCheckpoints
from chainbook.storage.sqlite import SqliteBlockStore
from chainbook.types import Address, Hash, Height

log = logging.getLogger("chainbook.runtime")

RESEND_INTERVAL_S = 1.0
"""How often our own latest votes and proposal are re-sent (recovers lost messages)."""
STATUS_INTERVAL_S = 1.0
"""How often our height is announced to peers (tells laggards to sync)."""
GOSSIP_FLUSH_S = 0.01
"""Admitted transactions are batched this long before being sent to peers."""
GIL_SWITCH_INTERVAL_S = 0.0005
"""How long the event loop thread may hold the GIL while a signature thread waits for it."""
SYNC_RETRY_S = 2.0
"""A sync request without an answer after this long may be sent again (to another peer)."""


def now_ms() -> int:
    return int(time.time() * 1000)


class Node:
    """One chainbook node: book, ledger, mempool, consensus, p2p and API."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.config = home.load_config()
        self.key = home.load_key()
        self.genesis = home.load_genesis()
        self.chain_id = self.genesis.chain_id
        self.metrics = NodeMetrics()
        self.store = SqliteBlockStore(home.book_path)
        opened = open_book(self.store, self.genesis)
        self.book_report: BookReport = opened.report
        self.book_repairs = 1 if opened.report.corrupt_height is not None else 0
        if self.book_repairs:
            self.metrics.book_repairs.inc()
        self.mempool = Mempool(self.chain_id, opened.state)
        self._state_checkpoints = StateCheckpoints()
        self.app = LedgerApplication(self.genesis, opened.state, opened.last_header, self.mempool)
        height = opened.state.height
        is_validator = self.genesis.validator_set.is_validator(self.key.address)
        self.machine = ConsensusMachine(
            chain_id=self.chain_id,
            app=self.app,
            params=self.genesis.consensus,
            key=self.key if is_validator else None,
            height=height + 1,
            last_commit=self.store.load_commit(height) if height else None,
            record=self.store.load_consensus_state() if is_validator else None,
        )
        self.transport: Transport | None = None
        self.verifier = SignatureVerifier(self.chain_id, self.config.verify_threads or None)
        self._admission_queue: deque[bytes] = deque()
        """Gossiped transactions waiting for their signature check (bounded)."""
        self._admission_wakeup = asyncio.Event()
        no_batch = asyncio.Event()
        no_batch.set()
        self._gossip_checking: tuple[frozenset[Hash], asyncio.Event] = (frozenset(), no_batch)
        """The gossip batch in the signature workers now, and its end (set once admitted)."""
        self._sync_lock = asyncio.Lock()
        self._admitted_unreported = 0
        self._checked_in_blocks_reported = 0
        self._recently_committed: OrderedDict[Hash, None] = OrderedDict()
        """Hashes of the latest committed transactions, oldest first (bounded)."""
        self._background: set[asyncio.Task[None]] = set()
        self._random = random.Random(self.key.seed)
        self._waiters: dict[Hash, list[asyncio.Future[TxLocation]]] = {}
        self._gossip_buffer: list[bytes] = []
        self._peer_heights: dict[bytes, Height] = {}
        self._sync_requested_at = 0.0
        self._stopping: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._failure: BaseException | None = None
        log.info(
            "node_opened",
            extra={
                "height": height,
                "app_hash": opened.state.app_hash.hex(),
                "validator": is_validator,
                "corrupt_height": opened.report.corrupt_height,
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
                peer_addresses=tuple(_parse_peers(self.config.peers)),
            ),
            on_message=self._on_peer_message,
            on_peer_connected=self._on_peer_connected,
        )
        await self.verifier.start()
        await self.transport.start()
        server = self._make_api_server()
        self._tasks = [
            asyncio.create_task(server.serve(), name="api"),
            asyncio.create_task(self._every(RESEND_INTERVAL_S, self._resend), name="resend"),
            asyncio.create_task(self._every(STATUS_INTERVAL_S, self._announce), name="status"),
            asyncio.create_task(self._every(GOSSIP_FLUSH_S, self._flush_gossip), name="gossip"),
            asyncio.create_task(self._admit_gossip_forever(), name="admission"),
        ]
        log.info("node_started", extra={"p2p": self.config.p2p_address, "api": self.config.api_url})
        self._perform(self.machine.start(now_ms()))
        await self._stopping.wait()
        server.should_exit = True
        await self.transport.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.verifier.aclose()
        self.store.close()
        log.info("node_stopped", extra={"height": self.app.state.height})
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    def _make_api_server(self) -> uvicorn.Server:
        from chainbook.api import create_app
        from chainbook.api.server import api_server_config

        config = api_server_config(create_app(self), self.config.api_host, self.config.api_port)
        server = uvicorn.Server(config)
        # The node owns the signals (graceful stop of p2p, store and API together).
        server.capture_signals = _no_signal_capture  # type: ignore[method-assign]
        return server

    async def _every(self, interval_s: float, action: object) -> None:
        assert callable(action)
        while True:
            await asyncio.sleep(interval_s)
            try:
                action()
            except Exception:
                name = getattr(action, "__name__", "")
                log.exception("periodic_task_failed", extra={"task": name})

    # ------------------------------------------------------------------ consensus driving

    def _step(self, event: Event) -> None:
        """Feed one event, perform the effects; zero-length timeouts are fed back at once."""
        pending: deque[Event] = deque([event])
        while pending:
            if self._failure is not None:
                return
            try:
                effects = self.machine.step(pending.popleft(), now_ms())
            except StateDivergence as exc:
                self._halt(exc)
                return
            pending.extend(self._perform(effects))

    def _perform(self, effects: list[Effect]) -> list[Event]:
        """Carry out effects in order; returns the timeouts that are due immediately."""
        immediate: list[Event] = []
        for effect in effects:
            match effect:
                case PersistState(record=record):
                    self.store.save_consensus_state(record)
                case Broadcast(message=message):
                    assert self.transport is not None
                    self.transport.broadcast(encode_message(message))
                case ScheduleTimeout(kind=kind, height=height, round=round_, duration_ms=ms):
                    timeout = TimeoutElapsed(kind, height, round_)
                    if ms <= 0:
                        immediate.append(timeout)
                    else:
                        asyncio.get_running_loop().call_later(ms / 1000, self._step, timeout)
                case CommitBlock(block=block, commit=commit):
                    self._commit(block, commit)
                case FallenBehind(height=height):
                    self._request_sync(target_height=height)
                case EvidenceFound(first=first, second=second):
                    log.warning(
                        "equivocation_evidence",
                        extra={
                            "validator": first.validator.hex(),
                            "height": first.vote.height,
                            "round": first.vote.round,
                            "first": first.vote.block_hash.hex(),
                            "second": second.vote.block_hash.hex(),
                        },
                    )
        return immediate

    def _commit(self, block: Block, commit: Commit) -> None:
        result = self.app.result_for(block)
        state_changes = self._state_checkpoints.changes_to_save(block.height, result.changes)
        self.store.save_block(
            encode_block(block), block, commit, result.receipts, state_changes, result.app_hash
        )
        self._record_commit_metrics(block)
        self.app.commit(block, result)
        self._remember_committed(block.tx_hashes)
        log.info(
            "block_committed",
            extra={
                "height": block.height,
                "txs": len(block.txs),
                "hash": block.hash.hex(),
                "round": commit.round,
            },
        )
        for index, (hash_, receipt) in enumerate(
            zip(block.tx_hashes, result.receipts, strict=True)
        ):
            waiters = self._waiters.pop(hash_, None)
            if waiters:
                location = TxLocation(height=block.height, index=index, receipt=receipt)
                for future in waiters:
                    if not future.done():
                        future.set_result(location)

    def _record_commit_metrics(self, block: Block) -> None:
        """Called before the ledger moves on, so its state still holds the previous block."""
        self.metrics.blocks.inc()
        self.metrics.txs.inc(len(block.txs))
        previous = self.app.state
        if previous.height > 0:
            interval_s = (block.header.time_ms - previous.time_ms) / 1000
            self.metrics.block_interval.observe(max(interval_s, 0.0))

    def _halt(self, exc: BaseException) -> None:
        log.critical("state_divergence", extra={"reason": str(exc)})
        self._failure = exc
        self.stop()

    def _resend(self) -> None:
        self._step(Resend())

    # ------------------------------------------------------------------ peers

    def _on_peer_connected(self, peer_id: bytes) -> None:
        assert self.transport is not None
        self.transport.send(peer_id, encode_message(StatusMessage(height=self.app.state.height)))

    def _on_peer_message(self, peer_id: bytes, payload: bytes) -> None:
        """Called by the transport for each frame; a protocol violation drops the peer."""
        try:
            message = decode_message(payload)
        except PeerMisbehaved as exc:
            self.metrics.peer_messages_dropped.labels("malformed").inc()
            raise TransportPeerMisbehaved(f"malformed message: {exc}") from None
        self._dispatch(peer_id, message)

    def _dispatch(self, peer_id: bytes, message: WireMessage) -> None:
        match message:
            case ProposalMessage(proposal=proposal, block=block):
                self._receive_proposal(proposal, block)
            case VoteMessage(vote=vote):
                self._step(VoteReceived(vote))
            case TxsMessage(txs=txs):
                self._enqueue_gossiped(txs)
            case StatusMessage(height=height):
                self._peer_heights[peer_id] = height
                if height > self.app.state.height + 1:
                    self._request_sync(target_height=height, peer_id=peer_id)
            case SyncRequest(from_height=from_height, count=count):
                self._serve_sync(peer_id, from_height, count)
            case SyncResponse(blocks=blocks):
                self._spawn(self._apply_sync(peer_id, blocks))

    def _receive_proposal(self, proposal: SignedProposal, block: Block) -> None:
        """Hand a proposal to consensus, after the gossip batch in the signature workers if
        the block carries some of its transactions.

        Gossip often trails a proposal: block validation then checks the signatures of the
        transactions this node has not admitted yet, on the event loop. Those of the batch
        the workers hold right now would be checked twice, so the proposal waits for that
        batch (at most admission_batch_txs_max signatures, a few ms) instead. Sending all
        unseen ones to the workers ahead of gossip measured worse (2,354 tx/s at 3,000
        offered): the proposal then waits behind the worker's queue, and blocks slow down.
        """
        gossip_hashes, gossip_done = self._gossip_checking
        if gossip_done.is_set() or block.height != self.machine.height or not any(
            hash_ in gossip_hashes for hash_ in block.tx_hashes
        ):
            self._step(ProposalReceived(proposal, block))
            return
        self._spawn(self._receive_after(gossip_done, proposal, block))

    async def _receive_after(
        self, batch_done: asyncio.Event, proposal: SignedProposal, block: Block
    ) -> None:
        await batch_done.wait()
        self._step(ProposalReceived(proposal, block))

    def _enqueue_gossiped(self, txs: list[bytes]) -> None:
        """Queue a peer's transactions for admission; past the bound they are dropped, counted."""
        room = limits.admission_queue_txs_max - len(self._admission_queue)
        if room < len(txs):
            self.metrics.peer_messages_dropped.labels("admission_queue_full").inc(len(txs) - room)
        self._admission_queue.extend(txs[: max(room, 0)])
        self._admission_wakeup.set()

    async def _admit_gossip_forever(self) -> None:
        """Admit queued gossip in batches; signatures are checked in worker processes, so
        consensus messages are handled between (and during) batches. Transactions already
        pending or recently committed here are dropped before any signature work: gossip
        often arrives after the block that carried the transaction."""
        while True:
            await self._admission_wakeup.wait()
            self._admission_wakeup.clear()
            while self._admission_queue:
                count = min(len(self._admission_queue), limits.admission_batch_txs_max)
                batch = [self._admission_queue.popleft() for _ in range(count)]
                fresh: list[bytes] = []
                fresh_hashes: list[Hash] = []
                for tx in batch:
                    hash_ = tx_hash(tx)
                    if self._is_known(hash_):
                        continue
                    checked = self.app.preverified.get(hash_)
                    if checked is not None:  # checked already, as part of a proposed block
                        self._admit_quietly(tx, checked)
                    else:
                        fresh.append(tx)
                        fresh_hashes.append(hash_)
                batch_done = asyncio.Event()
                self._gossip_checking = (frozenset(fresh_hashes), batch_done)
                try:
                    checked_all = await self.verifier.verify(fresh, fresh_hashes)
                    for tx, verified in zip(fresh, checked_all, strict=True):
                        if isinstance(verified, InvalidInput):
                            self._count_refusal(verified)
                            continue
                        self._admit_quietly(tx, verified)
                finally:
                    batch_done.set()

    def _admit_quietly(self, tx: bytes, verified: DecodedTx) -> None:
        try:
            self._admit(tx, verified, gossip=False)
        except InvalidTransaction as exc:
            # Normal under races (a nonce already committed here): not a fault.
            self._count_refusal(exc)

    def _is_known(self, hash_: Hash) -> bool:
        return hash_ in self.mempool or hash_ in self._recently_committed

    def _remember_committed(self, hashes: list[Hash]) -> None:
        # OrderedDict: popping the oldest is O(1). (Deleting the first key of a plain dict
        # leaves a hole that every later next(iter(d)) walks over: quadratic once it is full.)
        self._recently_committed.update(dict.fromkeys(hashes))
        while len(self._recently_committed) > limits.recent_committed_txs_max:
            self._recently_committed.popitem(last=False)

    def _admit(self, tx_bytes: bytes, verified: DecodedTx | None, *, gossip: bool) -> DecodedTx:
        result = self.mempool.add(tx_bytes, verified=verified)
        if not result.duplicate:
            self._admitted_unreported += 1  # a plain int: the Counter's lock costs per call
            if gossip:
                self._gossip_buffer.append(tx_bytes)
        return result.tx

    def _count_refusal(self, exc: InvalidInput) -> None:
        self.metrics.txs_refused.labels(getattr(exc, "code", "decode_error")).inc()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _request_sync(self, target_height: Height, peer_id: bytes | None = None) -> None:
        """Ask one peer for the blocks we miss; at most one request in flight."""
        assert self.transport is not None
        if time.monotonic() - self._sync_requested_at < SYNC_RETRY_S:
            return
        if peer_id is None:
            ahead = [
                p
                for p, h in self._peer_heights.items()
                if h >= self.machine.height and self.transport.is_connected(p)
            ]
            candidates = ahead or [p.peer_id for p in self.transport.connected_peers()]
            if not candidates:
                return
            peer_id = self._random.choice(sorted(candidates))
        self._send_sync_request(peer_id, self.machine.height)
        log.info(
            "sync_requested",
            extra={
                "peer": peer_id.hex()[:16],
                "from_height": self.machine.height,
                "target_height": target_height,
            },
        )

    def _send_sync_request(self, peer_id: bytes, from_height: Height) -> None:
        assert self.transport is not None
        self._sync_requested_at = time.monotonic()
        request = SyncRequest(from_height=from_height, count=limits.sync_blocks_per_response_max)
        self.transport.send(peer_id, encode_message(request))

    def _serve_sync(self, peer_id: bytes, from_height: Height, count: int) -> None:
        assert self.transport is not None
        blocks = self.store.load_blocks_bytes(
            from_height,
            min(count, limits.sync_blocks_per_response_max),
            limits.sync_response_bytes_max,
        )
        if blocks:
            self.transport.send(peer_id, encode_message(SyncResponse(blocks=blocks)))

    async def _apply_sync(self, peer_id: bytes, blocks: list[tuple[bytes, bytes]]) -> None:
        """Feed synced blocks to consensus; each is decided only if its commit verifies.

        Catch-up is a pipeline: the next batch is requested as soon as this one arrives, and
        the signatures of every block of the batch are checked in the worker processes while
        the event loop executes and stores the blocks before them. Consensus then decides
        each block only if its commit certificate verifies, and re-checks no signature.
        """
        decoded: list[tuple[Block, Commit]] = []
        for block_bytes, commit_bytes in blocks:
            try:
                decoded.append((decode_block(block_bytes), codec.decode(commit_bytes, Commit)))
            except DecodeError as exc:
                self._refuse_sync_block(peer_id, "malformed", str(exc))
                return
        async with self._sync_lock:
            fresh = [(b, c) for b, c in decoded if b.height >= self.machine.height]
            if fresh and self._peer_heights.get(peer_id, 0) > fresh[-1][0].height:
                self._send_sync_request(peer_id, fresh[-1][0].height + 1)
            checks = [asyncio.ensure_future(self._verify_block_txs(b)) for b, _ in fresh]
            try:
                for (block, commit), check in zip(fresh, checks, strict=True):
                    self.app.preverified.update(await check)
                    if block.height != self.machine.height:
                        continue
                    self._step(CommitReceived(block, commit))
                    if self.machine.height == block.height:
                        self._refuse_sync_block(peer_id, "refused", f"height {block.height}")
                        return
            finally:
                for check in checks:
                    check.cancel()
        self._sync_requested_at = 0.0

    async def _verify_block_txs(self, block: Block) -> dict[Hash, DecodedTx]:
        unknown = [
            (tx, hash_)
            for tx, hash_ in zip(block.txs, block.tx_hashes, strict=True)
            if self.app.get(hash_) is None
        ]
        txs, hashes = [tx for tx, _ in unknown], [hash_ for _, hash_ in unknown]
        return {
            verified.hash: verified
            for verified in await self.verifier.verify(txs, hashes)
            if isinstance(verified, DecodedTx)
        }

    def _refuse_sync_block(self, peer_id: bytes, what: str, detail: str) -> None:
        self.metrics.peer_messages_dropped.labels("bad_sync_block").inc()
        log.warning("sync_block_" + what, extra={"peer": peer_id.hex()[:16], "detail": detail})

    def _announce(self) -> None:
        assert self.transport is not None
        self.transport.broadcast(encode_message(StatusMessage(height=self.app.state.height)))

    def _flush_gossip(self) -> None:
        if not self._gossip_buffer:
            return
        assert self.transport is not None
        batch_max = limits.gossip_txs_per_frame_max
        buffer, self._gossip_buffer = self._gossip_buffer, []
        for start in range(0, len(buffer), batch_max):
            txs = buffer[start : start + batch_max]
            self.transport.broadcast(encode_message(TxsMessage(txs=txs)))

    # ------------------------------------------------------------------ NodeService

    def submit_tx(self, tx_bytes: bytes) -> DecodedTx:
        try:
            self._verify_api_capacity()
            return self._admit(tx_bytes, None, gossip=True)
        except InvalidTransaction as exc:
            self._count_refusal(exc)
            raise

    async def submit_txs(self, txs: list[bytes]) -> list[DecodedTx | InvalidInput]:
        try:
            self._verify_api_capacity()
        except MempoolFull as exc:
            self._count_refusal(exc)
            return [exc] * len(txs)
        results: list[DecodedTx | InvalidInput] = []
        for tx, verified in zip(txs, await self.verifier.verify(txs), strict=True):
            if isinstance(verified, InvalidInput):
                self._count_refusal(verified)
                results.append(verified)
                continue
            try:
                results.append(self._admit(tx, verified, gossip=True))
            except InvalidTransaction as exc:
                self._count_refusal(exc)
                results.append(exc)
        return results

    def _verify_api_capacity(self) -> None:
        if len(self.mempool) >= limits.mempool_txs_api_max:
            raise MempoolFull(
                f"{len(self.mempool)} transactions pending, the API admits new ones below "
                f"{limits.mempool_txs_api_max}; retry later"
            )

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

    def get_tx(self, tx_hash: Hash) -> TxLocation | None:
        stored = self.store.load_tx(tx_hash)
        if stored is None:
            return None
        return TxLocation(height=stored.height, index=stored.index, receipt=stored.receipt)

    def get_tx_proof(self, tx_hash: Hash) -> TxProof | None:
        location = self.get_tx(tx_hash)
        if location is None:
            return None
        block = self.store.load_block(location.height)
        commit = self.store.load_commit(location.height)
        assert block is not None and commit is not None
        leaf_hashes = [merkle.leaf_hash(tx) for tx in block.txs]
        return TxProof(
            tx=block.txs[location.index],
            location=location,
            audit_path=merkle.inclusion_proof(leaf_hashes, location.index),
            tree_size=len(block.txs),
            block=block,
            commit=commit,
        )

    def get_block(self, height: Height) -> Block | None:
        return self.store.load_block(height)

    def get_commit(self, height: Height) -> Commit | None:
        return self.store.load_commit(height)

    def get_account(self, address: Address) -> AccountView:
        kv = self.app.state.kv
        return AccountView(
            address=address,
            balance=get_balance(kv, address) or 0,
            nonce=get_nonce(kv, address),
            pending_nonce=self.mempool.get_pending_nonce(address),
        )

    def status(self) -> NodeStatus:
        state = self.app.state
        last = self.app.last_header
        peers = self.transport.connected_peers() if self.transport is not None else []
        ahead = max(self._peer_heights.values(), default=0)
        return NodeStatus(
            chain_id=self.chain_id,
            node_id=self.key.public_key.hex(),
            moniker=self.config.moniker,
            is_validator=self.machine.is_validator,
            height=state.height,
            app_hash=state.app_hash.hex(),
            latest_block_hash=last.hash.hex() if last is not None else "",
            latest_block_time_ms=last.time_ms if last is not None else 0,
            round=self.machine.round,
            syncing=ahead > state.height + 1,
            mempool_txs=len(self.mempool),
            peers=[
                PeerView(
                    node_id=p.peer_id.hex(),
                    address=f"{p.address[0]}:{p.address[1]}"
                    if isinstance(p.address, tuple)
                    else str(p.address),
                    direction=str(p.direction),
                    connected_since_ms=int(p.connected_since_unix_s * 1000),
                )
                for p in peers
            ],
            validators=[
                ValidatorView(
                    name=v.name,
                    address=v.address.hex(),
                    public_key=v.public_key.hex(),
                    power=v.power,
                )
                for v in self.machine.validators.validators
            ],
            book_repairs=self.book_repairs,
        )

    def metrics_text(self) -> bytes:
        self.metrics.txs_admitted.inc(self._admitted_unreported)
        self._admitted_unreported = 0
        checked = self.app.txs_checked_in_blocks
        self.metrics.txs_checked_in_blocks.inc(checked - self._checked_in_blocks_reported)
        self._checked_in_blocks_reported = checked
        self.metrics.height.set(self.app.state.height)
        self.metrics.round.set(self.machine.round)
        self.metrics.mempool_txs.set(len(self.mempool))
        if self.transport is not None:
            self.metrics.peers.set(len(self.transport.connected_peers()))
        return self.metrics.text()


@contextlib.contextmanager
def _no_signal_capture() -> Iterator[None]:
    yield


def _parse_peers(peers: list[str]) -> list[tuple[str, int]]:
    from chainbook.runtime.config import parse_peer

    return [parse_peer(p) for p in peers]


def run_node(home: Path) -> None:
    """Entry point of `chainbook node start --home H` (blocking until stopped)."""
    home_ = Home(Path(home))
    config = home_.load_config()
    configure_logging(home_, config.log_level)
    # Signature threads give the GIL back after every libsodium call and must get it back to
    # start the next; with the default 5 ms switch interval a busy event loop starves them.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    node = Node(home_)
    try:
        import uvloop

        uvloop.run(node.run())
    except ImportError:
        asyncio.run(node.run())


def verify_home(home: Path) -> BookReport:
    """`chainbook verify`: re-verify a stopped node's whole book without changing it."""
    home_ = Home(Path(home))
    genesis = home_.load_genesis()
    store = SqliteBlockStore(home_.book_path)
    try:
        return open_book(store, genesis, repair=False).report
    finally:
        store.close()


__all__ = ["Node", "run_node", "verify_home"]
