"""Instructions per mempool admission, counted by callgrind (not a test module).

Seconds on the shared 2-core machine drift by 25 % within an hour; instruction counts do not.
Run the same nodes with and without admissions and divide the difference:

    for mode in none admit; do
      PYTHONHASHSEED=0 setarch -R valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python -m tests.core.bench_admission 8 $mode 2>&1 | grep Collected
    done

(second total - first) / 16,000 = instructions per admission (8 nodes x 2,000 transfers, 500
senders with 4 pending each, the collector off). 4a0b309 (before #14): 50.8k; a59f931: 67.5k;
with the per-view Authorizer (ledger/authorization.py): 58.8k. The run with 2 nodes instead of 8
counts node assembly differently; always compare equal node counts.
"""

from __future__ import annotations

import gc
import sys

from chainbook.bench.stages import _new_node, stages_genesis
from chainbook.bench.workload import sign_transfers
from chainbook.chain.tx import decode_tx, tx_hash

ACCOUNTS = 500
PENDING_PER_SENDER = 4


def main(nodes_count: int, mode: str) -> None:
    genesis = stages_genesis(ACCOUNTS)
    signed = sign_transfers("bench-stages", ACCOUNTS * PENDING_PER_SENDER, 0, ACCOUNTS,
                            ACCOUNTS, 250)
    decoded = [decode_tx(raw, hash_=tx_hash(raw)) for raw in signed.txs]
    nodes = [_new_node(genesis) for _ in range(nodes_count)]
    gc.collect()
    gc.freeze()
    gc.disable()  # collections depend on what else is alive: not what is measured here
    if mode == "admit":
        for node in nodes:
            for raw, verified in zip(signed.txs, decoded, strict=True):
                node.mempool.add(raw, verified)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
