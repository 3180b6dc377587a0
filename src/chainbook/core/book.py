"""Opening a node's book: check its genesis, rebuild the ledger state, repair damage.

The blocks (with their commit certificates) are the book; the state table is a derived cache.

First, always: the genesis. A book records the hash of the genesis it was built on (in its
meta, at its first opening). A genesis with another hash is refused with GenesisMismatch
before anything is read further or written: nothing on disk changes, and the node does not
start (today's alternative was worse: block 1 fails against the other genesis, the whole book
is "damaged", truncated to 0, and the node loops on refused sync blocks). A book written
before books recorded the hash is judged by block 1's prev_block_hash, which is the genesis
hash, and the hash is then recorded.

Then one of two ways (open_book's `from_checkpoint`), or a third for a pruned book:

- From the checkpoint (what a node does at every start; core/boot.py): the state table is the
  ledger state after block C (storage/checkpoints.py). The node loads it, checks that its state
  tree's root is the app hash recorded with it and the app hash header C + 1 carries (the
  header's app hash lags one block: it is the state after the parent), and verifies and replays
  only the blocks after C: each against its parent (chain.verify.verify_block_against_parent)
  with the validator sets of its parent's, its own and the next height read from the state
  being replayed, its stored commit certificate, its receipts root and the app hash of the
  state it runs on. Start-up time is then bounded by the checkpoint interval, not by the book's
  length. Blocks 1..C are trusted as the node verified them when it committed them, until the
  full re-verification (below), which the runtime runs in the background
  (runtime/background_verify.py) and `chainbook verify` runs on demand, says otherwise. A
  checkpoint that cannot be used (none yet, ahead of the blocks after a truncation, its block
  unreadable, a table that does not hash to its root or that header C + 1 does not commit to)
  falls back to the full way. - Full (`chainbook verify`, the background verifier, and the
  fallback): from genesis, in one pass, block by block: 1. verify the block against its parent
  (chain.verify.verify_stored_chain): header links, the RFC 6962 txs and evidence roots, the
  stored commit certificate, each against the validator set of its own height, which the
  replayed state so far gives (ledger/governed.py: the set of h is known from the state at h -
  2), never the node's config; 2. replay it and compare the recomputed app hash with the
  header's (a tampered state or receipt shows up here even if the blocks are intact), and the
  state table with the replayed state when the replay passes the table's height: a table that
  disagrees there was damaged or edited (`state_table_matches`).

- Pruned (storage/pruning.py: blocks below `pruned_below` keep only their header and commits):
  verified, never repaired, by `chainbook verify` and the background verifier: the pruned
  headers with their commits from genesis, then the whole blocks; nothing is replayed, since
  the history is gone. The validator set of each height comes from the state table (the
  governing module keeps every set that ever took effect, ledger/governed.py). A start on a
  pruned book whose checkpoint cannot be used stops with what to do (re-sync from a peer that
  keeps every block).

With `repair`, the state table is then brought to the book's height (only the changes since
its height are written, from the checkpoint; rewritten whole after a full replay unless it
holds exactly that state), and damage found truncates the book at the first bad height;
block sync then fetches the missing blocks from peers, verifying each commit certificate on
the way. The caller logs the report (the runtime: `book_corrupt`, `state_table_rewritten`).

- Started by state sync (core/statesync.py; storage restore_snapshot): the book holds nothing
  below the snapshot's height C (`load_book_base()`), block C in its pruned form with its
  commit, the state table at C, and the validator-set hops that proved C from genesis. It
  opens the checkpoint way (the table at C, verified against the root recorded with it, and
  the header of C: no block below is needed). `chainbook verify` and the background verifier
  check it as a pruned book whose walk starts at C: the stored hops from the genesis set,
  block C certified by its commit under the set they reach, then every block after it;
  nothing below C can be verified or replayed, since it was never held.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import msgspec

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.block import Block, Header, decode_block
from chainbook.chain.commit import Commit
from chainbook.chain.genesis import Genesis
from chainbook.chain.validators import ValidatorSet
from chainbook.chain.verify import (
    StoredChain,
    verify_block_against_parent,
    verify_block_height,
    verify_last_commit,
    verify_next_validators,
    verify_prev_block_hash,
    verify_proposer,
    verify_seen_commit,
    verify_stored_chain,
    verify_time,
    verify_validators,
)
from chainbook.core.snapshot_proof import InvalidSnapshotProof, ValidatorHop, verify_book_base
from chainbook.errors import DecodeError, GenesisMismatch, InvalidBlock, StorageError
from chainbook.ledger.execute import BlockResult, replay_block
from chainbook.ledger.governed import GovernedChain
from chainbook.ledger.state import LedgerState
from chainbook.ledger.state_tree import StateTree
from chainbook.types import Hash, Height


class StateCheckpointMeta(Protocol):
    """Which block the stored state table reflects."""

    @property
    def height(self) -> Height: ...

    @property
    def app_hash(self) -> Hash: ...


class StoredBook(StoredChain, Protocol):
    """What opening a book needs from the node's store (storage.BlockStore satisfies it)."""

    def load_block(self, height: Height) -> Block | None: ...

    def load_state(self) -> dict[bytes, bytes]: ...

    def load_state_meta(self) -> StateCheckpointMeta: ...

    def replace_state(self, kv: dict[bytes, bytes], height: Height, app_hash: Hash) -> None: ...

    def advance_state(
        self, changes: dict[bytes, bytes | None], height: Height, app_hash: Hash
    ) -> None: ...

    def truncate_from(self, height: Height) -> None: ...

    def load_genesis_hash(self) -> Hash | None: ...

    def save_genesis_hash(self, genesis_hash: Hash) -> None: ...

    def load_pruned_below(self) -> Height: ...

    def load_book_base(self) -> Height: ...

    def load_state_sync_hops(self) -> list[tuple[bytes, bytes, bytes]]: ...

    def load_header_and_last_commit(
        self, height: Height
    ) -> tuple[Header, Commit | None] | None: ...


