"""Storage of a node's book: the BlockStore interface, SQLite (the node) and memory (the
simulator) implementations, and a fault-injecting wrapper. See base.py for the guarantees."""

from chainbook.storage.base import BlockStore, StateCheckpoints, StateMeta, TxLocation
from chainbook.storage.memory import FaultyBlockStore, MemoryBlockStore
from chainbook.storage.sqlite import SCHEMA_VERSION, SqliteBlockStore

__all__ = [
    "SCHEMA_VERSION",
    "BlockStore",
    "FaultyBlockStore",
    "MemoryBlockStore",
    "SqliteBlockStore",
    "StateCheckpoints",
    "StateMeta",
    "TxLocation",
]
