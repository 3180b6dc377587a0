"""Opening a node's book: re-verify the stored chain, rebuild the ledger state, repair damage.

The blocks (with their commit certificates) are the book; the state table is a derived cache.
At every start the node:
1. walks the hash chain from genesis (chain.verify.verify_stored_chain): header links, the
   RFC 6962 txs root of every block, every stored commit certificate;
2. replays every block from the genesis state and compares each recomputed app hash with the
   header's (a tampered state or receipt shows up here even if the blocks are intact), and
   the state table (a checkpoint, see storage/checkpoints.py) with the replayed state when the
   replay passes the table's height: a table that disagrees there was damaged or edited;
3. rewrites the state table at the latest height unless it holds exactly that already.
The caller logs the report (the runtime: `book_corrupt`, `state_table_rewritten`).
Damage found in step 1 or 2 truncates the book at the first bad height; block sync then
fetches the missing blocks from peers, verifying each commit certificate on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import msgspec

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.block import Block, Header
from chainbook.chain.genesis import Genesis
from chainbook.chain.verify import StoredChain, verify_stored_chain
from chainbook.errors import CorruptBook
from chainbook.ledger.execute import BlockResult, replay_block
from chainbook.ledger.state import LedgerState
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

    def truncate_from(self, height: Height) -> None: ...


class BookReport(msgspec.Struct, frozen=True):
    height: int
    """Height of the (possibly truncated) book after opening: every block up to it verified
    and replayed."""
    app_hash: bytes
    corrupt_height: int | None
    reason: str
    state_table_rewritten: bool
    """The stored state table did not match the replay (damaged, edited, or ahead of the
    blocks); a table that was only behind the blocks is brought forward without this flag."""


class OpenedBook(msgspec.Struct):
    state: LedgerState
    last_header: Header | None
    report: BookReport


BlockReplayed = Callable[[Block, BlockResult], None]
"""Told of each block replayed, with what executing it produced (the runtime re-feeds its
transaction index from it: block-level events are not stored in the book)."""


def open_book(
    store: StoredBook,
    genesis: Genesis,
    *,
    repair: bool = True,
    registry: Registry = REGISTRY,
    on_block_replayed: BlockReplayed | None = None,
) -> OpenedBook:
    """Verify and replay the stored book; with `repair`, truncate at the first damaged block."""
    chain_report = verify_stored_chain(store, genesis.chain_id, genesis)
    corrupt_height = chain_report.bad_height
    reason = chain_report.reason or ""
    last_good = chain_report.latest_height if corrupt_height is None else corrupt_height - 1
    state = LedgerState.from_genesis(genesis, registry)
    meta = store.load_state_meta()
    table_matches: bool | None = None
    """Whether the state table equals the replayed state at its own height (None: not reached)."""
    last_header: Header | None = None
    for height in range(1, last_good + 1):
        block = store.load_block(height)
        assert block is not None, "verify_stored_chain walked this height"
        try:
            result = replay_block(state, block)
        except CorruptBook as exc:
            corrupt_height, reason = height, str(exc)
            break
        if on_block_replayed is not None:
            on_block_replayed(block, result)
        last_header = block.header
        if height == meta.height:
            table_matches = meta.app_hash == state.app_hash and store.load_state() == state.kv
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
    )
    return OpenedBook(state=state, last_header=last_header, report=report)


__all__ = [
    "BlockReplayed",
    "BookReport",
    "OpenedBook",
    "StateCheckpointMeta",
    "StoredBook",
    "open_book",
]
