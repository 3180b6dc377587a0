"""The side store of private contents: a file of its own, created on the first write,
surviving a reopen, and purging by overwriting (no copy left in the file or its -wal)."""

from __future__ import annotations

from pathlib import Path

from chainbook.apps.private.content import compute_record_hash
from chainbook.core.private_wire import PurgePrivateData, SavePrivateData
from chainbook.storage.private_store import SqlitePrivateStore

SALT = bytes(32)


def save(record: str, content: bytes, purge_at: int) -> SavePrivateData:
    return SavePrivateData("risk", record, compute_record_hash(SALT, content), SALT, content,
                           5, purge_at)


def test_no_write_no_file_then_rows_survive_a_reopen_and_purge_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "data" / "private.sqlite"
    store = SqlitePrivateStore(path)
    assert store.get("risk", "a") is None and store.count() == 0 and not path.exists()
    kept, purged = b"KEPT-CONTENT-MARKER", b"PURGED-CONTENT-MARKER"
    store.carry_out(save("a", kept, 0))
    store.carry_out(save("b", purged, 9))
    store.carry_out(save("b", purged, 9))  # idempotent
    assert store.count() == 2 and store.earliest_purge_at_height() == 9
    store.close()
    store = SqlitePrivateStore(path)
    assert store.earliest_purge_at_height() == 9
    stored = store.get("risk", "b")
    assert stored is not None and stored.content == purged and stored.purge_at_height == 9
    store.carry_out(PurgePrivateData(8))
    assert store.get("risk", "b") is not None
    store.carry_out(PurgePrivateData(9))
    assert store.get("risk", "b") is None and store.earliest_purge_at_height() is None
    assert store.get("risk", "a") is not None
    store.close()
    files = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert kept in files and purged not in files
