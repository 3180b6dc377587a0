"""Child process of test_sqlite.py's kill -9 test (not a test module).

    python kill_writer.py <path> <blocks> <txs_per_block>

Builds the deterministic chain first, then saves it block by block as the node does: the
consensus WAL record for a height is saved before the block. After each save_block returns it
prints the height on stdout and flushes, so the parent knows that height is durable.
"""

from __future__ import annotations

import sys

from storage_chain import build_chain, save

from chainbook.storage import SqliteBlockStore


def main() -> None:
    path, blocks, txs_per_block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    chain = build_chain(blocks, txs_per_block)
    store = SqliteBlockStore(path)
    print("ready", flush=True)
    for saved in chain:
        store.save_consensus_state(b"height=%d" % saved.height)
        save(store, saved)
        print(saved.height, flush=True)
    store.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
