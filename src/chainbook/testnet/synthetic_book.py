"""A synthetic book for measurements and tests: a testnet whose full node already holds N blocks.

    python -m chainbook.testnet.synthetic_book --dir D --blocks 1000000 [--validators 4]

makes a testnet in D (`init_testnet` with keys from a fixed seed, and a full node added with
`add_node`) and writes blocks 1..N straight into the full node's book. Each block is a real
empty block of that chain: executed by the ledger (its app hash and receipts root are the
real ones), its
last_commit and its stored commit signed by a quorum of the genesis validators (the testnet's
seeded keys), so `chainbook verify` and the background re-verification accept it, and a start
from it is a real start. Blocks go in by batches of BATCH_BLOCKS per SQLite transaction
(append_stored_blocks, the path salvage uses), not one fsync'd save_block each: the book is the
same, only written ~100x faster. The state checkpoint is written at N, as a node that stopped
cleanly leaves it.

Measured on the development machine: ~2,700 blocks/s with 4 validators (3 signatures per
commit, twice per block: last_commit and the stored commit), so a million blocks take ~6
minutes and ~1.1 GB.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from chainbook import codec
from chainbook.apps.base import BlockContext
from chainbook.chain.block import Block, Header, compute_commit_hash, compute_txs_root
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.evidence import compute_evidence_hash
from chainbook.chain.genesis import Genesis
from chainbook.crypto import PrivateKey
from chainbook.ledger.execute import apply_block_result, execute_block
from chainbook.ledger.genesis import load_genesis
from chainbook.ledger.state import LedgerState
from chainbook.storage import SqliteBlockStore
from chainbook.storage.sqlite.store import StoredBlockRow
from chainbook.storage.stored_format import compress_block_receipts, encode_block_receipts
from chainbook.testnet.create import add_node, init_testnet
from chainbook.testnet.layout import NodeEntry, Testnet, load_testnet

SEED = "synthetic"
BATCH_BLOCKS = 2_000
BLOCK_INTERVAL_MS = 30_000
"""The time between synthetic blocks: an idle chain at the production empty-block interval."""


def validator_keys(testnet: Testnet, seed: str = SEED) -> dict[bytes, PrivateKey]:
    """The testnet's validator keys by address (init_testnet derives them from the seed)."""
    keys = [PrivateKey.from_label(f"testnet/{seed}/{e.name}") for e in testnet.nodes]
    return {k.address: k for k in keys}


def sign_commit(
    genesis: Genesis, keys: dict[bytes, PrivateKey], header: Header, signers: int
) -> Commit:
    validators = genesis.validator_set
    vote = Vote(type=VoteType.PRECOMMIT, height=header.height, round=0, block_hash=header.hash)
    chosen = [keys[v.address] for v in validators.validators][:signers]
    return make_commit(validators, [sign_vote(k, genesis.chain_id, vote) for k in chosen])


def write_blocks(
    store: SqliteBlockStore,
    genesis: Genesis,
    keys: dict[bytes, PrivateKey],
    blocks: int,
    on_progress: Callable[[int], None] = lambda height: None,
) -> LedgerState:
    """Append empty blocks 1..`blocks` to an empty store; returns the state after them."""
    assert store.latest_height() == 0
    validators = genesis.validator_set
    signers = len(validators.validators) * 2 // 3 + 1
    state = LedgerState.from_genesis(genesis)
    receipts_blob = compress_block_receipts(encode_block_receipts([]))
    parent: Header | None = None
    parent_commit: Commit | None = None
    batch: list[StoredBlockRow] = []
    for height in range(1, blocks + 1):
        proposer = validators.get_proposer(height, 0).address
        time_ms = genesis.genesis_time_ms + height * BLOCK_INTERVAL_MS
        result = execute_block(state, genesis.chain_id, [], BlockContext(height, time_ms, proposer))
        header = Header(
            chain_id=genesis.chain_id,
            height=height,
            time_ms=time_ms,
            prev_block_hash=genesis.hash if parent is None else parent.hash,
            last_commit_hash=compute_commit_hash(parent_commit),
            txs_root=compute_txs_root([]),
            tx_count=0,
            receipts_root=result.receipts_root,
            app_hash=state.app_hash,  # the state root after the parent (it lags one block)
            validators_hash=validators.hash,
            next_validators_hash=validators.hash,
            proposer=proposer,
            evidence_hash=compute_evidence_hash([]),
        )
        block = Block(header=header, txs=[], last_commit=parent_commit)
        commit = sign_commit(genesis, keys, header, signers)
        apply_block_result(state, result, height)
        batch.append(
            StoredBlockRow(height, codec.encode(commit), receipts_blob, codec.encode(block), block)
        )
        if len(batch) == BATCH_BLOCKS or height == blocks:
            store.append_stored_blocks(batch)
            batch = []
            on_progress(height)
        parent, parent_commit = header, commit
    store.replace_state(dict(state.kv), state.height, state.app_hash)
    store.save_genesis_hash(genesis.hash)
    return state


def build_synthetic_testnet(
    root: Path,
    blocks: int,
    validators: int = 4,
    on_progress: Callable[[int], None] = lambda height: None,
) -> tuple[Testnet, NodeEntry]:
    """A testnet in `root` and its added full node, whose book holds `blocks` empty blocks."""
    init_testnet(root, validators=validators, seed=SEED)
    entry = add_node(root, seed=SEED)
    testnet = load_testnet(root)
    home = testnet.home(entry.name)
    genesis = load_genesis(home.genesis_path.read_bytes())
    store = SqliteBlockStore(home.book_path)
    try:
        write_blocks(store, genesis, validator_keys(testnet), blocks, on_progress)
    finally:
        store.close()
    return testnet, entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainbook.testnet.synthetic_book")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--blocks", type=int, required=True)
    parser.add_argument("--validators", type=int, default=4)
    args = parser.parse_args(argv)
    started = time.monotonic()

    def progress(height: int) -> None:
        if height % 50_000 == 0 or height == args.blocks:
            rate = height / max(time.monotonic() - started, 1e-9)
            print(f"{height} blocks ({rate:,.0f}/s)", file=sys.stderr, flush=True)

    testnet, entry = build_synthetic_testnet(args.dir, args.blocks, args.validators, progress)
    book = testnet.home(entry.name).book_path
    print(f"{entry.name}: {args.blocks} blocks in {book} ({book.stat().st_size:,} bytes)")
    return 0


__all__ = ["build_synthetic_testnet", "main", "validator_keys", "write_blocks"]


if __name__ == "__main__":
    raise SystemExit(main())
