"""A governed ledger driven block by block: nonces tracked per key, blocks executed and committed.

Built on tests.support (its genesis builder and tx signer); what it adds is the bookkeeping of a
chain with several validators: whose nonce is next, which height is next, and short-hands for
proposing and voting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from chainbook.apps.base import PrefixedReader
from chainbook.apps.governance import CastVote, Change, Propose
from chainbook.apps.governance.state import ProposalRecord, get_proposal
from chainbook.chain.block import Block, encode_block
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.evidence import DuplicateVoteEvidence
from chainbook.chain.tx import decode_tx
from chainbook.chain.validators import ValidatorSet
from chainbook.core.inputs import BlockSaved, Input, TimerFired
from chainbook.core.node import NodeCore
from chainbook.core.outputs import BlockCommitted, BlockRecord, Output, SaveBlock, SetTimer
from chainbook.crypto import PrivateKey
from chainbook.ledger.execute import BlockContext, BlockResult, apply_block_result, execute_block
from chainbook.ledger.governed import GovernedChain
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState
from chainbook.storage import MemoryBlockStore
from tests.support import CHAIN_ID, GENESIS_TIME_MS, ask, make_genesis, signed, validator_keys

VALIDATORS = validator_keys(4)
"""Four validators of power 10 (tolerates one fault)."""
POWER = 10


class GovernedLedger:
    def __init__(
        self,
        validators: Sequence[PrivateKey] = VALIDATORS,
        powers: Sequence[int] | None = None,
        **genesis: Any,
    ) -> None:
        self.genesis = make_genesis(
            validators=validators,
            powers=list(powers) if powers is not None else [POWER] * len(validators),
            **genesis,
        )
        self.state = LedgerState.from_genesis(self.genesis)
        self.governed = GovernedChain(self.genesis)
        self.nonces: dict[bytes, int] = {}

    @property
    def height(self) -> int:
        return self.state.height

    def tx(self, key: PrivateKey, action: msgspec.Struct) -> bytes:
        nonce = self.nonces.get(key.address, 0)
        self.nonces[key.address] = nonce + 1
        return signed(key, nonce, action)

    def block(
        self, txs: Sequence[bytes] = (), evidence: Sequence[DuplicateVoteEvidence] = ()
    ) -> BlockResult:
        """Execute and commit the next block (evidence assumed verified by the ledger)."""
        height = self.state.height + 1
        ctx = BlockContext(
            height, GENESIS_TIME_MS + height * 1_000, VALIDATORS[0].address, tuple(evidence)
        )
        result = execute_block(self.state, CHAIN_ID, [decode_tx(t) for t in txs], ctx)
        apply_block_result(self.state, result, height)
        return result

    def run(self, key: PrivateKey, action: msgspec.Struct) -> Receipt:
        """One transaction in its own block; its receipt."""
        return self.block([self.tx(key, action)]).receipts[0]

    def blocks_until(self, height: int) -> None:
        while self.state.height < height:
            self.block()

    def propose(
        self,
        change: Change,
        by: PrivateKey = VALIDATORS[0],
        deadline_height: int = 0,
        activation_height: int = 0,
        title: str = "a change",
    ) -> Receipt:
        return self.run(by, Propose(title, change, deadline_height, activation_height))

    def vote(self, proposal_id: int, *voters: PrivateKey, choice: str = "yes") -> list[Receipt]:
        txs = [self.tx(v, CastVote(proposal_id, choice)) for v in voters]
        return self.block(txs).receipts

    def pass_proposal(self, change: Change, voters: Sequence[PrivateKey] = VALIDATORS[:3]) -> int:
        """Propose and vote yes until it passes; returns its id."""
        receipt = self.propose(change, by=voters[0])
        assert receipt.ok, receipt.error
        proposal_id = self.last_proposal_id()
        self.vote(proposal_id, *voters)
        assert self.proposal(proposal_id).status == "passed", self.proposal(proposal_id)
        return proposal_id

    def last_proposal_id(self) -> int:
        page = ask(self.state, "governance", "proposals", limit=1)
        return int(page.proposals[0].id)

    def proposal(self, proposal_id: int) -> ProposalRecord:
        record = get_proposal(_governance_view(self.state), proposal_id)
        assert record is not None
        return record

    def validators_at(self, height: int) -> ValidatorSet:
        return self.governed.get_validators(self.state, height)


def _governance_view(state: LedgerState) -> PrefixedReader:
    return PrefixedReader(state.kv, b"governance/")


# --- the same chain through the NodeLedger consensus drives --------------------------


class AppChain:
    """Blocks built, verified and committed by a NodeLedger, each commit certificate
    signed by the validators of its height (the keys in `keys`)."""

    def __init__(self, governed: GovernedLedger, keys: Sequence[PrivateKey]) -> None:
        from chainbook.core.evidence import EvidencePool
        from chainbook.core.mempool import Mempool
        from chainbook.ledger.node_ledger import NodeLedger

        self.governed = governed  # the tx signer and nonces
        self.keys = {k.address: k for k in keys}
        self.pool = EvidencePool()
        self.mempool = Mempool(CHAIN_ID, governed.state)
        self.ledger = NodeLedger(governed.genesis, governed.state, None, self.mempool, self.pool)
        self.last_commit: Commit | None = None
        self.store = MemoryBlockStore()
        """Every committed block with its commit, as a node's book holds them."""

    def sign_commit(self, height: int, block_hash: bytes) -> Commit:
        validators = self.ledger.get_validators(height)
        vote = Vote(type=VoteType.PRECOMMIT, height=height, round=0, block_hash=block_hash)
        votes = [
            sign_vote(self.keys[v.address], CHAIN_ID, vote)
            for v in validators.validators
            if v.address in self.keys
        ]
        return make_commit(validators, votes)

    def next_block(self, txs: Sequence[bytes] = ()) -> Block:
        """Build the next block (the given txs through the mempool), not yet committed."""
        for tx in txs:
            self.mempool.add(tx)
        height = self.ledger.state.height + 1
        proposer = self.ledger.get_validators(height).get_proposer(height, 0).address
        return self.ledger.build_block(
            height, GENESIS_TIME_MS + height * 1_000, proposer, self.last_commit
        )

    def commit(self, block: Block) -> BlockResult:
        self.ledger.verify_block(block)
        result = self.ledger.result_for(block)
        tree = self.ledger.compute_state_tree_for(block, result)
        self.last_commit = self.sign_commit(block.height, block.hash)
        self.store.save_block(
            encode_block(block), block, self.last_commit, result.receipts, None, tree.root
        )
        self.ledger.commit(block, result)
        self.mempool.update_after_commit(block.tx_hashes, self.ledger.state, result.changes.keys())
        return result

    def step(self, txs: Sequence[bytes] = ()) -> BlockResult:
        return self.commit(self.next_block(txs))


