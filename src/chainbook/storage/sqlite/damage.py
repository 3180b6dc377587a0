"""Telling a damaged book file from everything else, and finding the damage before it bites.

Rules kept:
- Damage is what SQLite reports as SQLITE_CORRUPT ("database disk image is malformed"),
  SQLITE_NOTADB ("file is not a database") or SQLITE_IOERR_SHORT_READ (a page past the end of
  a cut file), in any extended form, and what the file says that contradicts itself (is_damage,
  find_inconsistency). Every store method turns such an error into DamagedBookFile naming the
  file (RaiseDamage); no sqlite3 exception for damage leaves the store.
- Nothing else is damage, so nothing else is ever salvaged: a busy or locked database, a full
  disk, a read-only file, another schema version, a foreign SQLite file. Those keep their own
  errors; moving a healthy book aside on a transient error would throw away a good book.
- check_book_file only reads (a read-only connection, no lock): safe beside a running node,
  and it changes nothing in the file it judges (SQLite may create the empty -wal and -shm it
  reads through).

What check_book_file looks at, and what it costs (55 MiB book, 300,000 txs, warm page cache,
the development machine): PRAGMA quick_check, which reads every page and checks every B-tree
and overflow chain (~50 ms: ~1 ms per MiB, against minutes to replay the same blocks at
start-up); the file's size against its page count (bytes past the last page are something
other than SQLite writing to it); meta's fields; no block row and no tx index row above the
latest height recorded in meta (a scan of the tx index, ~20 ms here). The cheap part of the
last check (the largest block height: one B-tree descent) also runs at every open.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from types import TracebackType

from chainbook.errors import DamagedBookFile, StorageError
from chainbook.storage.sqlite.schema import (
    check_schema_version,
    is_chainbook_file,
    read_meta,
)
from chainbook.types import Height

SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
SQLITE_IOERR_SHORT_READ = 522
_DAMAGE_PRIMARY_CODES = frozenset({SQLITE_CORRUPT, SQLITE_NOTADB})

QUICK_CHECK_PROBLEMS_SHOWN_MAX = 5
"""How many of quick_check's findings a report quotes (it lists up to 100)."""


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether `exc` says the file is damaged (see the module docstring)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _DAMAGE_PRIMARY_CODES or code == SQLITE_IOERR_SHORT_READ
    message = str(exc)
    return "malformed" in message or "not a database" in message


class RaiseDamage:
    """`with RaiseDamage(path, doing):` turns a damage error into DamagedBookFile; any other
    exception passes through unchanged. A class, not a generator: it wraps every store call."""

    __slots__ = ("path", "doing")

    def __init__(self, path: str, doing: str) -> None:
        self.path = path
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, sqlite3.Error) and is_damage(exc):
            raise DamagedBookFile(self.path, f"{self.doing}: {exc}") from None


def find_inconsistency(db: sqlite3.Connection, latest: Height, *, thorough: bool) -> str | None:
    """What contradicts meta's latest height: a block row above it (always checked: one B-tree
    descent) or, when `thorough`, a tx index row above it (a scan of the index)."""
    tables = ("blocks", "txs", "tx_collisions") if thorough else ("blocks",)
    for table in tables:
        highest = db.execute(f"SELECT max(height) FROM {table}").fetchone()[0]
        if highest is not None and (not isinstance(highest, int) or highest > latest):
            return (
                f"its {table} table holds height {highest!r}, past the latest height {latest} "
                "recorded in its meta table (a crash that lost part of the -wal file, or an "
                "edit)"
            )
    return None


def check_book_file(path: str | os.PathLike[str]) -> str | None:
    """What is damaged in the book file at `path`, or None when nothing is found (or there is
    no file, or it is not a chainbook book at all: the store refuses those when it opens).

    Read-only; see the module docstring for what it checks and costs. Raises StorageError when
    the file cannot even be opened for reading (permissions), which is not damage.
    """
    file = Path(path)
    if not file.exists():
        if Path(f"{file}-wal").exists():
            # SQLite would replay it into the new, empty book it creates there.
            return "its -wal file is there without the book file it belongs to"
        return None
    try:
        db = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open block store {str(file)!r} to check it: {exc}") from None
    try:
        return _find_damage(db, file)
    except sqlite3.Error as exc:
        if is_damage(exc):
            return f"SQLite: {exc}"
        raise StorageError(f"cannot check block store {str(file)!r}: {exc}") from None
    finally:
        db.close()


def _find_damage(db: sqlite3.Connection, file: Path) -> str | None:
    if is_chainbook_file(db) is not True:
        return None  # a new file, or a foreign one (the store refuses it, untouched)
    findings = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
    if findings != ["ok"]:
        shown = "; ".join(str(f) for f in findings[:QUICK_CHECK_PROBLEMS_SHOWN_MAX])
        return f"SQLite's quick_check found {len(findings)} problem(s): {shown}"
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    page_count = db.execute("PRAGMA page_count").fetchone()[0]
    size = file.stat().st_size
    if size > page_size * page_count:
        return (
            f"the file is {size} bytes, {size - page_size * page_count} past the end of its "
            f"{page_count} pages of {page_size} bytes (something other than SQLite wrote to it)"
        )
    try:
        check_schema_version(db, str(file))
    except StorageError:
        return None  # another version: refused as such when opened, not salvaged
    meta = read_meta(db)
    if isinstance(meta, str):
        return meta
    latest, _ = meta
    return find_inconsistency(db, latest, thorough=True)


__all__ = [
    "QUICK_CHECK_PROBLEMS_SHOWN_MAX",
    "RaiseDamage",
    "check_book_file",
    "find_inconsistency",
    "is_damage",
]
