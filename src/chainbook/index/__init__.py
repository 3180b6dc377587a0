"""The transaction index: search of committed transactions by account, module, event type and
height, and the block-level events the book does not keep.

    entries.py         what is indexed of a block (pure)
    search.py          the search and its pages (TxSearch, TxPage, cursors)
    sql.py             the tables and the one search query of both backends
    base.py            the TxIndex port and the shared SQL implementation
    sqlite_index.py    the embedded default (data/index.sqlite)
    postgres_index.py  the optional PostgreSQL index (config `index = "postgres"`)
    feeder.py          the node's feeding of it, off the commit path

Importing this package imports no database driver; the backends are imported by name.
"""

from chainbook.index.entries import IndexedBlock, IndexedTx, compute_block_entries
from chainbook.index.search import TxHit, TxPage, TxSearch

__all__ = ["IndexedBlock", "IndexedTx", "TxHit", "TxPage", "TxSearch", "compute_block_entries"]
