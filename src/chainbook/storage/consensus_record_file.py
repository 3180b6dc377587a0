"""FileConsensusRecordStore: the consensus record in one file beside the node key.

    <home>/consensus_record.bin       the record (CONSENSUS_RECORD_FILE_NAME)
    <home>/consensus_record.bin.tmp   the next record while it is written (left by a crash)

File format (all integers big-endian):

    offset 0        8 bytes   RECORD_MAGIC: b"CBKREC" + format version (2 bytes, now 1)
    offset 8        8 bytes   n, the length of the record
    offset 16       n bytes   the record (opaque: consensus/machine.py's encoding)
    offset 16 + n  32 bytes   SHA-256 of bytes [0, 16 + n)

Rules kept:
- A file is read as a record only if it is exactly 48 + n bytes, starts with RECORD_MAGIC,
  n <= RECORD_BYTES_MAX and the digest matches. Anything else (torn, cut short, grown, edited,
  another file) raises DamagedConsensusRecord naming what is wrong; only a missing file is
  "no record".
- Atomic replace, in this order (save): write the whole frame to the .tmp file, fsync it,
  close it; rename it over the record (os.replace: atomic on POSIX, so a reader or a crash
  sees the old file or the new one, whole); fsync the directory, so the rename itself is on
  disk before save returns. Without the first fsync a crash could leave the new name pointing
  at data never written (a zero-length or torn file after the rename); without the second the
  rename could be lost on power failure, reviving the previous record after the vote was sent.
  tests/storage/test_consensus_record_file.py records the calls and checks this order, and
  kills a writer process at random points to check that a whole record always survives.
- A .tmp left by a crash is never read, and the next save truncates it.

Cost: two fsyncs per save (file, directory), on the path of every vote this validator signs:
0.20 ms for a 200-byte record, 4.5 ms for 1 MiB on the development machine (the book's SQLite
row it replaces: 0.08 and 4.8 ms; tests/storage/test_consensus_record_file.py). The record is
small except when it carries the valid block (<= limits.block_bytes_max).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from chainbook import limits
from chainbook.errors import DamagedConsensusRecord, StorageError

CONSENSUS_RECORD_FILE_NAME = "consensus_record.bin"
"""The record's file name in a node's home folder, beside node_key.json."""

RECORD_MAGIC = b"CBKREC\x00\x01"
_HEADER_BYTES = 16
_DIGEST_BYTES = 32

RECORD_BYTES_MAX = 4 * limits.block_bytes_max
"""Upper bound on a record read back. A record holds at most one block (the valid block,
<= limits.block_bytes_max), its polka (<= limits.validators_max signed prevotes, ~25 KiB) and
a few signed votes and a proposal: 4x the block bound is a wide margin, and stops a damaged
length field from making load read an arbitrarily large file."""


def consensus_record_path(home: str | os.PathLike[str]) -> Path:
    """Where the node whose home folder is `home` keeps its consensus record."""
    return Path(home) / CONSENSUS_RECORD_FILE_NAME


def encode_record_file(record: bytes) -> bytes:
    """The file contents holding `record` (see the module docstring)."""
    assert len(record) <= RECORD_BYTES_MAX, (
        f"a consensus record of {len(record)} bytes is over RECORD_BYTES_MAX"
    )
    framed = RECORD_MAGIC + len(record).to_bytes(8, "big") + record
    return framed + hashlib.sha256(framed).digest()


def decode_record_file(data: bytes, path: str) -> bytes:
    """The record held by file contents `data`; DamagedConsensusRecord naming the problem."""
    if len(data) < _HEADER_BYTES + _DIGEST_BYTES:
        raise DamagedConsensusRecord(
            path,
            f"{len(data)} bytes, shorter than the {_HEADER_BYTES + _DIGEST_BYTES} bytes "
            "of an empty record (a torn or truncated file)",
        )
    if data[:8] != RECORD_MAGIC:
        raise DamagedConsensusRecord(
            path,
            f"it starts with {data[:8].hex()}, not {RECORD_MAGIC.hex()} (not a "
            "chainbook consensus record, or a format this chainbook does not read)",
        )
    length = int.from_bytes(data[8:16], "big")
    if length > RECORD_BYTES_MAX:
        raise DamagedConsensusRecord(
            path, f"it says the record is {length} bytes, over the {RECORD_BYTES_MAX} accepted"
        )
    expected = _HEADER_BYTES + length + _DIGEST_BYTES
    if len(data) != expected:
        raise DamagedConsensusRecord(
            path, f"{len(data)} bytes where its header says {expected} (torn, cut short or grown)"
        )
    framed, digest = data[:-_DIGEST_BYTES], data[-_DIGEST_BYTES:]
    if hashlib.sha256(framed).digest() != digest:
        raise DamagedConsensusRecord(path, "its SHA-256 does not match (edited or torn)")
    return framed[_HEADER_BYTES:]


class FileConsensusRecordStore:
    """A ConsensusRecordStore in one file (see the module docstring for the format and the
    order of writes). One writer: the node that holds the home (the book's lock,
    storage/sqlite/lock.py, keeps a second node off the same home)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.tmp_path = self.path.with_name(self.path.name + ".tmp")

    def exists(self) -> bool:
        """Whether a record file is there (readable or not)."""
        return self.path.exists()

    def load(self) -> bytes | None:
        try:
            with self.path.open("rb") as file:
                # One byte past the largest valid file, so a grown file is seen as such.
                data = file.read(_HEADER_BYTES + RECORD_BYTES_MAX + _DIGEST_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read the consensus record {self.path}: {exc}") from None
        return decode_record_file(data, str(self.path))

    def save(self, record: bytes) -> None:
        data = encode_record_file(record)
        try:
            fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(self.tmp_path, self.path)
            directory = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise StorageError(
                f"cannot write the consensus record {self.path}: {exc} (the validator must "
                "not sign until it can)"
            ) from None


__all__ = [
    "CONSENSUS_RECORD_FILE_NAME",
    "RECORD_BYTES_MAX",
    "RECORD_MAGIC",
    "FileConsensusRecordStore",
    "consensus_record_path",
    "decode_record_file",
    "encode_record_file",
]
