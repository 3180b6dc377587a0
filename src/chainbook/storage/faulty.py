"""Fault-injecting wrappers of the storage interfaces, for the simulator's disk faults.

Rules kept:
- `arm(operation, count)` makes the next `count` calls of that method raise StorageError
  *before* reaching the inner store, so a failed call writes nothing: the atomicity the real
  stores guarantee (one SQLite transaction per block; one atomic rename per record).
- No randomness here: the simulator decides when to arm from its own seeded source.
- `failures` counts the injected faults per operation.
"""

from __future__ import annotations

from chainbook.chain.block import Block, Header
from chainbook.chain.commit import Commit
from chainbook.errors import StorageError
from chainbook.ledger.receipts import Receipt
from chainbook.storage.block_store import BlockStore, StateMeta, TxLocation
from chainbook.storage.consensus_record import ConsensusRecordStore
from chainbook.types import Hash, Height


class _Faults:
    """Armed counts per operation, and the faults injected so far."""

    def __init__(self, operations: frozenset[str]) -> None:
        self._operations = operations
        self._armed: dict[str, int] = {}
        self.failures: dict[str, int] = {}

    def arm(self, operation: str, count: int = 1) -> None:
        if operation not in self._operations:
            raise ValueError(f"unknown operation {operation!r}; one of {sorted(self._operations)}")
        self._armed[operation] = self._armed.get(operation, 0) + count

    def _maybe_fail(self, operation: str) -> None:
        left = self._armed.get(operation, 0)
        if left > 0:
            self._armed[operation] = left - 1
            self.failures[operation] = self.failures.get(operation, 0) + 1
            raise StorageError(f"injected fault in {operation}")


class FaultyBlockStore(_Faults):
    """A BlockStore that fails chosen operations before they reach `inner`."""

    OPERATIONS = frozenset(
        {"save_block", "replace_state", "advance_state", "truncate_from", "save_genesis_hash"}
        | {"prune_blocks"}
        | {"load_block", "load_block_bytes", "load_commit", "load_blocks_bytes", "load_tx"}
        | {"load_receipts"}
        | {"load_state", "get_state"}
    )

    def __init__(self, inner: BlockStore) -> None:
        super().__init__(self.OPERATIONS)
        self.inner = inner

    def latest_height(self) -> Height:
        return self.inner.latest_height()

    def save_block(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        receipts: list[Receipt],
        state_changes: dict[bytes, bytes | None] | None,
        app_hash: Hash,
    ) -> None:
        self._maybe_fail("save_block")
        self.inner.save_block(block_bytes, block, commit, receipts, state_changes, app_hash)

    def load_block(self, height: Height) -> Block | None:
        self._maybe_fail("load_block")
        return self.inner.load_block(height)

    def load_block_bytes(self, height: Height) -> bytes | None:
        self._maybe_fail("load_block_bytes")
        return self.inner.load_block_bytes(height)

    def load_commit(self, height: Height) -> Commit | None:
        self._maybe_fail("load_commit")
        return self.inner.load_commit(height)

    def load_blocks_bytes(
        self, from_height: Height, count_max: int, bytes_max: int
    ) -> list[tuple[bytes, bytes]]:
        self._maybe_fail("load_blocks_bytes")
        return self.inner.load_blocks_bytes(from_height, count_max, bytes_max)

    def find_block_height(self, block_hash: Hash) -> Height | None:
        return self.inner.find_block_height(block_hash)

    def load_tx(self, tx_hash: Hash) -> TxLocation | None:
        self._maybe_fail("load_tx")
        return self.inner.load_tx(tx_hash)

    def load_receipts(self, height: Height) -> list[Receipt] | None:
        self._maybe_fail("load_receipts")
        return self.inner.load_receipts(height)

    def load_state(self) -> dict[bytes, bytes]:
        self._maybe_fail("load_state")
        return self.inner.load_state()

    def get_state(self, key: bytes) -> bytes | None:
        self._maybe_fail("get_state")
        return self.inner.get_state(key)

    def load_state_meta(self) -> StateMeta:
        return self.inner.load_state_meta()

    def replace_state(self, kv: dict[bytes, bytes], height: Height, app_hash: Hash) -> None:
        self._maybe_fail("replace_state")
        self.inner.replace_state(kv, height, app_hash)

    def advance_state(
        self, changes: dict[bytes, bytes | None], height: Height, app_hash: Hash
    ) -> None:
        self._maybe_fail("advance_state")
        self.inner.advance_state(changes, height, app_hash)

    def truncate_from(self, height: Height) -> None:
        self._maybe_fail("truncate_from")
        self.inner.truncate_from(height)

    def load_genesis_hash(self) -> Hash | None:
        return self.inner.load_genesis_hash()

    def load_pruned_below(self) -> Height:
        return self.inner.load_pruned_below()

    def load_header_and_last_commit(self, height: Height) -> tuple[Header, Commit | None] | None:
        return self.inner.load_header_and_last_commit(height)

    def restore_snapshot(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        kv: dict[bytes, bytes],
        app_hash: Hash,
        hops: list[tuple[bytes, bytes, bytes]],
    ) -> None:
        self._maybe_fail("restore_snapshot")
        self.inner.restore_snapshot(block_bytes, block, commit, kv, app_hash, hops)

    def load_book_base(self) -> Height:
        return self.inner.load_book_base()

    def load_state_sync_hops(self) -> list[tuple[bytes, bytes, bytes]]:
        return self.inner.load_state_sync_hops()

    def prune_blocks(self, below: Height, blocks_max: int) -> Height:
        self._maybe_fail("prune_blocks")
        return self.inner.prune_blocks(below, blocks_max)

    def save_genesis_hash(self, genesis_hash: Hash) -> None:
        self._maybe_fail("save_genesis_hash")
        self.inner.save_genesis_hash(genesis_hash)

    def close(self) -> None:
        self.inner.close()


class FaultyConsensusRecordStore(_Faults):
    """A ConsensusRecordStore that fails chosen loads or saves before they reach `inner`."""

    OPERATIONS = frozenset({"load", "save"})

    def __init__(self, inner: ConsensusRecordStore) -> None:
        super().__init__(self.OPERATIONS)
        self.inner = inner

    def load(self) -> bytes | None:
        self._maybe_fail("load")
        return self.inner.load()

    def save(self, record: bytes) -> None:
        self._maybe_fail("save")
        self.inner.save(record)


__all__ = ["FaultyBlockStore", "FaultyConsensusRecordStore"]