class BookReport(msgspec.Struct, frozen=True):
    height: int
    """Height of the (possibly truncated) book after opening: every block up to it verified
    and replayed (above the checkpoint only, when opened from it)."""
    app_hash: bytes
    corrupt_height: int | None
    reason: str
    state_table_rewritten: bool
    """The stored state table did not match the replay (damaged, edited, or ahead of the
    blocks); a table that was only behind the blocks is brought forward without this flag."""
    checkpoint_height: int | None = None
    """Opened from the state checkpoint of this height (None: replayed from genesis)."""
    state_table_matches: bool | None = None
    """Full way only: whether the state table equals the replayed state at the table's
    height (None: not compared, the replay did not reach it or the book was opened from it)."""
    pruned_below: int = 1
    """Blocks below it are pruned (storage/pruning.py): their headers and commits were
    verified, and nothing was replayed (a pruned book holds no history to replay)."""
    book_base: int = 1
    """The first height the book holds: above 1 for a book started by state sync, whose
    blocks below it were never held (its validator-set hops from genesis were verified)."""


class OpenedBook(msgspec.Struct):
    state: LedgerState
    last_header: Header | None
    report: BookReport


BlockReplayed = Callable[[Block, BlockResult], None]
"""Told of each block replayed, with what executing it produced (the runtime re-feeds its
transaction index from it: block-level events are not stored in the book)."""


class _Replay:
    """The state being rebuilt, as the walk's ValidatorSets source and its on_block step."""

    def __init__(
        self,
        state: LedgerState,
        genesis: Genesis,
        meta: StateCheckpointMeta,
        store: StoredBook,
        on_block_replayed: BlockReplayed | None,
    ) -> None:
        self.state = state
        self.on_block_replayed = on_block_replayed
        self.governed = GovernedChain(genesis)
        self.meta = meta
        self.store = store
        self.last_header: Header | None = None
        self.table_matches: bool | None = None
        """Whether the state table equals the replayed state at its own height (None: not
        reached)."""

    def get_validators(self, height: Height) -> ValidatorSet:
        return self.governed.get_validators(self.state, height)

    def on_block(self, block: Block) -> None:
        result = replay_block(self.state, block)  # CorruptBook stops the walk at this height
        if self.on_block_replayed is not None:
            self.on_block_replayed(block, result)
        self.last_header = block.header
        if block.height == self.meta.height:
            self.table_matches = (
                self.meta.app_hash == self.state.app_hash
                and self.store.load_state() == self.state.kv
            )


