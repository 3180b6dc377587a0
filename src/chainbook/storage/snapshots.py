"""The state snapshots a node keeps for peers that state-sync (core/snapshots.py is the format).

    data/snapshots/<height>/offer.bin      the SnapshotOffer (MessagePack)
    data/snapshots/<height>/<index>.chunk  chunk `index`, exactly the bytes served

Rules kept:
- A snapshot is written whole or not at all: into a hidden temporary folder, renamed into place
  once every chunk and the offer are written; leftovers of a crash (a `.tmp-` folder) are
  removed when the store opens. A folder without a readable offer, or whose chunks do not
  match the offer's hashes when served, is not offered (serving re-checks each chunk's hash:
  a damaged file is never sent as if it were the snapshot).
- At most `keep` snapshots are kept, the newest; older ones are deleted after a new one is in.
- Snapshots are derived data (the state table and the blocks hold the same): losing the
  folder loses nothing but the ability to serve them until the next one is taken.

MemorySnapshotStore keeps the same in dicts (the simulator, tests).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from chainbook import codec
from chainbook.core.snapshots import SnapshotOffer
from chainbook.errors import DecodeError
from chainbook.types import Height

SNAPSHOTS_KEPT_MAX = 100
"""Most snapshots a node may be configured to keep (each is the size of the state)."""
OFFER_FILE = "offer.bin"
_TMP_PREFIX = ".tmp-"


class FileSnapshotStore:
    """Snapshots in a folder (module docstring)."""

    def __init__(self, root: Path, keep: int) -> None:
        assert 1 <= keep <= SNAPSHOTS_KEPT_MAX
        self.root = root
        self.keep = keep
        root.mkdir(parents=True, exist_ok=True)
        for leftover in root.glob(_TMP_PREFIX + "*"):
            shutil.rmtree(leftover, ignore_errors=True)
        self._offers: dict[Height, SnapshotOffer] = {}
        for folder in root.iterdir():
            offer = _read_offer(folder)
            if offer is not None:
                self._offers[offer.height] = offer

    def list_offers(self) -> list[SnapshotOffer]:
        return [self._offers[h] for h in sorted(self._offers, reverse=True)]

    def load_chunk(self, height: Height, index: int) -> bytes | None:
        offer = self._offers.get(height)
        if offer is None or not 0 <= index < len(offer.chunk_hashes):
            return None
        try:
            chunk = (self.root / str(height) / f"{index}.chunk").read_bytes()
        except OSError:
            return None
        if hashlib.sha256(chunk).digest() != offer.chunk_hashes[index]:
            return None
        return chunk

    def save(self, offer: SnapshotOffer, chunks: list[bytes]) -> None:
        """Write a snapshot whole, then offer it and prune to `keep`."""
        self.write(offer, chunks)
        self.add(offer)

    def write(self, offer: SnapshotOffer, chunks: list[bytes]) -> None:
        """The files of a snapshot, whole (a worker thread may do this part; a snapshot of a
        height already kept is left as it is: one state has one snapshot)."""
        assert len(chunks) == len(offer.chunk_hashes)
        final = self.root / str(offer.height)
        if final.exists():
            return
        tmp = self.root / f"{_TMP_PREFIX}{offer.height}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for index, chunk in enumerate(chunks):
            (tmp / f"{index}.chunk").write_bytes(chunk)
        (tmp / OFFER_FILE).write_bytes(codec.encode(offer))
        os.replace(tmp, final)

    def add(self, offer: SnapshotOffer) -> None:
        """Offer a written snapshot, and delete the ones past `keep` (the node's thread)."""
        assert _read_offer(self.root / str(offer.height)) == offer
        self._offers[offer.height] = offer
        self._prune()

    def _prune(self) -> None:
        for height in sorted(self._offers, reverse=True)[self.keep :]:
            del self._offers[height]
            shutil.rmtree(self.root / str(height), ignore_errors=True)


def _read_offer(folder: Path) -> SnapshotOffer | None:
    if not folder.name.isdigit():
        return None
    with contextlib.suppress(OSError, DecodeError):
        offer = codec.decode((folder / OFFER_FILE).read_bytes(), SnapshotOffer)
        if str(offer.height) == folder.name:
            return offer
    return None


class MemorySnapshotStore:
    """Snapshots in memory, the same rules (the simulator, tests)."""

    def __init__(self, keep: int = 2) -> None:
        assert 1 <= keep <= SNAPSHOTS_KEPT_MAX
        self.keep = keep
        self.snapshots: dict[Height, tuple[SnapshotOffer, list[bytes]]] = {}

    def list_offers(self) -> list[SnapshotOffer]:
        return [self.snapshots[h][0] for h in sorted(self.snapshots, reverse=True)]

    def load_chunk(self, height: Height, index: int) -> bytes | None:
        found = self.snapshots.get(height)
        if found is None or not 0 <= index < len(found[1]):
            return None
        return found[1][index]

    def save(self, offer: SnapshotOffer, chunks: list[bytes]) -> None:
        assert len(chunks) == len(offer.chunk_hashes)
        self.snapshots.setdefault(offer.height, (offer, list(chunks)))
        for height in sorted(self.snapshots, reverse=True)[self.keep :]:
            del self.snapshots[height]


__all__ = ["SNAPSHOTS_KEPT_MAX", "FileSnapshotStore", "MemorySnapshotStore"]
