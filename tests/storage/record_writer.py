"""Child process of test_consensus_record_file.py's kill -9 test (not a test module).

    python record_writer.py <path>

Saves record_for(1), record_for(2), ... to a FileConsensusRecordStore at <path> forever,
printing i (and flushing) after save i returns: the parent then knows record i is durable.
"""

from __future__ import annotations

import hashlib
import sys

from chainbook.storage import FileConsensusRecordStore

RECORD_BYTES_MAX = 300_000


def record_for(i: int) -> bytes:
    """A deterministic record of a varying size (0 to ~300 KB: several writes, page cache
    pages and file extents), so kills land inside writes of every length."""
    length = (i * 7919) % RECORD_BYTES_MAX
    seed = hashlib.sha256(b"record-%d" % i).digest()
    return b"%d:" % i + (seed * (length // 32 + 1))[:length]


def main() -> None:
    store = FileConsensusRecordStore(sys.argv[1])
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        store.save(record_for(i))
        print(i, flush=True)


if __name__ == "__main__":
    main()