def verify_book_genesis(store: StoredBook, genesis: Genesis, book: str, *, record: bool) -> None:
    """Refuse a genesis other than the book's (GenesisMismatch, nothing written); with
    `record`, record the genesis hash in a book that has none yet."""
    expected = genesis.hash
    stored = store.load_genesis_hash()
    if stored is None and store.latest_height() > 0:
        stored = _get_first_block_parent(store)
    if stored is not None and stored != expected:
        raise GenesisMismatch(book=book, book_hash=stored, genesis_hash=expected)
    if record and store.load_genesis_hash() is None:
        store.save_genesis_hash(expected)


def _get_first_block_parent(store: StoredBook) -> Hash | None:
    """Block 1's prev_block_hash (the genesis hash), or None if block 1 cannot be read (then
    the full verification reports it as damage, at height 1)."""
    try:
        data = store.load_block_bytes(1)
        return None if data is None else decode_block(data).header.prev_block_hash
    except (DecodeError, StorageError):
        return None


def open_book(
    store: StoredBook,
    genesis: Genesis,
    *,
    repair: bool = True,
    registry: Registry = REGISTRY,
    from_checkpoint: bool = False,
    book: str = "the book",
    restored: tuple[dict[bytes, bytes], StateTree] | None = None,
    on_block_replayed: BlockReplayed | None = None,
) -> OpenedBook:
    """Check the book's genesis, then open it from its checkpoint or verify and replay it
    whole; with `repair`, record the genesis hash, truncate at the first damaged block and
    bring the state table to the book's height. `book` names it in errors (its path).
    `restored`: the state table and its tree as the caller just wrote and verified them (a
    state sync's restore), so the checkpoint way need not read and hash them again."""
    verify_book_genesis(store, genesis, book, record=repair)
    if from_checkpoint:
        opened = _open_from_checkpoint(
            store,
            genesis,
            repair=repair,
            registry=registry,
            restored=restored,
            on_block_replayed=on_block_replayed,
        )
        if opened is not None:
            return opened
    pruned_below = store.load_pruned_below()
    if pruned_below == 1:
        return _open_full(
            store, genesis, repair=repair, registry=registry, on_block_replayed=on_block_replayed
        )
    if repair:
        started = store.load_book_base()
        what = (
            f"started by state sync at height {started}"
            if started > 1
            else f"pruned below height {pruned_below}"
        )
        raise StorageError(
            f"{book} is {what} and its state checkpoint cannot be used, so its state cannot "
            "be rebuilt (that needs every block from genesis). What to do: stop the node, move "
            "its data/ folder aside and start it: it syncs again from its peers (by state sync "
            "with state_sync = true, else from genesis: one peer must keep every block, "
            "prune_keep_blocks = 0)"
        )
    return _verify_pruned(store, genesis, pruned_below, registry)


def _open_full(
    store: StoredBook,
    genesis: Genesis,
    *,
    repair: bool,
    registry: Registry,
    on_block_replayed: BlockReplayed | None = None,
) -> OpenedBook:
    meta = store.load_state_meta()
    replay = _Replay(
        LedgerState.from_genesis(genesis, registry), genesis, meta, store, on_block_replayed
    )
    chain_report = verify_stored_chain(
        store, genesis.chain_id, genesis, validator_sets=replay, on_block=replay.on_block
    )
    corrupt_height = chain_report.bad_height
    reason = chain_report.reason or ""
    state = replay.state
    table_matches = replay.table_matches
    assert state.height == chain_report.verified_count
    if corrupt_height is not None and repair:
        store.truncate_from(corrupt_height)
    rewritten = False
    if repair:
        current = (meta.height, meta.app_hash) == (state.height, state.app_hash) and bool(
            table_matches
        )
        if not current:
            store.replace_state(dict(state.kv), state.height, state.app_hash)
            # A table behind the blocks is the normal checkpoint lag; anything else is damage.
            rewritten = meta.height > 0 and not table_matches
            rewritten = rewritten or corrupt_height is not None
    report = BookReport(
        height=state.height,
        app_hash=state.app_hash,
        corrupt_height=corrupt_height,
        reason=reason,
        state_table_rewritten=rewritten,
        state_table_matches=table_matches,
    )
    return OpenedBook(state=state, last_header=replay.last_header, report=report)


