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

With `--txs N` the blocks carry N real signed bank transfers instead (TRANSFERS_PER_BLOCK per
block, from the testnet's demo accounts, each to a new account: the state grows by one account
per transfer), executed by the ledger like any block; the state after them is also written as a
state snapshot of the last height (storage/snapshots.py) for nodes that state-sync
(`chainbook bench statesync` measures a join: bench/statesync.py).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from chainbook import codec
from chainbook.apps.bank import Transfer
from chainbook.apps.base import BlockContext
from chainbook.chain.block import Block, Header, compute_commit_hash, compute_txs_root
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.evidence import compute_evidence_hash
from chainbook.chain.genesis import Genesis
from chainbook.chain.tx import decode_tx, sign_tx
from chainbook.core.snapshots import make_snapshot
from chainbook.crypto import PrivateKey
from chainbook.keyfile import load_key_file
from chainbook.ledger.execute import apply_block_result, execute_block
from chainbook.ledger.genesis import load_genesis
from chainbook.ledger.state import LedgerState
from chainbook.storage import FileSnapshotStore, SqliteBlockStore
from chainbook.storage.sqlite.store import StoredBlockRow
from chainbook.storage.stored_format import compress_block_receipts, encode_block_receipts
from chainbook.testnet.create import DEMO_ACCOUNTS, add_node, init_testnet
from chainbook.testnet.layout import NodeEntry, Testnet, load_testnet

SEED = "synthetic"
BATCH_BLOCKS = 2_000
BLOCK_INTERVAL_MS = 30_000
"""The time between synthetic blocks: an idle chain at the production empty-block interval."""
TRANSFER_BLOCK_INTERVAL_MS = 1
"""The time between synthetic blocks of transfers: their history must end before the
validators that continue it start (the genesis time is when `testnet init` ran), or their next
block would have to be timed in the future."""


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


TRANSFERS_PER_BLOCK = 5_000
"""Transfers per synthetic block (~1.2 MB: within limits.block_bytes_max and block_txs_max)."""


def make_transfers(
    genesis: Genesis, senders: list[PrivateKey], count: int, per_block: int
) -> Callable[[int], list[bytes]]:
    """The transactions of each height: `count` transfers of 1 in all, `per_block` a block,
    the senders in turn, each to an address of its own (no key: it only receives)."""
    nonces = dict.fromkeys((k.address for k in senders), 0)
    made = 0

    def txs_of(height: int) -> list[bytes]:
        nonlocal made
        block: list[bytes] = []
        while made < count and len(block) < per_block:
            sender = senders[made % len(senders)]
            to = hashlib.sha256(b"synthetic-recipient/%d" % made).digest()[:20]
            nonce = nonces[sender.address]
            nonces[sender.address] = nonce + 1
            block.append(sign_tx(sender, genesis.chain_id, nonce, Transfer(to, 1)))
            made += 1
        return block

    return txs_of


def write_blocks(
    store: SqliteBlockStore,
    genesis: Genesis,
    keys: dict[bytes, PrivateKey],
    blocks: int,
    on_progress: Callable[[int], None] = lambda height: None,
    txs_of: Callable[[int], list[bytes]] = lambda height: [],
    block_interval_ms: int = BLOCK_INTERVAL_MS,
) -> LedgerState:
    """Append blocks 1..`blocks` (empty, or with the transactions `txs_of(height)` gives) to
    an empty store; returns the state after them."""
    assert store.latest_height() == 0
    validators = genesis.validator_set
    signers = len(validators.validators) * 2 // 3 + 1
    state = LedgerState.from_genesis(genesis)
    parent: Header | None = None
    parent_commit: Commit | None = None
    batch: list[StoredBlockRow] = []
    for height in range(1, blocks + 1):
        proposer = validators.get_proposer(height, 0).address
        time_ms = genesis.genesis_time_ms + height * block_interval_ms
        txs = txs_of(height)
        decoded = [decode_tx(tx) for tx in txs]  # signed here: nothing to check
        context = BlockContext(height, time_ms, proposer)
        result = execute_block(state, genesis.chain_id, decoded, context)
        assert all(r.ok for r in result.receipts), "a synthetic transfer was refused"
        header = Header(
            chain_id=genesis.chain_id,
            height=height,
            time_ms=time_ms,
            prev_block_hash=genesis.hash if parent is None else parent.hash,
            last_commit_hash=compute_commit_hash(parent_commit),
            txs_root=compute_txs_root(txs),
            tx_count=len(txs),
            receipts_root=result.receipts_root,
            app_hash=state.app_hash,  # the state root after the parent (it lags one block)
            validators_hash=validators.hash,
            next_validators_hash=validators.hash,
            proposer=proposer,
            evidence_hash=compute_evidence_hash([]),
        )
        block = Block(header=header, txs=txs, last_commit=parent_commit)
        commit = sign_commit(genesis, keys, header, signers)
        apply_block_result(state, result, height)
        receipts_blob = compress_block_receipts(encode_block_receipts(result.receipts))
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
    txs: int = 0,
    base_port: int | None = None,
) -> tuple[Testnet, NodeEntry]:
    """A testnet in `root` and its added full node, whose book holds `blocks` empty blocks,
    or, with `txs`, that many transfers in as many blocks as they need (`blocks` ignored), and
    a state snapshot of its last height."""
    init_testnet(root, validators=validators, seed=SEED, base_port=base_port)
    entry = add_node(root, seed=SEED)
    testnet = load_testnet(root)
    home = testnet.home(entry.name)
    genesis = load_genesis(home.genesis_path.read_bytes())
    txs_of: Callable[[int], list[bytes]] = lambda height: []  # noqa: E731
    interval_ms = BLOCK_INTERVAL_MS
    if txs:
        interval_ms = TRANSFER_BLOCK_INTERVAL_MS
        senders = [load_key_file(root / "accounts" / f"{name}.json") for name in DEMO_ACCOUNTS]
        txs_of = make_transfers(genesis, senders, txs, TRANSFERS_PER_BLOCK)
        blocks = -(-txs // TRANSFERS_PER_BLOCK)
    store = SqliteBlockStore(home.book_path)
    try:
        keys = validator_keys(testnet)
        state = write_blocks(store, genesis, keys, blocks, on_progress, txs_of, interval_ms)
    finally:
        store.close()
    if txs:
        offer, chunks = make_snapshot(state.kv, state.height)
        FileSnapshotStore(home.data_dir / "snapshots", keep=2).save(offer, chunks)
    return testnet, entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainbook.testnet.synthetic_book")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--blocks", type=int, required=True)
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--txs", type=int, default=0, help="transfers instead of empty blocks")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def progress(height: int) -> None:
        if height % 50_000 == 0 or height == args.blocks or args.txs:
            rate = height / max(time.monotonic() - started, 1e-9)
            print(f"{height} blocks ({rate:,.0f}/s)", file=sys.stderr, flush=True)

    testnet, entry = build_synthetic_testnet(
        args.dir, args.blocks, args.validators, progress, txs=args.txs
    )
    book = testnet.home(entry.name).book_path
    print(f"{entry.name}: {args.blocks} blocks in {book} ({book.stat().st_size:,} bytes)")
    return 0


__all__ = [
    "TRANSFERS_PER_BLOCK",
    "build_synthetic_testnet",
    "main",
    "make_transfers",
    "validator_keys",
    "write_blocks",
]


if __name__ == "__main__":
    raise SystemExit(main())
