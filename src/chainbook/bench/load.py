"""The load process: submits pre-signed transfers on a schedule and follows the blocks.

It runs as its own OS process (multiprocessing, spawn) so that its CPU is not the nodes' and
the orchestrator's bookkeeping cannot delay it. Sequence, synchronised with the orchestrator
by three events:

    sign every transaction, open connections, start following blocks  -> set `ready`
    wait for `go` (the orchestrator has read the nodes' CPU counters and disk)
    open loop: every `tick_s`, hand each transaction whose time has come (k / rate) to the
      connection of its sender; the connection sends what it holds as one request
      (POST /txs/batch when the node has it, else POST /txs per transaction)   -> `load_done`
    drain: follow blocks until every accepted transaction is committed (bounded wait)
    write the records (one row per transaction) and exit

Rules kept:
- A sender always goes to the same node and the same connection, whose requests are strictly
  sequential, so its nonces arrive in order whatever the latencies (the mempool requires
  consecutive nonces and does not reorder).
- Open loop: the schedule does not wait for answers. If a connection cannot keep up, its
  transactions queue in this process; the lag from scheduled to submitted time is recorded,
  so a client bottleneck is visible instead of silently lowering the offered rate.
- With rate 0 ("max"), the load is closed-loop with a window: at most `window_txs`
  transactions are submitted but not yet committed (used to load a chain fast, e.g. for the
  catch-up benchmark; its latencies are queueing times, not user waits).
- Commit time of a transaction = the time the follower first saw its block on the followed
  node (GET /blocks/{h} polled every `follow_poll_s`; resolution about that plus one request).
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event as SyncEvent
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from chainbook.bench.http import HttpConnection, HttpError
from chainbook.bench.mix import sign_mix
from chainbook.bench.workload import SignedBatch, sign_transfers

BATCH_TXS_MAX = 2_000
"""The node's POST /txs/batch limit."""
CONFLICT_CODES = frozenset(
    {"duplicate", "duplicate_tx", "already_known", "tx_already_known", "already_committed"}
)
"""Error codes meaning the node already has the transaction: for us, accepted."""
REQUEST_TIMEOUT_S = 30.0
FOLLOW_TIMEOUT_S = 30.0
BATCH_CONNECTIONS_PER_NODE = 4
CLEANUP_TIMEOUT_S = 5.0
ERROR_CLIENT = "client_error"
READY_TIMEOUT_S = 600.0
"""Signing 200,000 transactions takes ~10 s; anything near this bound is a hang."""
NOT_SENT = -1.0
ERROR_TRANSPORT = "transport_error"


@dataclass(frozen=True)
class LoadSpec:
    """What one load step does. Plain values only: it crosses a process boundary."""

    chain_id: str
    api_urls: list[str]
    """Where to submit: each sender is pinned to one of these."""
    follow_url: str
    """Whose blocks give commit times."""
    rate_tps: float
    """Offered transactions per second; 0 = as fast as the window allows."""
    count: int
    first_account: int
    accounts: int
    accounts_total: int
    records_path: str
    tx_bytes: int = 250
    submit_mode: str = "auto"
    """"batch" (POST /txs/batch), "single" (POST /txs), or "auto": batch if the node has it."""
    connections_per_node: int = 0
    """0 = 4 with batches, 32 with single submits."""
    tick_s: float = 0.02
    window_txs: int = 20_000
    drain_timeout_s: float = 60.0
    follow_poll_s: float = 0.01
    mix: tuple[tuple[str, int], ...] = ()
    """Module actions instead of bank transfers (bench/mix.py); () = transfers."""


class BlockSeen(msgspec.Struct, array_like=True):
    height: int
    seen_s: float
    time_ms: int
    """The header's time (the proposer's clock)."""
    tx_count: int
    ours: int
    """How many of this step's transactions it holds."""


