"""The block store interface: what the node and the simulator persist, and what it guarantees.

A node's book is its blocks. Everything else kept here is derived from them or private to the
node:

    blocks         height -> (block bytes exactly as received, the seen commit certificate,
                             the block's receipts)                 receipts: derived by executing
    tx index       tx hash -> (height, index in block)             derived from the blocks
    state          key -> value, the ledger state after `state_height` derived (a checkpoint)
    meta           latest height, state height, app hash
    consensus WAL  the latest record of our own consensus progress (opaque bytes, one slot)

Guarantees every implementation keeps (tests/storage/ runs the same suite on each):

1. `save_block` is atomic: after a crash at any instant, either everything of the block (block,
   commit, every tx index row, the state changes it was given, meta) is stored or nothing is.
2. Heights are contiguous: `save_block` only accepts `latest_height() + 1`. Calling it with any
   other height is a bug of the caller and fails an assertion, not a typed error.
3. `save_consensus_state` is durable when it returns (fsync'd on disk stores). The node calls it
   before sending any vote, so a crash-restart never signs two different votes for one step.
4. What is read back is what was written: block bytes are returned byte for byte; loads that
   decode stored bytes refuse a non-canonical or malformed encoding with `CorruptBook` (a
   tampered file is not our bug, so it is a typed error, not an assertion).

The state table is a checkpoint, not the book: the state after block `state_height`, which
trails the blocks. The node hands save_block its accumulated state changes only every
STATE_CHECKPOINT_BLOCKS blocks (StateCheckpoints): a running node never reads the table, and
start-up replays every block anyway, so writing it at every block cost ~4 us of CPU per
transaction for nothing (~12 of ~22 ms per 3,000-transfer block, bench_save_block.py).
`truncate_from` cannot roll it back (undoing a block would need the old values), so after a
truncation the state may be ahead of the blocks (`load_state_meta().height >
latest_height()`) and `save_block` refuses to run until the node rebuilds it with
`replace_state`. The node's start-up sequence is:

    1. report = verify_stored_chain(store, chain_id, genesis)      (chain/verify.py)
    2. if report.bad_height is not None: store.truncate_from(report.bad_height)
    3. replay blocks 1..latest_height() through the ledger from the genesis state, compare each
       header's app hash, and the state table with the replayed state when the replay passes
       its height (a table that disagrees at its own height was damaged or edited); then
       store.replace_state(state, latest_height(), app_hash) unless it already holds exactly
       that.
    4. consensus resumes from load_consensus_state(); block sync fetches the missing tail.

Receipts are stored once per block, not once per transaction: `encode_block_receipts` writes
the block's receipt list without what the tx index row already says (tx hash, height, index),
with every string (module, kind, attribute names and values -- addresses repeat across a block)
kept once in a table and referred to by number. `load_tx` rebuilds the Receipt from its index
row and that encoding (`decode_stored_tx_location`), so what it returns equals what was saved.

Bounds: `load_blocks_bytes` is bounded by a block count and a byte total given by the caller
(chainbook.limits.sync_blocks_per_response_max, sync_response_bytes_max); a stored receipts
encoding is decompressed to at most RECEIPTS_BYTES_MAX.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import Annotated, Protocol, runtime_checkable

import msgspec

from chainbook import codec
from chainbook.chain.block import Block, decode_block, encode_block
from chainbook.chain.commit import Commit
from chainbook.chain.verify import compute_header_hash
from chainbook.errors import CorruptBook, DecodeError
from chainbook.ledger.receipts import Event, Receipt
from chainbook.types import Hash, Height

RECEIPTS_BYTES_MAX = 64 * 2**20
"""Upper bound on one block's decompressed receipts encoding. A block holds at most
limits.block_txs_max (10,000) txs whose receipts encode to ~100 bytes each before the string
table; 64 MiB leaves a wide margin and stops a tampered blob from inflating without end."""

RECEIPTS_ZLIB_LEVEL = 1
"""zlib level of the stored receipts: after the string table, level 6 saves ~4 % more bytes
for ~3x the time (tests/storage/bench_save_block.py)."""


class TxLocation(msgspec.Struct, frozen=True):
    """Where a transaction was included, and what executing it did."""

    height: Height
    index: int
    """Position in the block: its Merkle leaf index."""
    receipt: Receipt


class StateMeta(msgspec.Struct, frozen=True):
    """Which block the state table reflects.

    Invariant: height <= latest_height() after any save_block or replace_state; it is only
    greater after truncate_from, until the node calls replace_state.
    """

    height: Height
    """0 before anything was stored (or for the genesis state)."""
    app_hash: Hash
    """The app hash of the state at `height`; empty when nothing was stored."""


@runtime_checkable
class BlockStore(Protocol):
    """Persistent storage of one node's book. Implementations: SqliteBlockStore (the node),
    MemoryBlockStore (the simulator and tests). Not shared between nodes."""

    def latest_height(self) -> Height:
        """The height of the last saved block; 0 when empty."""
        ...

    def save_block(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        receipts: list[Receipt],
        state_changes: dict[bytes, bytes | None] | None,
        app_hash: Hash,
    ) -> None:
        """Store a committed block in one atomic transaction.

        `block_bytes` is the canonical encoding of `block` as received; `commit` is the seen
        commit certificate for it (>2/3 precommits this node collected); `receipts[i]` is the
        receipt of `block.txs[i]`; `app_hash` is the app hash of the state after the block.
        `state_changes` None leaves the state table where it is; otherwise it maps a state key
        to its new value (None deleting it) and holds every change since the table's height
        up to this block, and the table moves to this block (a checkpoint).

        A transaction hash that is already indexed (the same tx bytes included again, which the
        ledger refuses as a replay) keeps its first location.
        """
        ...

    def load_block(self, height: Height) -> Block | None: ...

    def load_block_bytes(self, height: Height) -> bytes | None: ...

    def load_commit(self, height: Height) -> Commit | None:
        """The seen commit certificate stored with the block at `height`."""
        ...

    def load_blocks_bytes(
        self, from_height: Height, count_max: int, bytes_max: int
    ) -> list[tuple[bytes, bytes]]:
        """Consecutive (block bytes, commit bytes) from `from_height`, for block sync.

        Stops at `count_max` pairs, at the first missing height, or before the pair that would
        push the total past `bytes_max` -- except that the first pair is always returned (a
        block is bounded well below sync_response_bytes_max), so a syncing peer always makes
        progress. Empty when `from_height` is above the latest height.
        """
        ...

    def find_block_height(self, block_hash: Hash) -> Height | None:
        """The height of the stored block with this hash (for explorers and the API)."""
        ...

    def load_tx(self, tx_hash: Hash) -> TxLocation | None: ...

    def load_receipts(self, height: Height) -> list[Receipt] | None:
        """Every receipt of the block at `height`, in block order (what a receipts proof is
        built from); None when no block is stored there."""
        ...

    def load_state(self) -> dict[bytes, bytes]: ...

    def get_state(self, key: bytes) -> bytes | None: ...

    def load_state_meta(self) -> StateMeta: ...

    def replace_state(self, kv: dict[bytes, bytes], height: Height, app_hash: Hash) -> None:
        """Rewrite the whole state table and its meta in one transaction (after a replay)."""
        ...

    def truncate_from(self, height: Height) -> None:
        """Delete blocks, commits and tx index rows at `height` and above (to repair a book).

        The state table and the consensus WAL are left as they are; see the module docstring.
        """
        ...

    def save_consensus_state(self, record: bytes) -> None:
        """Overwrite the consensus WAL record; durable (fsync'd) before returning."""
        ...

    def load_consensus_state(self) -> bytes | None: ...

    def close(self) -> None: ...


def check_save_block_args(
    latest_height: Height,
    state_height: Height,
    block_bytes: bytes,
    block: Block,
    commit: Commit,
    receipts: list[Receipt],
) -> None:
    """Assert the caller's side of the save_block contract (shared by every implementation).

    These are our own invariants -- the node only saves a block it has verified, committed and
    executed -- so a violation is an AssertionError, not a typed error.
    """
    height = block.header.height
    assert height == latest_height + 1, f"save_block at {height}, latest is {latest_height}"
    assert state_height <= latest_height, (
        f"state is at height {state_height}, blocks at {latest_height}: "
        "call replace_state after truncate_from before saving blocks"
    )
    assert block_bytes == encode_block(block), "block_bytes are the canonical encoding of block"
    assert commit.height == height, f"commit for {commit.height}, block at {height}"
    assert commit.block_hash == compute_header_hash(block.header), "commit is for this block"
    assert len(receipts) == len(block.txs), f"{len(receipts)} receipts, {len(block.txs)} txs"
    # The store keeps each receipt's (tx_hash, height, index) only in the tx index row and
    # rebuilds the Receipt from it, so these must be the receipt's own: assert them here,
    # where they are written; tests/storage asserts load_tx(h).receipt == saved on read back.
    # block.tx_hashes is cached on the block (the node's commit needs it anyway).
    for index, (receipt, tx_hash) in enumerate(zip(receipts, block.tx_hashes, strict=True)):
        assert receipt.index == index and receipt.height == height and receipt.tx_hash == tx_hash, (
            f"receipt {index} names (height {receipt.height}, index {receipt.index}, "
            f"tx {receipt.tx_hash.hex()}), the block has tx {tx_hash.hex()} there"
        )


STATE_CHECKPOINT_BLOCKS = 100
"""The node writes the state table every this many blocks (every 15-50 s on the development
machine); start-up replays the blocks after it, as it replays every block."""


class StateCheckpoints:
    """What save_block's `state_changes` should be at each committed block: None, except every
    `interval` heights, when it is everything that changed since the last checkpoint (a key
    changed by many blocks is written once)."""

    def __init__(self, interval: int = STATE_CHECKPOINT_BLOCKS) -> None:
        assert interval >= 1
        self.interval = interval
        self._pending: dict[bytes, bytes | None] = {}

    def changes_to_save(
        self, height: Height, changes: Mapping[bytes, bytes | None]
    ) -> dict[bytes, bytes | None] | None:
        """Record block `height`'s changes; the checkpoint's changes when one is due."""
        self._pending.update(changes)
        if height % self.interval:
            return None
        due, self._pending = self._pending, {}
        return due


NonNegative = Annotated[int, msgspec.Meta(ge=0)]


class BlockReceipts(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """A block's receipts as stored: their strings once each, and references to them.

    Invariant (checked on read): `refs` is the concatenation, over receipts in block order, of
    [code, error, then for each event: module, kind, name_1, value_1, ..., name_n, value_n], each an
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


def decode_stored_receipts(
    height: Height, tx_hashes: list[Hash], receipts_bytes: bytes
) -> list[Receipt]:
    """All the receipts of block `height` (encode_block_receipts' bytes) read back, given its
    txs' hashes; CorruptBook if they do not decode or do not fit the block."""
    where = f"stored receipts of block {height}"
    try:
        stored = codec.decode(receipts_bytes, BlockReceipts)
    except DecodeError as exc:
        raise CorruptBook(f"{where} do not decode: {exc}", height=height) from None
    shapes, refs, strings = stored.shapes, stored.refs, stored.strings
    if len(shapes) != len(tx_hashes):
        raise CorruptBook(
            f"{where}: {len(shapes)} receipts for {len(tx_hashes)} txs", height=height
        )
    needed = sum(2 + 2 * len(counts) + 2 * sum(counts) for _, counts in shapes)
    if needed != len(refs) or max(refs, default=0) >= max(len(strings), 1):
        raise CorruptBook(f"{where}: the references do not match the table", height=height)
    texts = [strings[ref] for ref in refs] if strings else []
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


def check_load_blocks_bytes_args(from_height: Height, count_max: int, bytes_max: int) -> None:
    """Refuse a load_blocks_bytes request outside its bounds (a caller's bad input: ValueError)."""
    if from_height < 1 or count_max < 1 or bytes_max < 1:
        raise ValueError(
            f"load_blocks_bytes(from_height={from_height}, count_max={count_max}, "
            f"bytes_max={bytes_max}): each must be >= 1"
        )


def decode_stored_block(data: bytes, height: Height) -> Block:
    """The block stored at `height`, decoded; CorruptBook (naming the height) if it does not
    decode canonically or says another height (guarantee 4)."""
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


def take_contiguous(
    rows: Iterable[tuple[int, bytes, bytes]], from_height: Height, bytes_max: int
) -> list[tuple[bytes, bytes]]:
    """Pairs from consecutive heights starting at from_height, within bytes_max (first always)."""
    taken: list[tuple[bytes, bytes]] = []
    total = 0
    for expected, (height, block_bytes, commit_bytes) in enumerate(rows, start=from_height):
        if height != expected:
            break
        size = len(block_bytes) + len(commit_bytes)
        if taken and total + size > bytes_max:
            break
        taken.append((block_bytes, commit_bytes))
        total += size
    return taken


__all__ = [
    "RECEIPTS_BYTES_MAX",
    "BlockReceipts",
    "BlockStore",
    "STATE_CHECKPOINT_BLOCKS",
    "StateCheckpoints",
    "StateMeta",
    "TxLocation",
    "check_load_blocks_bytes_args",
    "check_save_block_args",
    "compress_block_receipts",
    "decode_stored_block",
    "decode_stored_commit",
    "decompress_block_receipts",
    "decode_stored_receipts",
    "decode_stored_tx_location",
    "encode_block_receipts",
    "take_contiguous",
]
