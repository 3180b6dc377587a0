"""State snapshots: the state after a block, cut into chunks a new node can fetch and check.

Rules kept:
- A snapshot of height C is the whole ledger state after block C (the `kv` of that height),
  its entries sorted by key and cut into chunks of about CHUNK_BYTES_TARGET bytes; chunk i is
  the canonical MessagePack array of its [key, value] pairs. Keys increase strictly inside a
  chunk and from one chunk to the next, so one state has exactly one snapshot: every honest
  node that took a snapshot at C offers the same chunks, the same chunk hashes, the same offer.
- The offer (`SnapshotOffer`) names the height, the format, the SHA-256 of every chunk, the
  total bytes and the number of entries. Nothing in it is trusted: each chunk is checked
  against its hash as it arrives (a wrong one is the fault of the peer that sent it), and the
  state assembled from all of them must hash, as a state tree (ledger/state_tree.py), to the
  app hash of header C + 1, itself proven by its commit certificate from genesis
  (core/snapshot_proof.py). An offer whose chunks match their hashes but do not make that
  state was a lie of every peer that offered it.
- Every count and size a peer controls is bounded here (the _MAX names below) and checked
  before anything is kept: chunks per offer, bytes per chunk and per snapshot, entries, key
  and value sizes, offers per message.
- Serving reads a `SnapshotSource` (the runtime's files under data/snapshots, the simulator's
  memory); taking and storing snapshots is the driver's (storage/snapshots.py).

Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from hashlib import sha256
from typing import Protocol

import msgspec

from chainbook import codec
from chainbook.errors import DecodeError
from chainbook.ledger.state_tree import STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX
from chainbook.types import Hash, Height

SNAPSHOT_FORMAT = 1
"""The chunk layout above; an offer of another format is not taken."""
CHUNK_BYTES_TARGET = 1024 * 1024
"""A chunk is cut once it holds this many bytes of entries (so a chunk is at most this plus
one entry): big enough that a million-account state is ~40 chunks, small enough that a chunk
is one frame and one wrong chunk costs little to fetch again."""
CHUNK_BYTES_MAX = 2 * 1024 * 1024
"""Largest chunk a syncing node accepts (CHUNK_BYTES_TARGET plus the largest entry, and
some); a peer's frame is bounded by limits.frame_bytes_max anyway."""
SNAPSHOT_CHUNKS_MAX = 4_096
"""Most chunks an offer may name (its chunk hashes are 32 bytes each: 128 KiB at most)."""
SNAPSHOT_BYTES_MAX = 2 * 1024**3
"""Largest snapshot a node restores (the state is held in memory while it is checked)."""
SNAPSHOT_ENTRIES_MAX = 50_000_000
"""Most state entries a snapshot may hold."""
SNAPSHOTS_OFFERED_MAX = 8
"""Most offers in one SnapshotsResponse (a node keeps a few recent snapshots)."""


