"""The BlockStore protocol: what a node persists of its book, and what every store guarantees.

A node's book is its blocks. Everything else kept here is derived from them:

    blocks         height -> (block bytes exactly as received, the seen commit certificate,
                             the block's receipts)                 receipts: derived by executing
    tx index       tx hash -> (height, index in block)             derived from the blocks
    state          key -> value, the ledger state after `state_height` (a checkpoint,
                   storage/checkpoints.py)
    meta           latest height, state height, app hash, the genesis hash the book was
                   built on (recorded once, by core/book.py, and never changed)

What this validator signed is not here: the consensus record has a store of its own
(storage/consensus_record.py), so that losing or rolling back the book can never roll back the
guard against double-signing.

Guarantees every implementation keeps (tests/storage/ runs the same suite on each):

1. `save_block` is atomic: after a crash at any instant, either everything of the block (block,
   commit, every tx index row, the state changes it was given, meta) is stored or nothing is.
2. Heights are contiguous (from 1, or from the snapshot height of a book started by
   `restore_snapshot`): `save_block` only accepts `latest_height() + 1`. Calling it with any
   other height is a bug of the caller and fails an assertion, not a typed error.
3. A stored block is durable when `save_block` returns (fsync'd on disk stores).
4. What is read back is what was written: block bytes are returned byte for byte; loads that
   decode stored bytes refuse a non-canonical or malformed encoding with `CorruptBook` (a
   tampered file is not our bug, so it is a typed error, not an assertion).
5. A store on a file that is damaged below the level of our encodings (the SQLite file itself)
   raises `DamagedBookFile` from any method, never the database library's own exception;
   storage/sqlite/salvage.py turns such a file into a healthy book holding what was readable.

The node's start-up sequence is in core/book.py (verify the hash chain, truncate at the first
bad height, replay, bring the state checkpoint forward); block sync fetches the missing tail.

Bounds: `load_blocks_bytes` is bounded by a block count and a byte total given by the caller
(chainbook.limits.sync_blocks_per_response_max, sync_response_bytes_max).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import msgspec

from chainbook.chain.block import Block, Header, compute_header_hash, encode_block
from chainbook.chain.commit import Commit
from chainbook.ledger.receipts import Receipt
from chainbook.types import Hash, Height


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

    def load_block_bytes(self, height: Height) -> bytes | None:
        """The stored block's bytes; None if there is none, or it is pruned."""
        ...

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

    def advance_state(
        self, changes: dict[bytes, bytes | None], height: Height, app_hash: Hash
    ) -> None:
        """Move the state table forward to `height` in one transaction: `changes` holds every
        change since the table's height (None deleting a key), as a checkpoint's would
        (core/book.py, after replaying the blocks above the checkpoint)."""
        ...

    def truncate_from(self, height: Height) -> None:
        """Delete blocks, commits and tx index rows at `height` and above (to repair a book).

        The state table is left as it is; see storage/checkpoints.py.
        """
        ...

    def load_pruned_below(self) -> Height:
        """Blocks below this height are pruned: header and commits only (storage/pruning.py);
        1 when nothing is."""
        ...

    def load_header_and_last_commit(self, height: Height) -> tuple[Header, Commit | None] | None:
        """The header and last_commit stored at `height`, pruned or not."""
        ...

    def prune_blocks(self, below: Height, blocks_max: int) -> Height:
        """Prune blocks below `below` (at most `blocks_max`, never from the state checkpoint's
        height on), in one transaction; returns the new pruned_below."""
        ...

    def restore_snapshot(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        kv: dict[bytes, bytes],
        app_hash: Hash,
        hops: list[tuple[bytes, bytes, bytes]],
    ) -> None:
        """Start an empty book from a verified snapshot of the state after block C, atomically:
        block C in its pruned form with its commit, the state table at C, the validator-set
        hops that proved it; nothing below C (load_book_base() == C, pruned_below C + 1)."""
        ...

    def load_book_base(self) -> Height:
        """The first height held: 1, or C for a book started by state sync."""
        ...

    def load_state_sync_hops(self) -> list[tuple[bytes, bytes, bytes]]:
        """The (header, commit, validators) bytes of the validator-set changes below the
        book's base, kept from its state sync (empty otherwise)."""
        ...

    def load_genesis_hash(self) -> Hash | None:
        """The hash of the genesis this book was built on; None until it is recorded (a new
        book, or one written before books recorded it)."""
        ...

    def save_genesis_hash(self, genesis_hash: Hash) -> None:
        """Record the book's genesis hash, durably. Recording a different hash over a recorded
        one is a bug of the caller (an assertion): a book never changes chain."""
        ...

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


def check_restore_snapshot_args(
    latest_height: Height, block_bytes: bytes, block: Block, commit: Commit
) -> None:
    """Assert the caller's side of restore_snapshot (the node restores only what it verified,
    core/statesync.py, into an empty book)."""
    height = block.header.height
    assert latest_height == 0, f"restore_snapshot into a book at height {latest_height}"
    assert height >= 1 and not block.txs, "block C is stored in its pruned form"
    assert block_bytes == encode_block(block), "block_bytes are the canonical encoding of block"
    assert commit.height == height and commit.block_hash == compute_header_hash(block.header)


def check_load_blocks_bytes_args(from_height: Height, count_max: int, bytes_max: int) -> None:
    """Refuse a load_blocks_bytes request outside its bounds (a caller's bad input: ValueError)."""
    if from_height < 1 or count_max < 1 or bytes_max < 1:
        raise ValueError(
            f"load_blocks_bytes(from_height={from_height}, count_max={count_max}, "
            f"bytes_max={bytes_max}): each must be >= 1"
        )


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
    "BlockStore",
    "StateMeta",
    "TxLocation",
    "check_load_blocks_bytes_args",
    "check_restore_snapshot_args",
    "check_save_block_args",
    "take_contiguous",
]
