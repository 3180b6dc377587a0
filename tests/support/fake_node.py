"""An in-memory NodeService for API, SDK and CLI tests: the real ledger and mempool, real blocks,
Merkle trees and commit certificates signed by deterministic validator keys; no consensus, no
network, no disk.

`submit_tx` admits through the real Mempool (signature, nonce, duplicates, the module's rules on
the speculative state); `commit_pending` executes the mempool as the next block with the real
ledger, as if consensus had run; `wait_for_tx` commits at once when `auto_commit` is on (the
default), else times out. Queries run the modules' own queries on the committed state, so a
module added to `registry` answers through the API with no change here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from chainbook import merkle
from chainbook.api.dry_run import dry_run_tx
from chainbook.api.service import (
    AccountView,
    MempoolSnapshot,
    NodeStatus,
    PeerView,
    TxLocation,
    TxProof,
    ValidatorSetChange,
    ValidatorView,
)
from chainbook.api.stream import EventHub
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.block import (
    Block,
    Header,
    compute_commit_hash,
    compute_txs_root,
    encode_block,
)
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.tx import DecodedTx, verify_tx
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.chain.verify import compute_header_hash
from chainbook.core.mempool import Mempool
from chainbook.errors import InvalidInput, MempoolFull
from chainbook.index.entries import compute_block_entries
from chainbook.index.search import IndexUnavailable, TxPage, TxSearch
from chainbook.index.sqlite_index import SqliteTxIndex
from chainbook.ledger.execute import BlockContext, apply_block_result, execute_block
from chainbook.ledger.proven_query import ProvenQuery, prove_query
from chainbook.ledger.queries import run_query
from chainbook.ledger.receipts import Event, Receipt, encode_receipt_leaf
from chainbook.ledger.state import LedgerState, get_nonce
from chainbook.types import Address, Hash, Height, TimeMs
from tests.support.chain import ALICE, BOB, CHAIN_ID, GENESIS_TIME_MS, make_genesis, validator_keys
from tests.support.ledger import balance_of

VALIDATOR_KEYS = validator_keys(4)
VALIDATORS = ValidatorSet(
    [
        Validator(public_key=k.public_key, power=10, name=f"v{i}")
        for i, k in enumerate(VALIDATOR_KEYS)
    ]
)
INITIAL_BALANCE = 1_000_000

__all__ = [
    "ALICE",
    "BOB",
    "CHAIN_ID",
    "INITIAL_BALANCE",
    "VALIDATORS",
    "VALIDATOR_KEYS",
    "FakeNode",
    "make_block",
    "sign_commit",
]


def sign_commit(header: Header, keys: list[Any] = VALIDATOR_KEYS, round_: int = 0) -> Commit:
    """A commit certificate for `header`, signed by `keys` (all four validators by default)."""
    vote = Vote(
        type=VoteType.PRECOMMIT,
        height=header.height,
        round=round_,
        block_hash=compute_header_hash(header),
    )
    return make_commit(VALIDATORS, [sign_vote(k, CHAIN_ID, vote) for k in keys])


def make_block(
    height: Height,
    txs: list[bytes],
    prev_hash: Hash,
    last_commit: Commit | None,
    app_hash: Hash,
    time_ms: int,
    receipts_root: Hash = merkle.EMPTY_ROOT,
) -> Block:
    header = Header(
        chain_id=CHAIN_ID,
        height=height,
        time_ms=time_ms,
        prev_block_hash=prev_hash,
        last_commit_hash=compute_commit_hash(last_commit),
        txs_root=compute_txs_root(txs),
        tx_count=len(txs),
        receipts_root=receipts_root,
        app_hash=app_hash,
        validators_hash=VALIDATORS.hash,
        next_validators_hash=VALIDATORS.hash,
        proposer=VALIDATORS.validators[height % 4].address,
        evidence_hash=merkle.EMPTY_ROOT,
    )
    return Block(header=header, txs=txs, last_commit=last_commit)


class FakeNode:
    """Implements chainbook.api.service.NodeService in memory, over the real ledger."""

    def __init__(
        self,
        chain_id: str = CHAIN_ID,
        registry: Registry = REGISTRY,
        app_state: dict[str, Any] | None = None,
        block_reward: int = 0,
    ) -> None:
        self.chain_id = chain_id
        self.registry = registry
        self.genesis = make_genesis(
            {ALICE.address: INITIAL_BALANCE},
            validators=VALIDATOR_KEYS,
            powers=[10] * len(VALIDATOR_KEYS),  # as VALIDATORS, which sign its commits
            chain_id=chain_id,
            app_state=app_state,
            registry=registry,
            block_reward=block_reward,
            supply_max=INITIAL_BALANCE + 1_000 * block_reward if block_reward else 0,
        )
        self.state = LedgerState.from_genesis(self.genesis, registry)
        self.mempool = Mempool(chain_id, self.state)
        self.blocks: dict[Height, Block] = {}
        self.commits: dict[Height, Commit] = {}
        self.locations: dict[Hash, TxLocation] = {}
        self.receipts: dict[Height, list[Receipt]] = {}
        self.validator_changes: list[ValidatorSetChange] = []
        self.mempool_full = False
        self.auto_commit = True
        self.book_repairs = 0
        self.syncing = False
        self.events = EventHub(registry)
        self.index: SqliteTxIndex | None = SqliteTxIndex(":memory:")
        """The real embedded index, written at each commit (None: a node without one)."""

    # --- NodeService ---------------------------------------------------------------------------

    def submit_tx(self, tx_bytes: bytes) -> DecodedTx:
        if self.mempool_full:
            raise MempoolFull("mempool holds 100000 transactions, limit 100000")
        return self.mempool.add(tx_bytes).tx

    async def submit_txs(self, txs: list[bytes]) -> list[DecodedTx | InvalidInput]:
        results: list[DecodedTx | InvalidInput] = []
        for tx in txs:
            try:
                results.append(self.submit_tx(tx))
            except InvalidInput as exc:
                results.append(exc)
        return results

    async def wait_for_tx(self, tx_hash: Hash, timeout_s: float) -> TxLocation | None:
        if tx_hash not in self.locations and self.auto_commit and tx_hash in self.mempool:
            self.commit_pending()
        if tx_hash not in self.locations:
            await asyncio.sleep(min(timeout_s, 0.01))
        return self.locations.get(tx_hash)

    def is_pending(self, tx_hash: Hash) -> bool:
        return tx_hash in self.mempool

    def get_tx(self, tx_hash: Hash) -> TxLocation | None:
        return self.locations.get(tx_hash)

    def get_tx_proof(self, tx_hash: Hash) -> TxProof | None:
        location = self.locations.get(tx_hash)
        if location is None:
            return None
        block = self.blocks[location.height]
        leaf_hashes = [merkle.leaf_hash(tx) for tx in block.txs]
        receipts = self.get_receipts(location.height)
        assert receipts is not None
        receipt_hashes = [merkle.leaf_hash(encode_receipt_leaf(r)) for r in receipts]
        return TxProof(
            tx=block.txs[location.index],
            location=location,
            audit_path=merkle.inclusion_proof(leaf_hashes, location.index),
            receipt_path=merkle.inclusion_proof(receipt_hashes, location.index),
            tree_size=len(block.txs),
            block=block,
            commit=self.commits[location.height],
        )

    def get_block(self, height: Height) -> Block | None:
        return self.blocks.get(height)

    def get_commit(self, height: Height) -> Commit | None:
        return self.commits.get(height)

    def get_block_bytes(self, height: Height) -> bytes | None:
        block = self.blocks.get(height)
        return None if block is None else encode_block(block)

    def get_receipts(self, height: Height) -> list[Receipt] | None:
        return self.receipts.get(height)

    def prove_query(self, module: str, name: str, request: msgspec.Struct) -> ProvenQuery:
        return prove_query(self.state, module, name, request)

    def get_validator_changes(self, to_height: Height) -> list[ValidatorSetChange]:
        return [c for c in self.validator_changes if c.height < to_height]

    def get_account(self, address: Address) -> AccountView:
        return AccountView(
            address=address.hex(),
            nonce=get_nonce(self.state.kv, address),
            pending_nonce=self.mempool.get_pending_nonce(address),
        )

    def query(self, module: str, name: str, request: msgspec.Struct) -> Any:
        return run_query(self.state, module, name, request)

    def status(self) -> NodeStatus:
        height = self.height
        block = self.blocks.get(height)
        return NodeStatus(
            chain_id=self.chain_id,
            node_id=VALIDATOR_KEYS[0].public_key.hex(),
            moniker="fake0",
            is_validator=True,
            height=height,
            app_hash=self.state.app_hash.hex(),
            latest_block_hash=compute_header_hash(block.header).hex() if block else "",
            latest_block_time_ms=block.header.time_ms if block else 0,
            round=0,
            syncing=self.syncing,
            mempool_txs=len(self.mempool),
            peers=[
                PeerView(
                    node_id="ab" * 32, address="127.0.0.1:1", direction="out", connected_since_ms=1
                )
            ],
            validators=[
                ValidatorView(
                    name=v.name,
                    address=v.address.hex(),
                    public_key=v.public_key.hex(),
                    power=v.power,
                )
                for v in VALIDATORS.validators
            ],
            book_repairs=self.book_repairs,
        )

    def metrics_text(self) -> bytes:
        return f"# TYPE chainbook_height gauge\nchainbook_height {self.height}\n".encode()

    def find_block_height(self, block_hash: Hash) -> Height | None:
        for height, block in self.blocks.items():
            if compute_header_hash(block.header) == block_hash:
                return height
        return None

    def get_block_events(self, height: Height) -> list[Event] | None:
        if self.index is None:
            return None
        return self.index.get_block_events(height)

    def search_txs(self, search: TxSearch) -> TxPage:
        if self.index is None:
            raise IndexUnavailable("this node keeps no transaction index (index = \"off\")")
        return self.index.search(search)

    def get_mempool(self, hashes_max: int) -> MempoolSnapshot:
        stats = self.mempool.stats()
        reaped = self.mempool.reap(hashes_max, 1 << 40)
        return MempoolSnapshot(
            txs=stats.txs, bytes=stats.bytes, senders=stats.senders, hashes=[t.hash for t in reaped]
        )

    def dry_run(self, tx: DecodedTx, time_ms: TimeMs) -> Receipt:
        return dry_run_tx(self.state, self.chain_id, tx, time_ms)

    # --- test controls -------------------------------------------------------------------------

    @property
    def height(self) -> Height:
        return self.state.height

    def balance(self, address: Address) -> int:
        return balance_of(self.state, address)

    def pending_hashes(self) -> set[Hash]:
        reaped = self.mempool.reap(len(self.mempool) + 1, 1 << 40)
        return {tx.hash for tx in reaped}

    def drop_pending(self) -> None:
        """Forget every pending transaction (as a node that restarted would)."""
        self.mempool = Mempool(self.chain_id, self.state)

    def commit_pending(self) -> Block:
        """Execute the whole mempool as the next block, with the real ledger."""
        return self.commit_decoded(self.mempool.reap(len(self.mempool) + 1, 1 << 40))

    def commit_txs(self, txs: list[bytes]) -> Block:
        """Execute these signed transactions as the next block, past the mempool (as a
        proposer whose mempool raced another spend would: an action may fail in the block)."""
        return self.commit_decoded([verify_tx(self.chain_id, tx) for tx in txs])

    def commit_decoded(self, txs: list[DecodedTx]) -> Block:
        height = self.height + 1
        time_ms = GENESIS_TIME_MS + height * 1000
        proposer = VALIDATORS.validators[height % 4].address
        result = execute_block(
            self.state, self.chain_id, txs, BlockContext(height, time_ms, proposer)
        )
        previous = self.blocks.get(height - 1)
        prev_hash = compute_header_hash(previous.header) if previous else self.genesis.hash
        block = make_block(
            height,
            [tx.tx_bytes for tx in txs],
            prev_hash,
            self.commits.get(height - 1),
            self.state.app_hash,  # the state root after the previous block
            time_ms,
            result.receipts_root,
        )
        apply_block_result(self.state, result, height)
        self.mempool.update_after_commit(block.tx_hashes, self.state, result.changes.keys())
        self.blocks[height] = block
        self.commits[height] = sign_commit(block.header)
        self.receipts[height] = result.receipts
        for receipt in result.receipts:
            self.locations[receipt.tx_hash] = TxLocation(
                height=height, index=receipt.index, receipt=receipt
            )
        if self.index is not None:
            entries = compute_block_entries(block, result.receipts, result.events, self.registry)
            self.index.write_blocks([entries])
        self.events.publish(block, result.receipts, result.events)
        return block
