"""MemoryBlockStore: the BlockStore contract in dicts, for the simulator and tests.

It keeps the same guarantees as SqliteBlockStore, in the simulator's terms:
- save_block is atomic: every check and every encoding happens before the first dict is
  touched, and the mutations that follow cannot fail, so an exception leaves nothing behind.
- It holds only bytes (encoded commits and receipts, block bytes as given), never objects that
  a node could still mutate or reference, and nothing in it refers to the node that wrote it.
  A simulated crash is: drop the node, keep this object, build a new node on it -- exactly what
  a restarted process finds in its SQLite file.
- Everything stored is "durable" at once; to simulate disk faults, wrap it in
  FaultyBlockStore (storage/faulty.py).
- The consensus record is not part of the book: the simulator keeps it in a
  MemoryConsensusRecordStore of its own (storage/consensus_record.py), so a simulated loss or
  rollback of this store leaves it alone.
Loads decode as the SQLite store does (canonical, CorruptBook on bad bytes), so a test that
tampers with `blocks` here sees the same reports as one that edits the SQLite file. The layout
is the SQLite schema's: a block's receipts once (encode_block_receipts, not compressed: memory
is not disk, and the simulator's CPU is), and a tx index of (height, index).
"""

from __future__ import annotations

from chainbook import codec
from chainbook.chain.block import Block, Header, compute_header_hash
from chainbook.chain.commit import Commit
from chainbook.errors import CorruptBook
from chainbook.ledger.receipts import Receipt
from chainbook.storage.block_store import (
    StateMeta,
    TxLocation,
    check_load_blocks_bytes_args,
    check_restore_snapshot_args,
    check_save_block_args,
    take_contiguous,
)
from chainbook.storage.pruning import compute_prune_range, compute_pruned_block
from chainbook.storage.stored_format import (
    decode_stored_block,
    decode_stored_commit,
    decode_stored_receipt_list,
    decode_stored_tx_location,
    encode_block_receipts,
)
from chainbook.types import Hash, Height