class LoadRecords(msgspec.Struct):
    """One row per transaction (schedule order) and one per block seen."""

    submit_mode: str
    tx_bytes_mean: float
    t_go: float
    t_load_end: float
    t_drain_end: float
    start_height: int
    scheduled_s: list[float]
    submit_s: list[float]
    commit_s: list[float]
    height: list[int]
    error: list[str]
    hashes: list[str]
    blocks: list[BlockSeen]
    drained: bool


class _Header(msgspec.Struct):
    height: int
    time_ms: int
    tx_count: int


class _BlockAnswer(msgspec.Struct):
    header: _Header
    tx_hashes: list[str]


class _StatusAnswer(msgspec.Struct):
    height: int


class _ItemError(msgspec.Struct):
    error: str
    message: str = ""


class _BatchItem(msgspec.Struct):
    hash: str = ""
    error: _ItemError | None = None


class _BatchAnswer(msgspec.Struct):
    results: list[_BatchItem]


_block_decoder = msgspec.json.Decoder(_BlockAnswer)
_batch_decoder = msgspec.json.Decoder(_BatchAnswer)
_error_decoder = msgspec.json.Decoder(_ItemError)


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


class LoadRun:
    """The state of one load step inside the load process."""

    def __init__(self, spec: LoadSpec, batch: SignedBatch) -> None:
        self.spec = spec
        self.batch = batch
        count = len(batch.txs)
        self.scheduled_s = [NOT_SENT] * count
        self.submit_s = [NOT_SENT] * count
        self.commit_s = [NOT_SENT] * count
        self.height = [0] * count
        self.error = [""] * count
        self.index = {h: k for k, h in enumerate(batch.hashes_hex)}
        self.blocks: list[BlockSeen] = []
        self.follow_errors: dict[int, int] = {}
        self.accepted = 0
        self.refused = 0
        self.committed = 0
        self.start_height = 0
        self.submit_mode = spec.submit_mode
        self.queues: list[asyncio.Queue[int]] = []
        self.worker_of: list[int] = []
        self.busy = 0

    # --- set-up -------------------------------------------------------------------------------

    async def detect_submit_mode(self) -> None:
        if self.submit_mode != "auto":
            return
        host, port = _host_port(self.spec.api_urls[0])
        probe = HttpConnection(host, port, REQUEST_TIMEOUT_S)
        try:
            status, _ = await probe.request("POST", "/txs/batch", b'{"txs": []}')
        finally:
            probe.close()
        self.submit_mode = "single" if status in (404, 405) else "batch"

    def assign_workers(self) -> list[HttpConnection]:
        """One queue and connection per (node, slot); sender s -> node s % N, slot by s // N."""
        nodes = len(self.spec.api_urls)
        # Four batch connections per node by default. `--connections 1` measures better
        # (each request carries more transactions, so the nodes pay the HTTP stack's
        # per-request cost less often) but one 5-rate sweep with it never finished its drain
        # although every transaction committed: not understood yet (docs/BENCHMARKS.md).
        per_node = self.spec.connections_per_node or (BATCH_CONNECTIONS_PER_NODE
                                                      if self.submit_mode == "batch" else 32)
        connections = []
        for url in self.spec.api_urls:
            host, port = _host_port(url)
            connections += [HttpConnection(host, port, REQUEST_TIMEOUT_S) for _ in range(per_node)]
        self.queues = [asyncio.Queue() for _ in connections]
        self.worker_of = [
            (s % nodes) * per_node + (s // nodes) % per_node for s in self.batch.senders
        ]
        return connections

    # --- submitting ---------------------------------------------------------------------------

    async def run_worker(self, queue: asyncio.Queue[int], connection: HttpConnection) -> None:
        batch_max = BATCH_TXS_MAX if self.submit_mode == "batch" else 1
        while True:
            ks = [await queue.get()]
            while len(ks) < batch_max and not queue.empty():
                ks.append(queue.get_nowait())
            self.busy += 1
            try:
                if self.submit_mode == "batch":
                    await self.submit_batch(connection, ks)
                else:
                    await self.submit_single(connection, ks[0])
            except Exception as exc:  # a dead worker would hang the schedule's queue.join()
                print(f"load worker: {len(ks)} transactions not submitted: {exc!r}",
                      file=sys.stderr, flush=True)
                self.record_refused(ks, ERROR_CLIENT)
            finally:
                self.busy -= 1
                for _ in ks:
                    queue.task_done()

    async def submit_batch(self, connection: HttpConnection, ks: list[int]) -> None:
        txs = self.batch.txs
        body = b'{"txs":["' + b'","'.join(txs[k].hex().encode() for k in ks) + b'"]}'
        now = time.time()
        for k in ks:
            self.submit_s[k] = now
        try:
            status, answer = await connection.request("POST", "/txs/batch", body)
        except HttpError:
            self.record_refused(ks, ERROR_TRANSPORT)
            return
        if status >= 400:
            self.record_refused(ks, _error_code(answer, status))
            return
        results = _batch_decoder.decode(answer).results
        for k, item in zip(ks, results, strict=True):
            if item.error is None or item.error.error in CONFLICT_CODES:
                self.accepted += 1
            else:
                self.record_refused([k], item.error.error)

    async def submit_single(self, connection: HttpConnection, k: int) -> None:
        body = b'{"tx":"' + self.batch.txs[k].hex().encode() + b'"}'
        self.submit_s[k] = time.time()
        try:
            status, answer = await connection.request("POST", "/txs", body)
        except HttpError:
            self.record_refused([k], ERROR_TRANSPORT)
            return
        code = _error_code(answer, status) if status >= 400 else ""
        if not code or code in CONFLICT_CODES:
            self.accepted += 1
        else:
            self.record_refused([k], code)

    def record_refused(self, ks: list[int], code: str) -> None:
        for k in ks:
            self.error[k] = code
        self.refused += len(ks)

    async def run_schedule(self) -> None:
        """Open loop: hand over every transaction whose scheduled time has come."""
        count, rate = len(self.batch.txs), self.spec.rate_tps
        t0 = time.time()
        released = 0
        while released < count:
            elapsed = time.time() - t0
            due = count if rate <= 0 else min(count, math.floor(elapsed * rate) + 1)
            if rate <= 0:
                due = min(due, self.committed + self.refused + self.spec.window_txs)
            for k in range(released, due):
                self.scheduled_s[k] = t0 + (k / rate if rate > 0 else elapsed)
                self.queues[self.worker_of[k]].put_nowait(k)
            released = max(released, due)
            await asyncio.sleep(self.spec.tick_s)
        for queue in self.queues:
            await queue.join()

    # --- following blocks ---------------------------------------------------------------------

    async def read_height(self, connection: HttpConnection) -> int:
        status, answer = await connection.request("GET", "/status")
        if status != 200:
            raise HttpError(f"/status answered {status}")
        return msgspec.json.decode(answer, type=_StatusAnswer).height

    async def follow_blocks(self, connection: HttpConnection) -> None:
        """Poll the next height; record when each block is first seen and whose txs it holds."""
        next_height = self.start_height + 1
        while True:
            try:
                status, answer = await connection.request("GET", f"/blocks/{next_height}")
            except HttpError:
                await asyncio.sleep(self.spec.follow_poll_s)
                continue
            if status == 404:
                await asyncio.sleep(self.spec.follow_poll_s)
                continue
            if status != 200:
                # Keep following: a lost follower would turn every later commit into a
                # "not committed" and the run into a drain timeout.
                self.follow_errors[status] = self.follow_errors.get(status, 0) + 1
                print(f"follower: GET /blocks/{next_height} answered {status}: {answer[:200]!r}",
                      file=sys.stderr, flush=True)
                await asyncio.sleep(self.spec.follow_poll_s)
                continue
            self.record_block(_block_decoder.decode(answer), time.time())
            next_height += 1

    def record_block(self, block: _BlockAnswer, seen_s: float) -> None:
        ours = 0
        for tx_hash in block.tx_hashes:
            k = self.index.get(tx_hash)
            if k is not None and self.commit_s[k] == NOT_SENT:
                self.commit_s[k] = seen_s
                self.height[k] = block.header.height
                ours += 1
        self.committed += ours
        header = block.header
        self.blocks.append(BlockSeen(header.height, seen_s, header.time_ms, header.tx_count, ours))

    async def drain(self) -> bool:
        """Wait until every accepted transaction is committed; False on timeout."""
        deadline = time.time() + self.spec.drain_timeout_s
        while self.committed < self.accepted and time.time() < deadline:
            await asyncio.sleep(0.05)
        return self.committed >= self.accepted

    def to_records(self, t_go: float, t_load_end: float, drained: bool) -> LoadRecords:
        sizes = [len(tx) for tx in self.batch.txs]
        return LoadRecords(
            submit_mode=self.submit_mode,
            tx_bytes_mean=sum(sizes) / len(sizes) if sizes else 0.0,
            t_go=t_go,
            t_load_end=t_load_end,
            t_drain_end=time.time(),
            start_height=self.start_height,
            scheduled_s=self.scheduled_s,
            submit_s=self.submit_s,
            commit_s=self.commit_s,
            height=self.height,
            error=self.error,
            hashes=self.batch.hashes_hex,
            blocks=self.blocks,
            drained=drained,
        )


def _error_code(answer: bytes, status: int) -> str:
    try:
        return _error_decoder.decode(answer).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return f"http_{status}"


async def _wait_event(event: SyncEvent, timeout_s: float) -> None:
    """Wait on a multiprocessing event without blocking the loop (the follower keeps going)."""
    deadline = time.time() + timeout_s
    while not event.is_set():
        if time.time() > deadline:
            raise TimeoutError(f"the orchestrator did not answer within {timeout_s:g}s")
        await asyncio.sleep(0.005)


async def run_load(spec: LoadSpec, ready: SyncEvent, go: SyncEvent, load_done: SyncEvent) -> None:
    if spec.mix:
        batch = sign_mix(spec.chain_id, spec.mix, spec.count, spec.first_account,
                         spec.accounts, spec.accounts_total)
    else:
        batch = sign_transfers(spec.chain_id, spec.count, spec.first_account, spec.accounts,
                               spec.accounts_total, spec.tx_bytes)
    run = LoadRun(spec, batch)
    await run.detect_submit_mode()
    connections = run.assign_workers()
    host, port = _host_port(spec.follow_url)
    follow_connection = HttpConnection(host, port, FOLLOW_TIMEOUT_S)
    run.start_height = await run.read_height(follow_connection)
    tasks = [asyncio.create_task(run.follow_blocks(follow_connection))]
    tasks += [asyncio.create_task(run.run_worker(q, c))
              for q, c in zip(run.queues, connections, strict=True)]
    try:
        ready.set()
        await _wait_event(go, READY_TIMEOUT_S)
        t_go = time.time()
        await run.run_schedule()
        t_load_end = time.time()
        load_done.set()
        drained = await run.drain()
        # The records first: whatever happens while tearing down, the orchestrator has them.
        Path(spec.records_path).write_bytes(
            msgspec.msgpack.encode(run.to_records(t_go, t_load_end, drained))
        )
    finally:
        for task in tasks:
            task.cancel()
        # Bounded: a task that does not answer its cancellation must not keep the process.
        await asyncio.wait(tasks, timeout=CLEANUP_TIMEOUT_S)
        for connection in [*connections, follow_connection]:
            connection.close()


def run_load_process(spec: LoadSpec, ready: SyncEvent, go: SyncEvent, load_done: SyncEvent) -> None:
    """Entry point of the load process (multiprocessing target)."""
    try:
        import uvloop

        uvloop.run(run_load(spec, ready, go, load_done))
    except ImportError:
        asyncio.run(run_load(spec, ready, go, load_done))


def read_records(path: Path) -> LoadRecords:
    return msgspec.msgpack.decode(Path(path).read_bytes(), type=LoadRecords)


__all__ = ["BlockSeen", "LoadRecords", "LoadSpec", "read_records", "run_load_process"]
