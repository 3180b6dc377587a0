"""Storage of a node's book and of its consensus record.

    block_store.py            the BlockStore protocol and what every store guarantees
    stored_format.py          how a block's parts are encoded at rest (receipts: string
                              table, zlib) and read back with checks
    checkpoints.py            the state checkpoint policy (StateCheckpoints)
    pruning.py                old blocks keep their header and commits only (optional)
    snapshots.py              the state snapshots a node serves to nodes that state-sync
    memory.py                 MemoryBlockStore (the simulator and tests)
    sqlite/                   SqliteBlockStore (the node), damage detection, salvage
    consensus_record.py       the ConsensusRecordStore protocol, the signing rule, in memory
    consensus_record_file.py  FileConsensusRecordStore (the node: beside the node key)
    faulty.py                 fault-injecting wrappers of both stores
    base.py                   deprecated re-exports (old import paths)
"""

from chainbook.storage.block_store import BlockStore, StateMeta, TxLocation
from chainbook.storage.checkpoints import STATE_CHECKPOINT_BLOCKS, StateCheckpoints
from chainbook.storage.consensus_record import (
    FRESH_RECORD,
    ConsensusRecordStore,
    MemoryConsensusRecordStore,
    check_signing_allowed,
    load_signing_record,
)
from chainbook.storage.consensus_record_file import (
    CONSENSUS_RECORD_FILE_NAME,
    FileConsensusRecordStore,
    consensus_record_path,
)
from chainbook.storage.faulty import FaultyBlockStore, FaultyConsensusRecordStore
from chainbook.storage.memory import MemoryBlockStore
from chainbook.storage.pruning import PRUNE_BLOCKS_PER_CALL_MAX
from chainbook.storage.snapshots import SNAPSHOTS_KEPT_MAX, FileSnapshotStore, MemorySnapshotStore
from chainbook.storage.sqlite import (
    SCHEMA_VERSION,
    BookLock,
    SalvageReport,
    SqliteBlockStore,
    check_book_file,
    get_book_height_seen,
    open_sqlite_book,
    salvage_book,
)

__all__ = [
    "CONSENSUS_RECORD_FILE_NAME",
    "FRESH_RECORD",
    "PRUNE_BLOCKS_PER_CALL_MAX",
    "SCHEMA_VERSION",
    "SNAPSHOTS_KEPT_MAX",
    "STATE_CHECKPOINT_BLOCKS",
    "BlockStore",
    "BookLock",
    "ConsensusRecordStore",
    "FaultyBlockStore",
    "FaultyConsensusRecordStore",
    "FileConsensusRecordStore",
    "FileSnapshotStore",
    "MemoryBlockStore",
    "MemoryConsensusRecordStore",
    "MemorySnapshotStore",
    "SalvageReport",
    "SqliteBlockStore",
    "StateCheckpoints",
    "StateMeta",
    "TxLocation",
    "check_book_file",
    "check_signing_allowed",
    "consensus_record_path",
    "get_book_height_seen",
    "load_signing_record",
    "open_sqlite_book",
    "salvage_book",
]
