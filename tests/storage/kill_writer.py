"""Child process of test_sqlite.py's kill -9 test (not a test module).

    python kill_writer.py <path> <blocks> <txs_per_block>

Builds the deterministic chain first, then saves it block by block as the node does: the
consensus record for a height (in its own file, <path>.record: storage/consensus_record_file.py)
is saved before the block. After each save_block returns it prints the height on stdout and
flushes, so the parent knows that height (and its record) is durable.
"""

from __future__ import annotations

import sys

from storage_chain import build_chain, save

from chainbook.storage import FileConsensusRecordStore, SqliteBlockStore


def main() -> None:
    path, blocks, txs_per_block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    chain = build_chain(blocks, txs_per_block)
    store = SqliteBlockStore(path)
    records = FileConsensusRecordStore(path + ".record")
    print("ready", flush=True)
    for saved in chain:
        records.save(b"height=%d" % saved.height)
        save(store, saved)
        print(saved.height, flush=True)
    store.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
