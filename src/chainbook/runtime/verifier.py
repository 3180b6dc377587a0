"""Signature checks in worker processes, so the event loop keeps serving consensus.

Ed25519 verification is the one cost every node pays for every transaction (~57 us each with
libsodium). It runs in a few worker *processes*: threads would share the GIL with the event
loop, and a thread must re-take the GIL after every single libsodium call, so a busy event
loop starves it (measured: catch-up stayed at one core with a verify thread). A worker receives
raw transactions and answers one flag per transaction: does every signature verify against
its key (keys[i] of the body for signatures[i]) and the body (nothing else: the rest of the
decoding rules and the chain id are the node's, which it checks anyway while decoding;
skipping them in the worker saves ~11 of its ~74 us per transaction). A transaction with
several keys costs its worker one check per key (limits.tx_signatures_max bounds them). The
node then decodes the good ones itself (a few microseconds each, no signature work) and
re-runs the full check inline for any refused one, to get its exact error. The outcome is
exactly what `verify_tx` would give inline: a transaction with one bad signature among good
ones is refused as a whole.

A worker is a child process, `python -m chainbook.runtime.verifier`, talking over its
stdin and stdout: a request is a 4-byte big-endian length and the MessagePack array of the raw
transactions; the answer is a 4-byte length and one byte per transaction (1: accepted). It
exits when its stdin closes, so a node that stops or is killed leaves no worker behind.
Why not concurrent.futures.ProcessPoolExecutor: its cost per call in the node process
(pickling, a management thread, a future per call) was ~350 us, more than the checks
themselves save on the small batches a loaded node sees (15-tx API and gossip batches: 27 us of
node CPU per transaction, 3.7 us at 1,000-tx batches; measured with one worker).

Coalescing: a worker holds at most REQUESTS_IN_FLIGHT_MAX requests. Calls made meanwhile
queue up and go out together as its next request (up to REQUEST_TXS_MAX transactions), so
under load the per-request cost is paid once for many calls, and an idle node sends a call at
once. A large call is cut into pieces so that several workers share it (catch-up).

A worker that dies (killed by an operator, out of memory) is started again for later calls;
the transactions it held are checked inline, so no caller sees its death.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import sys
from collections import deque
from typing import BinaryIO

import msgspec

from chainbook import limits
from chainbook.chain.tx import (
    DecodedTx,
    SignedTx,
    TxBody,
    decode_tx,
    signing_message,
    verify_tx,
)
from chainbook.crypto import verify_signature
from chainbook.errors import InvalidInput
from chainbook.types import Hash

log = logging.getLogger("chainbook.runtime.verifier")

VerifyResult = DecodedTx | InvalidInput

REQUEST_TXS_MAX = 256
"""At most this many transactions per request (~15 ms of work): large calls are cut into
pieces that several workers share; the cost of a request in the node (~45 us) stays under
0.2 us per transaction."""

REQUESTS_IN_FLIGHT_MAX = 8
"""Requests a worker holds at once (~120 ms of work): the next ones wait in its pipe while it
works, so it does not idle until a busy event loop reads its answers. Catch-up needs the
depth: its event loop executes a 5,000-tx block (~200 ms) while the workers check the next
blocks (measured: 2 requests in flight, 10,351 tx/s; see docs/BENCHMARKS.md)."""

_LENGTH = struct.Struct(">I")
WORKER_STOP_TIMEOUT_S = 2.0


_signed_tx_decoder = msgspec.msgpack.Decoder(SignedTx)
_body_decoder = msgspec.msgpack.Decoder(TxBody)


def signature_flags(txs: list[bytes]) -> list[bool]:
    """In a worker: True where the transaction decodes as a SignedTx whose body lists one key
    per signature and every signature verifies.

    False covers every other outcome (malformed bytes included): the node re-checks those
    with verify_tx, which names the reason.
    """
    flags = []
    for tx in txs:
        try:
            flags.append(are_signatures_valid(tx))
        except (msgspec.DecodeError, TypeError, ValueError):
            flags.append(False)
    return flags


def are_signatures_valid(tx: bytes) -> bool:
    signed = _signed_tx_decoder.decode(tx)
    keys = _body_decoder.decode(signed.body).keys
    signatures = signed.signatures
    if not 0 < len(keys) == len(signatures) <= limits.tx_signatures_max:
        return False
    message = signing_message(signed.body)
    if len(keys) == 1:  # the common case, without the loop
        return verify_signature(keys[0], message, signatures[0])
    return all(
        verify_signature(key, message, signature)
        for key, signature in zip(keys, signatures, strict=True)
    )


def serve_requests(requests: BinaryIO, answers: BinaryIO) -> None:
    """A worker's loop: answer requests until `requests` ends (the node closed it or died)."""
    decoder = msgspec.msgpack.Decoder(list[bytes])
    while True:
        head = requests.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            return
        (size,) = _LENGTH.unpack(head)
        body = requests.read(size)
        if len(body) < size:
            return
        flags = bytes(signature_flags(decoder.decode(body)))
        answers.write(_LENGTH.pack(len(flags)) + flags)
        answers.flush()