def equivocate(key: PrivateKey, height: int, round_: int = 0) -> DuplicateVoteEvidence:
    """Evidence that `key` precommitted two blocks at (height, round_)."""
    from chainbook.chain.evidence import make_duplicate_vote_evidence

    votes = [
        sign_vote(key, CHAIN_ID, Vote(VoteType.PRECOMMIT, height, round_, bytes([b]) * 32))
        for b in (1, 2)
    ]
    return make_duplicate_vote_evidence(*votes)


class LoneValidator:
    """A driver for a core that is the only validator: saves are confirmed, messages go to
    nobody; each step time moves 50 ms, or to the longest timer set in the step (an idle
    chain's held commit, core/empty_blocks.py), and the timers fire."""

    def __init__(self, core: NodeCore, store: MemoryBlockStore, now_ms: int) -> None:
        self.core = core
        self.store = store
        self.now_ms = now_ms
        self.pending: list[Input] = []
        self.outputs: list[Output] = core.start(now_ms)

    def handle(self, input_: Input) -> None:
        self.outputs += self.core.handle(input_, self.now_ms)

    def run(self, heights: int) -> list[BlockRecord]:
        """Carry out outputs until `heights` more blocks are committed; their records."""
        committed: list[BlockRecord] = []
        for _ in range(50 * heights):
            step_ms = 50
            for output in self.outputs:
                if isinstance(output, SaveBlock):
                    record = output.record
                    self.store.save_block(
                        record.block_bytes,
                        record.block,
                        record.commit,
                        record.receipts,
                        record.changes,
                        record.app_hash,
                    )
                    self.pending.append(BlockSaved(record.height))
                elif isinstance(output, SetTimer):
                    self.pending.append(TimerFired(output.kind, output.height, output.round))
                    step_ms = max(step_ms, output.duration_ms)
                elif isinstance(output, BlockCommitted):
                    committed.append(output.record)
            self.outputs = []
            if len(committed) >= heights or not self.pending:
                break
            self.now_ms += step_ms
            pending, self.pending = self.pending, []
            for item in pending:
                self.handle(item)
        return committed


__all__ = ["POWER", "VALIDATORS", "AppChain", "GovernedLedger", "LoneValidator", "equivocate"]