class MemoryBlockStore:
    """A BlockStore in dicts. The tables are public attributes so tests can tamper with them."""

    def __init__(self) -> None:
        self.blocks: dict[Height, tuple[Hash, bytes, bytes]] = {}
        """height -> (block hash, block bytes, commit bytes)."""
        self.receipts: dict[Height, bytes] = {}
        """height -> the block's receipts (storage/stored_format.py encode_block_receipts)."""
        self.txs: dict[Hash, tuple[Height, int]] = {}
        """tx hash -> (height, index); the first location of a tx included twice."""
        self.state: dict[bytes, bytes] = {}
        self._latest_height: Height = 0
        self._state_meta = StateMeta(height=0, app_hash=b"")
        self.genesis_hash: Hash | None = None
        """The genesis the book was built on (public so tests can swap it)."""
        self.pruned_below: Height = 1
        """Blocks below it are pruned (storage/pruning.py)."""
        self.book_base: Height = 1
        """The first height held (the snapshot's, for a book started by state sync)."""
        self.state_sync_hops: list[tuple[bytes, bytes, bytes]] = []
        self.closed = False

    def save_block(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        receipts: list[Receipt],
        state_changes: dict[bytes, bytes | None] | None,
        app_hash: Hash,
    ) -> None:
        assert not self.closed, "store is closed"
        check_save_block_args(
            self._latest_height, self._state_meta.height, block_bytes, block, commit, receipts
        )
        height = block.header.height
        # Everything that can fail, first.
        row = (compute_header_hash(block.header), bytes(block_bytes), codec.encode(commit))
        receipts_bytes = encode_block_receipts(receipts)
        tx_rows = [(r.tx_hash, (height, r.index)) for r in receipts]
        changes = [
            (bytes(k), None if v is None else bytes(v)) for k, v in (state_changes or {}).items()
        ]
        # Then the mutations, which cannot fail.
        self.blocks[height] = row
        self.receipts[height] = receipts_bytes
        for tx_hash, tx_row in tx_rows:
            self.txs.setdefault(tx_hash, tx_row)
        for key, value in changes:
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[key] = value
        self._latest_height = height
        if state_changes is not None:
            self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def replace_state(self, kv: dict[bytes, bytes], height: Height, app_hash: Hash) -> None:
        assert 0 <= height <= self._latest_height, (
            f"replace_state at {height}, blocks end at {self._latest_height}"
        )
        self.state = {bytes(k): bytes(v) for k, v in kv.items()}
        self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def advance_state(
        self, changes: dict[bytes, bytes | None], height: Height, app_hash: Hash
    ) -> None:
        assert not self.closed, "store is closed"
        assert self._state_meta.height <= height <= self._latest_height, (
            f"advance_state to {height}: table at {self._state_meta.height}, "
            f"blocks end at {self._latest_height}"
        )
        for key, value in changes.items():
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[bytes(key)] = bytes(value)
        self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def restore_snapshot(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        kv: dict[bytes, bytes],
        app_hash: Hash,
        hops: list[tuple[bytes, bytes, bytes]],
    ) -> None:
        assert not self.closed, "store is closed"
        check_restore_snapshot_args(self._latest_height, block_bytes, block, commit)
        height = block.header.height
        row = (compute_header_hash(block.header), bytes(block_bytes), codec.encode(commit))
        self.blocks = {height: row}
        self.receipts = {height: encode_block_receipts([])}
        self.txs = {}
        self.state = {bytes(k): bytes(v) for k, v in kv.items()}
        self.pruned_below = height + 1
        self.book_base = height
        self.state_sync_hops = list(hops)
        self._latest_height = height
        self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def load_book_base(self) -> Height:
        return self.book_base

    def load_state_sync_hops(self) -> list[tuple[bytes, bytes, bytes]]:
        return list(self.state_sync_hops)

    def truncate_from(self, height: Height) -> None:
        assert height >= 1, f"truncate_from({height}): heights start at 1"
        for h in [h for h in self.blocks if h >= height]:
            del self.blocks[h]
        for h in [h for h in self.receipts if h >= height]:
            del self.receipts[h]
        self.txs = {k: row for k, row in self.txs.items() if row[0] < height}
        self._latest_height = min(self._latest_height, height - 1)

    def save_genesis_hash(self, genesis_hash: Hash) -> None:
        assert not self.closed, "store is closed"
        assert self.genesis_hash in (None, genesis_hash), "a book never changes chain"
        self.genesis_hash = bytes(genesis_hash)

    def load_genesis_hash(self) -> Hash | None:
        return self.genesis_hash

    def latest_height(self) -> Height:
        return self._latest_height

    def load_state_meta(self) -> StateMeta:
        return self._state_meta

    def load_block_bytes(self, height: Height) -> bytes | None:
        row = self.blocks.get(height)
        return None if row is None or height < self.pruned_below else row[1]

    def load_header_and_last_commit(self, height: Height) -> tuple[Header, Commit | None] | None:
        row = self.blocks.get(height)
        if row is None:
            return None
        block = decode_stored_block(row[1], height)
        return block.header, block.last_commit

    def load_pruned_below(self) -> Height:
        return self.pruned_below

    def prune_blocks(self, below: Height, blocks_max: int) -> Height:
        assert not self.closed, "store is closed"
        heights = compute_prune_range(
            self.pruned_below, below, self._state_meta.height, blocks_max
        )
        pruned = []
        for height in heights:  # everything that can fail, first
            block_hash, block_bytes, commit_bytes = self.blocks[height]
            block = decode_stored_block(block_bytes, height)
            row = (block_hash, compute_pruned_block(block), commit_bytes)
            pruned.append((height, row, set(block.tx_hashes)))
        for height, row, tx_hashes in pruned:
            self.blocks[height] = row
            self.receipts[height] = encode_block_receipts([])
            for tx_hash in tx_hashes:
                if self.txs.get(tx_hash, (0, 0))[0] == height:
                    del self.txs[tx_hash]
        self.pruned_below = max(self.pruned_below, heights.stop)
        return self.pruned_below

    def load_block(self, height: Height) -> Block | None:
        data = self.load_block_bytes(height)
        if data is None:
            return None
        return decode_stored_block(data, height)

    def load_commit(self, height: Height) -> Commit | None:
        row = self.blocks.get(height)
        if row is None:
            return None
        return decode_stored_commit(row[2], height)

    def load_blocks_bytes(
        self, from_height: Height, count_max: int, bytes_max: int
    ) -> list[tuple[bytes, bytes]]:
        check_load_blocks_bytes_args(from_height, count_max, bytes_max)
        heights = range(from_height, min(from_height + count_max, self._latest_height + 1))
        rows = [
            (h, self.blocks[h][1], self.blocks[h][2])
            for h in heights
            if h in self.blocks and h >= self.pruned_below
        ]
        return take_contiguous(rows, from_height, bytes_max)

    def find_block_height(self, block_hash: Hash) -> Height | None:
        for height in sorted(self.blocks):
            if self.blocks[height][0] == block_hash:
                return height
        return None

    def load_tx(self, tx_hash: Hash) -> TxLocation | None:
        row = self.txs.get(tx_hash)
        if row is None:
            return None
        height, index = row
        receipts_bytes = self.receipts.get(height)
        if receipts_bytes is None:
            raise CorruptBook(
                f"tx {tx_hash.hex()} is indexed at height {height}, which has no block",
                height=height,
            )
        return decode_stored_tx_location(tx_hash, height, index, receipts_bytes)

    def load_receipts(self, height: Height) -> list[Receipt] | None:
        block = self.load_block(height)
        receipts_bytes = self.receipts.get(height)
        if block is None or receipts_bytes is None:
            return None
        return decode_stored_receipt_list(height, block.tx_hashes, receipts_bytes)

    def load_state(self) -> dict[bytes, bytes]:
        return dict(self.state)

    def get_state(self, key: bytes) -> bytes | None:
        return self.state.get(key)

    def close(self) -> None:
        """Marks the store closed for writes; the contents stay (a crash does not erase them)."""
        self.closed = True

    def reopen(self) -> MemoryBlockStore:
        """What a restarted node finds: the same contents, writable again."""
        self.closed = False
        return self


__all__ = ["MemoryBlockStore"]
