"""Signature checks in worker processes, so the event loop keeps serving consensus.

Ed25519 verification is the one cost every node pays for every transaction (~66 us each with
libsodium). It runs in a small pool of worker *processes*: threads would share the GIL with the
event loop, and a thread must re-take the GIL after every single libsodium call, so a busy
event loop starves it (measured: catch-up stayed at one core with a verify thread). A worker
receives a chunk of raw transactions and answers one flag per transaction; the node then
decodes the good ones itself (a few microseconds each, no signature work) and re-runs the full
check inline only for the rare refused one, to get its exact error. The outcome is exactly what
`verify_tx` would give inline.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from chainbook.chain.tx import DecodedTx, decode_tx, verify_tx
from chainbook.errors import InvalidInput
from chainbook.types import Hash

VerifyResult = DecodedTx | InvalidInput


def verify_flags(chain_id: str, txs: list[bytes]) -> list[bool]:
    """In a worker: True where verify_tx accepts the transaction."""
    flags = []
    for tx in txs:
        try:
            verify_tx(chain_id, tx)
            flags.append(True)
        except InvalidInput:
            flags.append(False)
    return flags


PARENT_CHECK_INTERVAL_S = 1.0


def watch_parent(parent_pid: int) -> None:
    """In a worker: exit when the node is gone (a SIGKILLed node cannot stop its pool)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_INTERVAL_S)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def verify_inline(chain_id: str, tx: bytes) -> VerifyResult:
    try:
        return verify_tx(chain_id, tx)
    except InvalidInput as exc:
        return exc


class SignatureVerifier:
    def __init__(self, chain_id: str, workers: int | None = None) -> None:
        self.chain_id = chain_id
        self.workers = workers or max(os.cpu_count() or 1, 1)
        # spawn, not fork: the node process runs an event loop and threads.
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=watch_parent, initargs=(os.getpid(),)
        )

    async def verify(
        self, txs: list[bytes], hashes: list[Hash] | None = None
    ) -> list[VerifyResult]:
        """Results in the order of `txs`: a DecodedTx, or the error that refused it.

        `hashes`, when the caller already has them, are the transactions' hashes (tx_hash).
        """
        if not txs:
            return []
        loop = asyncio.get_running_loop()
        size = -(-len(txs) // self.workers)
        chunks = [txs[i : i + size] for i in range(0, len(txs), size)]
        parts = await asyncio.gather(
            *(loop.run_in_executor(self._pool, verify_flags, self.chain_id, c) for c in chunks)
        )
        flags = [flag for part in parts for flag in part]
        known = hashes if hashes is not None else [None] * len(txs)
        return [
            decode_tx(tx, hash_=hash_) if ok else verify_inline(self.chain_id, tx)
            for tx, hash_, ok in zip(txs, known, flags, strict=True)
        ]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["SignatureVerifier", "VerifyResult", "verify_flags"]
