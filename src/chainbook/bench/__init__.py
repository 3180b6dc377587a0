"""Benchmarks of a local chainbook network: throughput, latency, CPU and disk per transaction.

    chainbook bench run     --rate 2000 --duration 30      open loop at one offered rate
    chainbook bench sweep   --rates 500,1000,2000,4000     find saturation
    chainbook bench single  --rates 2000,5000,10000        one validator alone
    chainbook bench catchup --txs 200000                   a late full node syncing
    chainbook bench smoke                                  < 1 minute, for CI

Each starts a fresh network of validator processes on loopback, pre-funds bench accounts in
its genesis, drives pre-signed transfers from a separate load process, records every
transaction's submit and commit time, and writes JSON, a PNG and a per-transaction CSV into
--out (default bench-results/). Method and results: docs/BENCHMARKS.md.
"""

from chainbook.bench.cli import main

__all__ = ["main"]
