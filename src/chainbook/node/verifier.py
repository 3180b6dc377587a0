"""Signature checks on worker threads, so the event loop keeps serving consensus.

Ed25519 verification is the one cost every node pays for every transaction (~66 us each with
libsodium). PyNaCl calls libsodium through cffi, which releases the GIL during the call, so a
pool of threads verifies batches in parallel with the event loop: on a machine with more cores
than nodes this adds throughput, and on any machine it keeps a burst of transactions from
delaying proposals and votes. The results are the same `verify_tx` would give inline.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from chainbook.chain.tx import DecodedTx, verify_tx
from chainbook.errors import InvalidInput

VerifyResult = DecodedTx | InvalidInput


def verify_chunk(chain_id: str, txs: list[bytes]) -> list[VerifyResult]:
    results: list[VerifyResult] = []
    for tx in txs:
        try:
            results.append(verify_tx(chain_id, tx))
        except InvalidInput as exc:
            results.append(exc)
    return results


class SignatureVerifier:
    def __init__(self, chain_id: str, workers: int | None = None) -> None:
        self.chain_id = chain_id
        self.workers = workers or max(os.cpu_count() or 1, 1)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="verify")

    async def verify(self, txs: list[bytes]) -> list[VerifyResult]:
        """Results in the order of `txs`: a DecodedTx, or the error that refused it."""
        if not txs:
            return []
        loop = asyncio.get_running_loop()
        size = -(-len(txs) // self.workers)
        chunks = [txs[i : i + size] for i in range(0, len(txs), size)]
        parts = await asyncio.gather(
            *(loop.run_in_executor(self._pool, verify_chunk, self.chain_id, c) for c in chunks)
        )
        return [result for part in parts for result in part]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["SignatureVerifier", "VerifyResult", "verify_chunk"]