def _open_from_checkpoint(
    store: StoredBook,
    genesis: Genesis,
    *,
    repair: bool,
    registry: Registry,
    restored: tuple[dict[bytes, bytes], StateTree] | None = None,
    on_block_replayed: BlockReplayed | None = None,
) -> OpenedBook | None:
    """The checkpoint way (module docstring); None when the checkpoint cannot be used."""
    meta = store.load_state_meta()
    latest = store.latest_height()
    if not 1 <= meta.height <= latest:
        return None
    try:
        # The header only: block C of a state-synced book is stored without its transactions.
        checkpoint = store.load_header_and_last_commit(meta.height)
        following = store.load_header_and_last_commit(meta.height + 1)
    except StorageError:
        return None
    if checkpoint is None:
        return None
    if restored is not None and restored[1].root == meta.app_hash:
        kv, tree = restored
    else:
        kv = store.load_state()
        tree = StateTree.from_items(kv)
    if tree.root != meta.app_hash:
        return None  # the table does not hash to the root recorded with it
    if following is not None and following[0].app_hash != meta.app_hash:
        return None  # the next header commits to another state (its own replay will tell)
    header = checkpoint[0]
    state = LedgerState(meta.height, meta.app_hash, header.time_ms, kv, registry, tree)
    changes: dict[bytes, bytes | None] = {}
    """Every state change since the checkpoint (what brings the table to the book's height)."""
    corrupt_height: Height | None = None
    reason = ""
    governed = GovernedChain(genesis)
    for height in range(meta.height + 1, latest + 1):
        try:
            heights = (height - 1, height, height + 1)
            sets = tuple(governed.get_validators(state, h) for h in heights)
            block = _load_block_after(store, genesis, height, header, sets)
            result = replay_block(state, block)
            changes.update(result.changes)
            if on_block_replayed is not None:
                on_block_replayed(block, result)
        except (InvalidBlock, StorageError) as exc:
            corrupt_height, reason = height, str(exc)
            break
        header = block.header
    if corrupt_height is not None and repair:
        store.truncate_from(corrupt_height)
    if repair and state.height > meta.height:
        store.advance_state(changes, state.height, state.app_hash)
    report = BookReport(
        height=state.height,
        app_hash=state.app_hash,
        corrupt_height=corrupt_height,
        reason=reason,
        state_table_rewritten=False,
        checkpoint_height=meta.height,
    )
    return OpenedBook(state=state, last_header=header, report=report)


def _verify_pruned(
    store: StoredBook, genesis: Genesis, pruned_below: Height, registry: Registry
) -> OpenedBook:
    """A pruned book, verified (never repaired): the headers and commits of the pruned blocks
    from genesis, then the whole blocks; nothing replayed. The state is the stored table."""
    meta = store.load_state_meta()
    checkpoint = store.load_header_and_last_commit(meta.height) if meta.height else None
    time_ms = genesis.genesis_time_ms if checkpoint is None else checkpoint[0].time_ms
    kv = store.load_state()
    tree = StateTree.from_items(kv)
    state = LedgerState(meta.height, tree.root, time_ms, kv, registry, tree)
    governed = GovernedChain(genesis)

    def get_validators(height: Height) -> ValidatorSet:
        # The table knows every set up to its height + 2; a change that took effect in the
        # unreplayed tail above that is reported as damage here (no repair follows).
        return governed.get_validators(state, max(1, min(height, state.height + 2)))

    parent: Header | None = None
    corrupt_height: Height | None = None
    reason = ""
    latest = store.latest_height()
    base = store.load_book_base()
    for height in range(base, latest + 1):
        try:
            sets = tuple(get_validators(h) for h in (height - 1, height, height + 1))
            if height == base > 1:
                parent = _load_base_header(store, genesis, height)
            elif height < pruned_below:
                parent = _load_pruned_header_after(store, genesis, height, parent, sets)
            else:
                assert parent is not None
                parent = _load_block_after(store, genesis, height, parent, sets).header
        except (InvalidBlock, StorageError) as exc:
            corrupt_height, reason = height, str(exc)
            break
    report = BookReport(
        height=latest if corrupt_height is None else corrupt_height - 1,
        app_hash=meta.app_hash,
        corrupt_height=corrupt_height,
        reason=reason,
        state_table_rewritten=False,
        # What a pruned book can still say of its table: whether it hashes to its root.
        state_table_matches=tree.root == meta.app_hash,
        pruned_below=pruned_below,
        book_base=base,
    )
    last_header = None if checkpoint is None else checkpoint[0]
    return OpenedBook(state=state, last_header=last_header, report=report)


