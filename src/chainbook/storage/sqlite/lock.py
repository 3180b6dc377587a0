"""BookLock: one process at a time holds a book.

An advisory lock (flock) on `<book>.lock`, taken when a SqliteBlockStore opens and released
when it closes or its process dies (the kernel drops it, so a kill -9 leaves no stale lock).
It keeps a second node, or a salvage (storage/sqlite/salvage.py, which moves the file aside),
off a book a running node holds: both would otherwise write to files the other has moved or
replaced. Readers that do not write (the sqlite3 shell, `chainbook verify --no-repair`'s
check) do not take it: SQLite's own WAL locking keeps them consistent.
"""

from __future__ import annotations

import fcntl
import os

from chainbook.errors import BookInUse, StorageError


class BookLock:
    """Held from construction until release(); BookInUse if another process holds it."""

    def __init__(self, book_path: str | os.PathLike[str]) -> None:
        self.book_path = os.fspath(book_path)
        self.path = f"{self.book_path}.lock"
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StorageError(f"cannot open block store {self.book_path!r}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BookInUse(self.book_path) from None
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


__all__ = ["BookLock"]
