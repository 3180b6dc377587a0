"""The index's cost per transaction, off the node: entries and SQLite writes of 3,000-transfer
blocks (not a test module; run `python -m tests.index.bench_index`). index/sql.py quotes it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from chainbook.apps.bank import Transfer
from chainbook.apps.registry import REGISTRY
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.crypto import PrivateKey
from chainbook.index.entries import compute_block_entries
from chainbook.index.sqlite_index import SqliteTxIndex
from chainbook.ledger.receipts import Receipt
from tests.support.fake_node import make_block

TXS_PER_BLOCK = 3_000
BLOCKS = 10
SENDERS = 300


def main() -> None:
    keys = [PrivateKey.from_label(f"bench-index-{i}") for i in range(SENDERS)]
    txs = [
        sign_tx(keys[i % SENDERS], "c", i // SENDERS, Transfer(to=keys[(i + 1) % SENDERS].address,
                                                             amount=5))
        for i in range(TXS_PER_BLOCK)
    ]
    blocks = []
    for height in range(1, BLOCKS + 1):
        block = make_block(height, txs, bytes(32), None, bytes(32), 0)
        receipts = [Receipt(tx_hash(t), height, i, True, "", "", []) for i, t in enumerate(txs)]
        blocks.append((block, receipts))
    started = time.perf_counter()
    entries = [compute_block_entries(b, r, [], REGISTRY) for b, r in blocks]
    computed = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        index = SqliteTxIndex(Path(folder) / "index.sqlite")
        index.write_blocks(entries)
        written = time.perf_counter()
        index.close()
    count = TXS_PER_BLOCK * BLOCKS
    print(f"entries {(computed - started) / count * 1e6:.1f} us/tx, "
          f"writes {(written - computed) / count * 1e6:.1f} us/tx")


if __name__ == "__main__":
    main()