_Sets = tuple[ValidatorSet, ...]
"""The validator sets of a block's parent's height, its own and the next."""


def _load_base_header(store: StoredBook, genesis: Genesis, height: Height) -> Header:
    """The first block of a state-synced book, verified from genesis through its stored
    validator-set hops (core/snapshot_proof.py verify_book_base)."""
    stored = store.load_header_and_last_commit(height)
    commit = store.load_commit(height)
    if stored is None or commit is None:
        raise InvalidBlock(f"block {height}: the first block of the book is missing")
    block = Block(header=stored[0], txs=[], last_commit=stored[1])
    hops = [ValidatorHop(*parts) for parts in store.load_state_sync_hops()]
    try:
        verify_book_base(genesis, hops, block, commit)
    except InvalidSnapshotProof as exc:
        raise InvalidBlock(f"block {height} (the state sync base): {exc}") from None
    return block.header


def _load_pruned_header_after(
    store: StoredBook, genesis: Genesis, height: Height, parent: Header | None, sets: _Sets
) -> Header:
    """A pruned block's header, verified against its parent with its commits: all of
    verify_block_against_parent but the transactions, which are gone."""
    stored = store.load_header_and_last_commit(height)
    if stored is None:
        raise InvalidBlock(f"block {height}: missing from the store")
    header, last_commit = stored
    block = Block(header=header, txs=[], last_commit=last_commit)
    parent_validators, validators, next_validators = sets
    if header.height != height:
        raise InvalidBlock(f"block {height}: stored header says height {header.height}")
    if header.chain_id != genesis.chain_id:
        raise InvalidBlock(f"block {height}: chain_id is {header.chain_id!r}")
    verify_block_height(header, parent)
    verify_prev_block_hash(header, parent, genesis.hash)
    verify_last_commit(genesis.chain_id, block, parent, parent_validators)
    verify_validators(header, parent, validators)
    verify_next_validators(header, next_validators)
    verify_proposer(header, validators)
    verify_time(header, parent)
    commit = store.load_commit(height)
    if commit is None:
        raise InvalidBlock(f"block {height}: stored commit missing")
    verify_seen_commit(genesis.chain_id, block, commit, validators)
    return header


def _load_block_after(
    store: StoredBook, genesis: Genesis, height: Height, parent: Header, sets: _Sets
) -> Block:
    """Block `height`, verified against its parent header and with its stored commit."""
    block = store.load_block(height)
    if block is None:
        raise InvalidBlock(f"block {height}: missing from the store")
    parent_validators, validators, next_validators = sets
    verify_block_against_parent(
        genesis.chain_id, block, parent, genesis.hash, validators, parent_validators,
        next_validators,
    )
    commit = store.load_commit(height)
    if commit is None:
        raise InvalidBlock(f"block {height}: stored commit missing")
    verify_seen_commit(genesis.chain_id, block, commit, validators)
    return block


__all__ = [
    "BlockReplayed",
    "BookReport",
    "OpenedBook",
    "StateCheckpointMeta",
    "StoredBook",
    "open_book",
    "verify_book_genesis",
]