def verify_inline(chain_id: str, tx: bytes) -> VerifyResult:
    try:
        return verify_tx(chain_id, tx)
    except InvalidInput as exc:
        return exc


def decode_signed_by_worker(chain_id: str, tx: bytes, hash_: Hash | None) -> VerifyResult:
    """What verify_tx gives for a transaction whose signature a worker verified: the decoding
    and chain id checks, in verify_tx's order (they come before the signature there)."""
    try:
        decoded = decode_tx(tx, hash_=hash_)
    except InvalidInput as exc:
        return exc
    if decoded.chain_id != chain_id:
        return verify_inline(chain_id, tx)  # WrongChainId, worded by verify_tx
    return decoded


class _Call:
    """One verify() call: its flags fill in as the pieces come back."""

    __slots__ = ("flags", "future", "missing")

    def __init__(self, size: int, future: asyncio.Future[bytearray]) -> None:
        self.flags = bytearray(size)
        self.missing = size
        self.future = future

    def fill(self, start: int, flags: bytes | bytearray) -> None:
        self.flags[start : start + len(flags)] = flags
        self.missing -= len(flags)
        if self.missing == 0 and not self.future.done():
            self.future.set_result(self.flags)


class _Piece:
    __slots__ = ("call", "start", "txs")

    def __init__(self, call: _Call, start: int, txs: list[bytes]) -> None:
        self.call = call
        self.start = start
        self.txs = txs


class _Worker:
    __slots__ = ("in_flight", "process", "reader")

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.in_flight: deque[list[_Piece]] = deque()
        """Requests sent and not answered yet, oldest first (answers come in order)."""
        self.reader: asyncio.Task[None] | None = None


