"""How a block's parts are encoded at rest, and how stored bytes are read back with checks.

Rules kept:
- What is read back is checked before it is trusted: a block must decode canonically and say
  the height it is stored at; a commit must decode canonically; receipts must inflate within
  RECEIPTS_BYTES_MAX and their references must fit their string table. Anything else is a
  tampered or damaged book: `CorruptBook` naming the height, never an assertion.
- Block bytes are stored exactly as received (they are what the hash chain covers); only the
  receipts have an encoding of their own, described here.

Receipts are stored once per block, not once per transaction: `encode_block_receipts` writes
the block's receipt list without what the tx index row already says (tx hash, height, index),
with every string (module, kind, attribute names and values -- addresses repeat across a block)
kept once in a table and referred to by number. `decode_stored_tx_location` rebuilds the
Receipt from its index row and that encoding, so what a store returns equals what was saved.
The SQLite store compresses the encoding with zlib (`compress_block_receipts`); the memory
store keeps it uncompressed.
"""

from __future__ import annotations

import zlib
from typing import Annotated

import msgspec

from chainbook import codec
from chainbook.chain.block import Block, decode_block
from chainbook.chain.commit import Commit
from chainbook.errors import CorruptBook, DecodeError
from chainbook.ledger.receipts import Event, Receipt
from chainbook.storage.block_store import TxLocation
from chainbook.types import Hash, Height

RECEIPTS_BYTES_MAX = 64 * 2**20
"""Upper bound on one block's decompressed receipts encoding. A block holds at most
limits.block_txs_max (10,000) txs whose receipts encode to ~100 bytes each before the string
table; 64 MiB leaves a wide margin and stops a tampered blob from inflating without end."""

RECEIPTS_ZLIB_LEVEL = 1
"""zlib level of the stored receipts: after the string table, level 6 saves ~4 % more bytes
for ~3x the time (tests/storage/bench_save_block.py)."""

NonNegative = Annotated[int, msgspec.Meta(ge=0)]


