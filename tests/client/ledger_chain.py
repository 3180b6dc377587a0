"""A real chain without a network: the real ledger (NodeLedger, execution, state tree),
blocks built and committed as a node does, commits signed by the genesis validator, a
MemoryBlockStore; it serves the NodeService methods that proofs use, so the API's proof routes,
the SDK and the CLI run on real state (FakeNode has none).
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook import merkle
from chainbook.api.service import TxLocation, TxProof, ValidatorSetChange
from chainbook.apps.bank import Transfer
from chainbook.chain.block import Block, encode_block
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.tx import decode_tx
from chainbook.crypto import PrivateKey
from chainbook.ledger.node_ledger import NodeLedger
from chainbook.ledger.proven_query import ProvenQuery, prove_query
from chainbook.ledger.queries import run_query
from chainbook.ledger.receipts import Receipt, encode_receipt_leaf
from chainbook.ledger.state import LedgerState
from chainbook.storage import MemoryBlockStore
from chainbook.types import Hash, Height
from tests.support import ALICE, BOB, CAROL, CHAIN_ID, GENESIS_TIME_MS, VALIDATOR, make_genesis
from tests.support import signed as signed_tx


class _Pending:
    """The TxSource of the NodeLedger: what the next block includes."""

    def __init__(self) -> None:
        self.txs: list[Any] = []

    def reap(self, txs_max: int, bytes_max: int) -> list[Any]:
        taken, self.txs = self.txs, []
        return taken

    def get(self, tx_hash: Hash, /) -> Any:
        return None

    def __contains__(self, tx_hash: object, /) -> bool:
        return False


class LedgerChain:
    """`commit_block(txs)` builds, executes and commits the next block."""

    chain_id = CHAIN_ID

    def __init__(self, validators: list[PrivateKey] | None = None) -> None:
        self.keys = validators or [VALIDATOR]
        self.genesis = make_genesis(validators=self.keys, block_reward=7, supply_max=10**9)
        self.pending = _Pending()
        state = LedgerState.from_genesis(self.genesis)
        self.ledger = NodeLedger(self.genesis, state, None, self.pending)
        self.store = MemoryBlockStore()
        self.commits: dict[Height, Commit] = {}

    @property
    def height(self) -> Height:
        return self.ledger.state.height

    def commit_block(self, txs: list[bytes]) -> Block:
        self.pending.txs = [decode_tx(t) for t in txs]
        height = self.height + 1
        last_commit = self.commits.get(height - 1)
        block = self.ledger.build_block(
            height, GENESIS_TIME_MS + height * 1000, self.keys[0].address, last_commit
        )
        result = self.ledger.result_for(block)
        tree = self.ledger.compute_state_tree_for(block, result)
        vote = Vote(VoteType.PRECOMMIT, height, 0, block.hash)
        validators = self.genesis.validator_set
        commit = make_commit(validators, [sign_vote(k, CHAIN_ID, vote) for k in self.keys])
        self.store.save_block(
            encode_block(block), block, commit, result.receipts, None, tree.root
        )
        self.commits[height] = commit
        self.ledger.commit(block, result)
        return block

    # --- the NodeService methods the proof routes use -------------------------------------

    def get_block(self, height: Height) -> Block | None:
        return self.store.load_block(height)

    def get_commit(self, height: Height) -> Commit | None:
        return self.store.load_commit(height)

    def get_block_bytes(self, height: Height) -> bytes | None:
        return self.store.load_block_bytes(height)

    def get_receipts(self, height: Height) -> list[Receipt] | None:
        return self.store.load_receipts(height)

    def get_tx(self, tx_hash: Hash) -> TxLocation | None:
        stored = self.store.load_tx(tx_hash)
        return None if stored is None else TxLocation(stored.height, stored.index, stored.receipt)

    def get_tx_proof(self, tx_hash: Hash) -> TxProof | None:
        location = self.get_tx(tx_hash)
        if location is None:
            return None
        block = self.store.load_block(location.height)
        commit = self.store.load_commit(location.height)
        receipts = self.store.load_receipts(location.height)
        assert block is not None and commit is not None and receipts is not None
        leaves = [merkle.leaf_hash(t) for t in block.txs]
        receipt_leaves = [merkle.leaf_hash(encode_receipt_leaf(r)) for r in receipts]
        return TxProof(
            tx=block.txs[location.index],
            location=location,
            audit_path=merkle.inclusion_proof(leaves, location.index),
            receipt_path=merkle.inclusion_proof(receipt_leaves, location.index),
            tree_size=len(block.txs),
            block=block,
            commit=commit,
        )

    def query(self, module: str, name: str, request: msgspec.Struct) -> Any:
        return run_query(self.ledger.state, module, name, request)

    def prove_query(self, module: str, name: str, request: msgspec.Struct) -> ProvenQuery:
        return prove_query(self.ledger.state, module, name, request)

    def get_validator_changes(self, to_height: Height) -> list[ValidatorSetChange]:
        return []


def transfers_chain() -> tuple[LedgerChain, list[bytes]]:
    """Three blocks: a transfer, an overdraft that fails, a multi-party block."""
    chain = LedgerChain()
    first = [signed_tx(ALICE, 0, Transfer(BOB.address, 100, "rent"))]
    second = [signed_tx(BOB, 0, Transfer(CAROL.address, 10_000, "too much"))]
    third = [
        signed_tx(ALICE, 1, Transfer(CAROL.address, 5, "")),
        signed_tx(BOB, 1, Transfer(ALICE.address, 3, "back")),
    ]
    for txs in (first, second, third):
        chain.commit_block(txs)
    chain.commit_block([])  # its header commits to the state after the third block
    return chain, [*first, *second, *third]


__all__ = ["LedgerChain", "transfers_chain"]