class SignatureVerifier:
    def __init__(self, chain_id: str, workers: int | None = None) -> None:
        self.chain_id = chain_id
        self.workers = workers or max(os.cpu_count() or 1, 1)
        self._slots: list[_Worker | None] = [None] * self.workers
        """Started by start() or the first call (a process needs the running event loop)."""
        self._starting: dict[int, asyncio.Task[None]] = {}
        self._queue: deque[_Piece] = deque()
        self._closed = False

    async def verify(
        self, txs: list[bytes], hashes: list[Hash] | None = None
    ) -> list[VerifyResult]:
        """Results in the order of `txs`: a DecodedTx, or the error that refused it.

        `hashes`, when the caller already has them, are the transactions' hashes (tx_hash).
        """
        if not txs:
            return []
        if self._closed:
            raise RuntimeError("the signature verifier is closed")
        call = _Call(len(txs), asyncio.get_running_loop().create_future())
        piece_txs = max(1, min(REQUEST_TXS_MAX, -(-len(txs) // self.workers)))
        self._queue.extend(
            _Piece(call, start, txs[start : start + piece_txs])
            for start in range(0, len(txs), piece_txs)
        )
        self._start_missing_workers()
        self._dispatch()
        flags = await call.future
        known = hashes if hashes is not None else [None] * len(txs)
        return [
            decode_signed_by_worker(self.chain_id, tx, hash_)
            if ok
            else verify_inline(self.chain_id, tx)
            for tx, hash_, ok in zip(txs, known, flags, strict=True)
        ]

    def _dispatch(self) -> None:
        """Keep every worker supplied: up to REQUESTS_IN_FLIGHT_MAX requests each, handed out
        in turns so that the pieces of a large call spread over all workers."""
        for depth in range(REQUESTS_IN_FLIGHT_MAX):
            for worker in self._slots:
                if worker is not None and len(worker.in_flight) <= depth and self._queue:
                    self._send_request(worker)

    def _send_request(self, worker: _Worker) -> None:
        """Send `worker` the next queued pieces, up to REQUEST_TXS_MAX transactions."""
        batch: list[_Piece] = []
        size = 0
        while self._queue and (not batch or size + len(self._queue[0].txs) <= REQUEST_TXS_MAX):
            piece = self._queue.popleft()
            if piece.call.future.done():  # its caller was cancelled
                continue
            batch.append(piece)
            size += len(piece.txs)
        if not batch:
            return
        body = msgspec.msgpack.encode([tx for piece in batch for tx in piece.txs])
        assert worker.process.stdin is not None
        worker.process.stdin.write(_LENGTH.pack(len(body)) + body)
        worker.in_flight.append(batch)

    async def start(self) -> None:
        """Start the workers now rather than at the first call (a worker takes ~0.3 s to start,
        which a node catching up would otherwise wait for)."""
        self._start_missing_workers()
        await asyncio.gather(*self._starting.values())

    def _start_missing_workers(self) -> None:
        for index, worker in enumerate(self._slots):
            if worker is None and index not in self._starting:
                self._starting[index] = asyncio.get_running_loop().create_task(
                    self._start_worker(index)
                )

    async def _start_worker(self, index: int) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "chainbook.runtime.verifier",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )
        except OSError:
            log.exception("verify_worker_start_failed")
            self._starting.pop(index, None)
            self._check_queue_inline()
            return
        self._starting.pop(index, None)
        if self._closed:
            process.kill()
            await process.wait()
            return
        worker = _Worker(process)
        worker.reader = asyncio.get_running_loop().create_task(self._read_answers(index, worker))
        self._slots[index] = worker
        self._dispatch()

    async def _read_answers(self, index: int, worker: _Worker) -> None:
        stdout = worker.process.stdout
        assert stdout is not None
        try:
            while True:
                (size,) = _LENGTH.unpack(await stdout.readexactly(_LENGTH.size))
                flags = await stdout.readexactly(size)
                offset = 0
                pieces = worker.in_flight.popleft()
                for piece in pieces:
                    piece.call.fill(piece.start, flags[offset : offset + len(piece.txs)])
                    offset += len(piece.txs)
                self._dispatch()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        if self._closed:
            return
        # The worker died: answer what it held here, and start another for later calls.
        log.error("verify_worker_died", extra={"returncode": worker.process.returncode})
        self._slots[index] = None
        for batch in worker.in_flight:
            for piece in batch:
                self._check_inline(piece)
        worker.in_flight.clear()
        self._start_missing_workers()

    def _check_inline(self, piece: _Piece) -> None:
        piece.call.fill(piece.start, bytes(signature_flags(piece.txs)))

    def _check_queue_inline(self) -> None:
        """No worker could be started: nothing else would ever answer the queued calls."""
        if any(self._slots) or self._starting:
            return
        while self._queue:
            self._check_inline(self._queue.popleft())

    async def aclose(self) -> None:
        """Stop the workers (closing a worker's stdin ends it); calls still waiting fail."""
        self._closed = True
        workers = [w for w in self._slots if w is not None]
        self._slots = [None] * self.workers
        closed = RuntimeError("the signature verifier was closed")
        in_flight = [p for w in workers for batch in w.in_flight for p in batch]
        for piece in [*self._queue, *in_flight]:
            if not piece.call.future.done():
                piece.call.future.set_exception(closed)
        self._queue.clear()
        for worker in workers:
            if worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in workers:
            try:
                await asyncio.wait_for(worker.process.wait(), WORKER_STOP_TIMEOUT_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
                await worker.process.wait()
            if worker.reader is not None:
                worker.reader.cancel()


def main() -> None:
    """The worker process: answer on a private copy of stdout, so that nothing an imported
    module might print can corrupt the answers."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        serve_requests(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()


__all__ = [
    "REQUEST_TXS_MAX",
    "SignatureVerifier",
    "VerifyResult",
    "serve_requests",
    "signature_flags",
]
