"""Child process of test_sqlite.py's kill -9 test (not a test module).

    python kill_writer.py <path> <blocks> <txs_per_block> [bank:<checkpoint pages>]

Builds the deterministic chain first, then saves it block by block as the node does: the
consensus record for a height (in its own file, <path>.record: storage/consensus_record_file.py)
is saved before the block. After each save_block returns it prints the height on stdout and
flushes, so the parent knows that height (and its record) is durable. With `bank:<pages>`, the
chain is bank_chain.py's (real transfers among 50 accounts, replayable by the ledger) and
SQLite checkpoints its -wal every <pages> pages (0: never; 4: after every block, so a kill
often lands inside a checkpoint; 40: every few blocks).
"""

from __future__ import annotations

import sys

from bank_chain import build_bank_chain
from storage_chain import build_chain, save

from chainbook.ledger.state import LedgerState
from chainbook.storage import FileConsensusRecordStore, SqliteBlockStore

BANK_ACCOUNTS = 50


def main() -> None:
    path, blocks, txs_per_block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    bank = sys.argv[4] if len(sys.argv) > 4 else ""
    store = SqliteBlockStore(path)
    if bank:
        genesis, chain = build_bank_chain(blocks, txs_per_block, BANK_ACCOUNTS)
        genesis_state = LedgerState.from_genesis(genesis)
        store.replace_state(genesis_state.kv, 0, genesis_state.app_hash)  # as a node does
        checkpoint_pages = int(bank.removeprefix("bank:"))
        store._db.execute(f"PRAGMA wal_autocheckpoint={checkpoint_pages}")
    else:
        chain = build_chain(blocks, txs_per_block)
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
