"""Reading one SQLite cell back: a BLOB where we wrote one, or a CorruptBook naming it.

SQLite columns are dynamically typed, so a cell edited in the sqlite3 shell may hold TEXT or a
number where the store wrote bytes; that is a tampered book (a typed error), not our bug.
"""

from __future__ import annotations

from chainbook.errors import CorruptBook
from chainbook.types import Height


def blob(value: object | None, what: str, height: Height) -> bytes | None:
    """A stored BLOB read back (None: no such row); CorruptBook for another SQL type."""
    if value is None or isinstance(value, bytes):
        return value
    raise CorruptBook(
        f"stored {what} (height {height}) is {type(value).__name__}, not a blob", height=height
    )


__all__ = ["blob"]
