"""The node's book in one SQLite file.

    store.py     SqliteBlockStore: the BlockStore (storage/block_store.py) in SQLite
    schema.py    tables, schema version, connection settings, meta
    tx_index.py  the tx index keyed by a 7-byte hash prefix, exact despite shared prefixes
    cells.py     reading one cell back as a BLOB
    damage.py    what counts as a damaged file, and the read-only check that finds it
    salvage.py   moving a damaged file aside and keeping every block still readable
    lock.py      one process per book
"""

from chainbook.storage.sqlite.damage import check_book_file
from chainbook.storage.sqlite.lock import BookLock
from chainbook.storage.sqlite.salvage import (
    SalvageReport,
    get_book_height_seen,
    open_sqlite_book,
    salvage_book,
)
from chainbook.storage.sqlite.schema import SCHEMA_VERSION
from chainbook.storage.sqlite.store import SqliteBlockStore
from chainbook.storage.sqlite.tx_index import tx_key

__all__ = [
    "SCHEMA_VERSION",
    "BookLock",
    "SalvageReport",
    "SqliteBlockStore",
    "check_book_file",
    "get_book_height_seen",
    "open_sqlite_book",
    "salvage_book",
    "tx_key",
]