class SnapshotOffer(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """What a peer says it can serve: the state after block `height`, in these chunks."""

    height: Height
    format: int
    chunk_hashes: list[Hash]
    state_bytes: int
    """Total bytes of all chunks."""
    entries: int
    """Number of state entries (key, value) in all chunks."""

    @property
    def hash(self) -> Hash:
        """The offer's identity: peers offering the same snapshot give the same hash."""
        return sha256(codec.encode(self)).digest()


class SnapshotSource(Protocol):
    """The snapshots a node serves (storage/snapshots.py: files; MemorySnapshotStore)."""

    def list_offers(self) -> list[SnapshotOffer]:
        """The stored snapshots, newest first."""
        ...

    def load_chunk(self, height: Height, index: int) -> bytes | None: ...


class InvalidSnapshot(DecodeError):
    """An offer or a chunk a peer sent breaks the rules of the module docstring."""


_Pairs = list[tuple[bytes, bytes]]
_chunk_decoder: msgspec.msgpack.Decoder[_Pairs] = msgspec.msgpack.Decoder(_Pairs)


def make_snapshot(
    kv: Mapping[bytes, bytes], height: Height, chunk_bytes_target: int = CHUNK_BYTES_TARGET
) -> tuple[SnapshotOffer, list[bytes]]:
    """The offer and the chunks of the state `kv` after block `height`."""
    chunks: list[bytes] = []
    pairs: _Pairs = []
    size = 0
    for key in sorted(kv):
        value = kv[key]
        pairs.append((key, value))
        size += len(key) + len(value)
        if size >= chunk_bytes_target:
            chunks.append(codec.encode(pairs))
            pairs, size = [], 0
    if pairs or not chunks:
        chunks.append(codec.encode(pairs))
    offer = SnapshotOffer(
        height=height,
        format=SNAPSHOT_FORMAT,
        chunk_hashes=[sha256(chunk).digest() for chunk in chunks],
        state_bytes=sum(len(chunk) for chunk in chunks),
        entries=len(kv),
    )
    return offer, chunks


def get_offer_refusal(offer: SnapshotOffer, height_min: Height = 1) -> str | None:
    """Why an offer cannot be taken (its shape, before anything is fetched), or None."""
    count = len(offer.chunk_hashes)
    if offer.format != SNAPSHOT_FORMAT:
        return f"format {offer.format}, this node restores format {SNAPSHOT_FORMAT} only"
    if offer.height < height_min:
        return f"height {offer.height}, below {height_min}"
    if not 1 <= count <= SNAPSHOT_CHUNKS_MAX:
        return f"{count} chunks, accepted 1..{SNAPSHOT_CHUNKS_MAX}"
    if any(len(h) != 32 for h in offer.chunk_hashes):
        return "a chunk hash is not 32 bytes"
    if not 0 < offer.state_bytes <= min(SNAPSHOT_BYTES_MAX, count * CHUNK_BYTES_MAX):
        return (
            f"{offer.state_bytes} bytes in {count} chunks, accepted 1.."
            f"{min(SNAPSHOT_BYTES_MAX, count * CHUNK_BYTES_MAX)}"
        )
    if not 0 <= offer.entries <= SNAPSHOT_ENTRIES_MAX:
        return f"{offer.entries} entries, accepted 0..{SNAPSHOT_ENTRIES_MAX}"
    return None


def is_chunk_of(offer: SnapshotOffer, index: int, chunk: bytes) -> bool:
    """Whether `chunk` is chunk `index` of `offer` (its hash, its size)."""
    return (
        0 <= index < len(offer.chunk_hashes)
        and len(chunk) <= CHUNK_BYTES_MAX
        and sha256(chunk).digest() == offer.chunk_hashes[index]
    )


def decode_chunk(chunk: bytes, index: int) -> _Pairs:
    """A chunk's entries, checked: canonical, keys strictly increasing, sizes bounded."""
    try:
        pairs = _chunk_decoder.decode(chunk)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidSnapshot(f"chunk {index}: not a list of [key, value] pairs: {exc}") from None
    if codec.encode(pairs) != chunk:
        raise InvalidSnapshot(f"chunk {index}: not the canonical encoding of its entries")
    previous = b""
    for position, (key, value) in enumerate(pairs):
        if not 0 < len(key) <= STATE_KEY_BYTES_MAX or len(value) > STATE_VALUE_BYTES_MAX:
            raise InvalidSnapshot(
                f"chunk {index} entry {position}: key of {len(key)} bytes, value of "
                f"{len(value)} (accepted: keys 1..{STATE_KEY_BYTES_MAX}, values up to "
                f"{STATE_VALUE_BYTES_MAX})"
            )
        if position and key <= previous:
            raise InvalidSnapshot(f"chunk {index} entry {position}: keys out of order")
        previous = key
    return pairs


def assemble_state(offer: SnapshotOffer, chunks: Iterable[_Pairs]) -> dict[bytes, bytes]:
    """The state of decoded chunks, in order: keys increase across chunks, the entry count is
    the offer's. The caller then compares its tree root with the proven app hash."""
    kv: dict[bytes, bytes] = {}
    last_key = b""
    for index, pairs in enumerate(chunks):
        if pairs and kv and pairs[0][0] <= last_key:
            raise InvalidSnapshot(f"chunk {index}: its first key does not follow chunk {index - 1}")
        kv.update(pairs)
        if pairs:
            last_key = pairs[-1][0]
    if len(kv) != offer.entries:
        raise InvalidSnapshot(f"the chunks hold {len(kv)} entries, the offer says {offer.entries}")
    return kv


__all__ = [
    "CHUNK_BYTES_MAX",
    "CHUNK_BYTES_TARGET",
    "SNAPSHOTS_OFFERED_MAX",
    "SNAPSHOT_BYTES_MAX",
    "SNAPSHOT_CHUNKS_MAX",
    "SNAPSHOT_ENTRIES_MAX",
    "SNAPSHOT_FORMAT",
    "InvalidSnapshot",
    "SnapshotOffer",
    "SnapshotSource",
    "assemble_state",
    "decode_chunk",
    "get_offer_refusal",
    "is_chunk_of",
    "make_snapshot",
]
