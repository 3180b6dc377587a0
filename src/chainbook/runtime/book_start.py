"""The first look at a node's book, before anything may write to it.

Rules kept:
- A node whose genesis is not the one its book was built on stops with GenesisMismatch before
  the book is opened for writing: not even a salvage of a damaged file, a state table rewrite
  or a fresh consensus record happens for a genesis that is not the book's (core/book.py
  checks the same again when it opens the book, for every driver).
- The look is read-only (storage's read-only store: no lock, no write) and leaves no file
  behind: a book closed cleanly (no -wal beside it) is read as immutable, so SQLite creates
  no -wal or -shm; one with a -wal (a node killed mid-way) is read through it. A file it
  cannot read (none yet, damaged, another schema) is left to the normal opening, which
  creates, salvages or refuses it with its own error. Narrow as it is, this look is what
  keeps a foreign genesis from a salvage: a readable file with damage only the full check
  finds would otherwise be moved aside before the book's own check.
"""

from __future__ import annotations

from pathlib import Path

from chainbook.chain.genesis import Genesis
from chainbook.core.book import verify_book_genesis
from chainbook.errors import StorageError
from chainbook.storage import SqliteBlockStore


def refuse_foreign_genesis(book_path: Path, genesis: Genesis) -> None:
    """Raise GenesisMismatch if the book at `book_path` was built on another genesis."""
    if not book_path.is_file():
        return
    try:
        clean = not book_path.with_name(book_path.name + "-wal").exists()
        store = SqliteBlockStore(book_path, read_only=True, immutable=clean)
    except StorageError:
        return
    try:
        verify_book_genesis(store, genesis, str(book_path), record=False)
    finally:
        store.close()


__all__ = ["refuse_foreign_genesis"]