class BlockReceipts(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """A block's receipts as stored: their strings once each, and references to them.

    Invariant (checked on read): `refs` is the concatenation, over receipts in block order, of
    [error, then for each event: module, kind, name_1, value_1, ..., name_n, value_n], each an
    index into `strings`; `shapes[i]` is (ok, [attribute count of each event]) of receipt i.
    """

    strings: list[str]
    shapes: list[tuple[bool, list[NonNegative]]]
    refs: list[NonNegative]


def encode_block_receipts(receipts: list[Receipt]) -> bytes:
    """The MessagePack encoding of `receipts` as a BlockReceipts (not compressed).

    Leaves out each receipt's tx_hash, height and index: the tx index row holds them (and
    check_save_block_args asserts they agree with the block). One flat pass with bound
    methods: this runs for every committed block (~1 us per receipt).
    """
    flat: list[str] = []
    append, extend = flat.append, flat.extend
    shapes: list[tuple[bool, list[int]]] = []
    for receipt in receipts:
        append(receipt.code)
        append(receipt.error)
        events = receipt.events
        shapes.append((receipt.ok, [len(event.attributes) for event in events]))
        for event in events:
            append(event.module)
            append(event.kind)
            for pair in event.attributes:
                extend(pair)
    table = dict.fromkeys(flat, 0)
    for number, string in enumerate(table):
        table[string] = number
    refs = list(map(table.__getitem__, flat))
    return codec.encode(BlockReceipts(strings=list(table), shapes=shapes, refs=refs))


def compress_block_receipts(encoded: bytes) -> bytes:
    return zlib.compress(encoded, RECEIPTS_ZLIB_LEVEL)


def decompress_block_receipts(data: bytes, height: Height) -> bytes:
    """The stored, compressed receipts of block `height`; CorruptBook if they do not inflate
    (completely, within RECEIPTS_BYTES_MAX)."""
    inflater = zlib.decompressobj()
    try:
        encoded = inflater.decompress(data, RECEIPTS_BYTES_MAX)
    except zlib.error as exc:
        raise CorruptBook(
            f"stored receipts of block {height} do not decompress: {exc}", height=height
        ) from None
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise CorruptBook(
            f"stored receipts of block {height} are truncated, trailed by garbage or larger "
            f"than {RECEIPTS_BYTES_MAX} bytes",
            height=height,
        )
    return encoded


def decode_stored_receipts(receipts_bytes: bytes, height: Height) -> BlockReceipts:
    """A block's stored receipts (encode_block_receipts' bytes); CorruptBook if they do not
    decode."""
    try:
        return codec.decode(receipts_bytes, BlockReceipts)
    except DecodeError as exc:
        raise CorruptBook(
            f"stored receipts of block {height} do not decode: {exc}", height=height
        ) from None


def decode_stored_tx_location(
    tx_hash: Hash, height: Height, index: int, receipts_bytes: bytes
) -> TxLocation:
    """A tx index row and its block's stored receipts (encode_block_receipts' bytes) read back;
    CorruptBook (naming the tx and its height) if they do not decode or do not fit together.

    Finds receipt `index` by counting the refs of the receipts before it (each takes 2 for its
    code and error, 2 per event and 2 per attribute), with C-level sums: ~1 ms for a 3,000-tx block.
    """
    where = f"stored receipts of block {height} (tx {tx_hash.hex()}, index {index})"
    try:
        stored = codec.decode(receipts_bytes, BlockReceipts)
    except DecodeError as exc:
        raise CorruptBook(f"{where} do not decode: {exc}", height=height) from None
    shapes, refs, strings = stored.shapes, stored.refs, stored.strings
    if not 0 <= index < len(shapes):
        raise CorruptBook(f"{where}: the block has {len(shapes)} receipts", height=height)
    before = [counts for _, counts in shapes[:index]]
    at = 2 * index + 2 * sum(map(len, before)) + 2 * sum(map(sum, before))
    ok, attribute_counts = shapes[index]
    end = at + 2 + 2 * len(attribute_counts) + 2 * sum(attribute_counts)
    if end > len(refs) or max(refs[at:end], default=0) >= len(strings):
        raise CorruptBook(f"{where}: the references do not match the table", height=height)
    code, error = strings[refs[at]], strings[refs[at + 1]]
    at += 2
    events = []
    for count in attribute_counts:
        module, kind = strings[refs[at]], strings[refs[at + 1]]
        flat = [strings[ref] for ref in refs[at + 2 : at + 2 + 2 * count]]
        events.append(Event(module, kind, list(zip(flat[0::2], flat[1::2], strict=True))))
        at += 2 + 2 * count
    receipt = Receipt(
        tx_hash=tx_hash, height=height, index=index, ok=ok, code=code, error=error, events=events
    )
    return TxLocation(height=height, index=index, receipt=receipt)


def decode_stored_receipt_list(
    height: Height, tx_hashes: list[Hash], receipts_bytes: bytes
) -> list[Receipt]:
    """All the receipts of block `height` (encode_block_receipts' bytes) read back, given its
    txs' hashes (what a receipts proof is built from); CorruptBook if they do not decode or do
    not fit the block."""
    where = f"stored receipts of block {height}"
    stored = decode_stored_receipts(receipts_bytes, height)
    shapes, refs, strings = stored.shapes, stored.refs, stored.strings
    if len(shapes) != len(tx_hashes):
        raise CorruptBook(
            f"{where}: {len(shapes)} receipts for {len(tx_hashes)} txs", height=height
        )
    needed = sum(2 + 2 * len(counts) + 2 * sum(counts) for _, counts in shapes)
    if needed != len(refs) or max(refs, default=0) >= max(len(strings), 1):
        raise CorruptBook(f"{where}: the references do not match the table", height=height)
    texts = [strings[ref] for ref in refs]
    receipts = []
    at = 0
    for index, ((ok, counts), tx_hash) in enumerate(zip(shapes, tx_hashes, strict=True)):
        code, error = texts[at], texts[at + 1]
        at += 2
        events = []
        for count in counts:
            flat = texts[at + 2 : at + 2 + 2 * count]
            pairs = list(zip(flat[0::2], flat[1::2], strict=True))
            events.append(Event(texts[at], texts[at + 1], pairs))
            at += 2 + 2 * count
        receipts.append(Receipt(tx_hash, height, index, ok, code, error, events))
    return receipts


def decode_stored_block(data: bytes, height: Height) -> Block:
    """The block stored at `height`, decoded; CorruptBook (naming the height) if it does not
    decode canonically or says another height."""
    try:
        block = decode_block(data)
    except DecodeError as exc:
        raise CorruptBook(f"stored block {height} does not decode: {exc}", height=height) from None
    if block.header.height != height:
        raise CorruptBook(f"stored block {height} says height {block.header.height}", height=height)
    return block


def decode_stored_commit(data: bytes, height: Height) -> Commit:
    """The commit stored with the block at `height`, decoded; CorruptBook if it does not."""
    try:
        return codec.decode_canonical(data, Commit)
    except DecodeError as exc:
        raise CorruptBook(
            f"stored commit of block {height} does not decode: {exc}", height=height
        ) from None


def decode_stored_hops(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """The validator-set hops a state-synced book keeps (header, commit, validators bytes,
    each verified when the snapshot was restored, and again by `chainbook verify`)."""
    try:
        return codec.decode_canonical(data, list[tuple[bytes, bytes, bytes]])
    except DecodeError as exc:
        raise CorruptBook(f"the stored state sync hops do not decode: {exc}", height=1) from None


__all__ = [
    "RECEIPTS_BYTES_MAX",
    "RECEIPTS_ZLIB_LEVEL",
    "BlockReceipts",
    "compress_block_receipts",
    "decode_stored_block",
    "decode_stored_commit",
    "decode_stored_hops",
    "decode_stored_receipt_list",
    "decode_stored_receipts",
    "decode_stored_tx_location",
    "decompress_block_receipts",
    "encode_block_receipts",
]
