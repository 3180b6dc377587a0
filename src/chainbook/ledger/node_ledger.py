"""The node ledger consensus drives: builds, verifies and commits blocks over the ledger.

`NodeLedger` implements `consensus.machine.ConsensusLedger`. It is pure (no IO, no clock:
time comes in as arguments), so the node runtime and the simulator both use it unchanged.

Verify once, execute once: a proposed block is executed when it is first judged valid and the
BlockResult is kept until the height is decided, so the commit only applies the stored result.
The state tree is updated once, for the decided block only (`compute_state_tree_for`, before
its record is saved), never for proposals that lose.
Transactions the node already admitted are not re-verified (their DecodedTx comes from the
mempool); only unseen ones have their signatures checked.

The validator set and the consensus parameters of each height come from the ledger state
(ledger/governed.py), never from a config: `get_validators(h)` answers for every height up
to the committed height + 2. A block of height h is checked against the set of h (its
validators_hash and proposer), of h - 1 (its last_commit) and of h + 1 (its
next_validators_hash), against the block limits governance sets for h, and its evidence
against the chain (ledger/evidence.py). A proposer fills its block within those limits and
takes evidence from an EvidenceSource (the node core's pool).
"""

from __future__ import annotations

from typing import Protocol

from chainbook import limits
from chainbook.apps.base import BlockContext
from chainbook.chain.block import Block, Header, compute_commit_hash, compute_txs_root
from chainbook.chain.commit import Commit
from chainbook.chain.evidence import DuplicateVoteEvidence, compute_evidence_hash
from chainbook.chain.genesis import ConsensusParams, Genesis
from chainbook.chain.tx import DecodedTx
from chainbook.chain.validators import ValidatorSet
from chainbook.chain.verify import verify_block_against_parent
from chainbook.errors import InvalidBlock
from chainbook.ledger.evidence import select_evidence, verify_block_evidence
from chainbook.ledger.execute import (
    BlockResult,
    apply_block_result,
    compute_state_tree,
    execute_block,
    verify_block_txs,
)
from chainbook.ledger.governed import GovernedChain
from chainbook.ledger.state import LedgerState
from chainbook.ledger.state_tree import StateTree
from chainbook.types import Address, Hash, Height, TimeMs


class TxSource(Protocol):
    """Where the ledger takes the transactions of the blocks it proposes, and finds the ones
    this node already verified (the node core's mempool)."""

    def reap(self, txs_max: int, bytes_max: int) -> list[DecodedTx]: ...

    def get(self, tx_hash: Hash, /) -> DecodedTx | None: ...

    def __contains__(self, tx_hash: object, /) -> bool: ...


class EvidenceSource(Protocol):
    """Where a proposer takes the evidence it puts in a block (the node core's pool)."""

    def candidates(self) -> list[DuplicateVoteEvidence]: ...


class _NoEvidence:
    def candidates(self) -> list[DuplicateVoteEvidence]:
        return []


class NodeLedger:
    """Ledger state + the last committed header, seen by consensus; transactions come from
    a TxSource."""

    def __init__(
        self,
        genesis: Genesis,
        state: LedgerState,
        last_header: Header | None,
        txs: TxSource,
        evidence: EvidenceSource | None = None,
    ) -> None:
        assert (last_header is None) == (state.height == 0)
        assert last_header is None or last_header.height == state.height
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.state = state
        self.last_header = last_header
        self.txs = txs
        self.evidence: EvidenceSource = evidence if evidence is not None else _NoEvidence()
        self.governed = GovernedChain(genesis)
        self.preverified: dict[Hash, DecodedTx] = {}
        """Transactions whose signatures the runtime already checked (e.g. of synced blocks,
        verified in the signature workers); consulted after the mempool, emptied at each commit."""
        self._results: dict[Hash, BlockResult] = {}
        """Results of blocks verified at the current height, by block hash."""
        self._rejections: dict[Hash, InvalidBlock] = {}
        """Execution verdicts only, by block hash. A clock verdict (verify_block_time) is never
        kept: it depends on when it is asked, and a decided block is not judged by our clock."""
        self._decided_trees: dict[Hash, StateTree] = {}
        """The state tree after the decided block waiting for its commit (at most one)."""
        self.txs_checked_in_blocks = 0
        """Transactions whose signature was first checked during block validation (not at
        admission): what gossip trailing proposals costs; a metric, not a rule."""

    # --- ConsensusLedger ---------------------------------------------------------------------

    def get_validators(self, height: Height) -> ValidatorSet:
        """The validator set of `height` (<= committed height + 2), from the ledger state."""
        return self.governed.get_validators(self.state, height)

    def get_validator_changes(self, to_height: Height) -> list[tuple[Height, ValidatorSet]]:
        """Each (h, set) where header h announced `set` for h + 1 (next_validators_hash !=
        validators_hash), for h < to_height, oldest first: the hops a verifier follows from
        the genesis set (client/light.py). With the store's header and commit of each h, that
        is the chain of validator-set changes of a receipt (ledger/governed.py)."""
        return self.governed.get_validator_changes(self.state, to_height)

    def get_consensus_params(self, height: Height) -> ConsensusParams:
        """The consensus parameters of `height` (<= committed height + 2): genesis values with
        governance's changes applied."""
        return self.governed.get_consensus_params(self.state, height)

    def build_block(
        self, height: Height, now_ms: TimeMs, proposer: Address, last_commit: Commit | None
    ) -> Block:
        assert height == self.state.height + 1
        params = self.get_consensus_params(height)
        txs = self.txs.reap(params.block_txs_max, params.block_bytes_max)
        evidence = select_evidence(
            self.state,
            self.chain_id,
            self.governed,
            self.evidence.candidates(),
            limits.evidence_per_block_max,
        )
        time_ms = max(now_ms, self.state.time_ms + 1)
        ctx = BlockContext(height, time_ms, proposer, tuple(evidence))
        result = execute_block(self.state, self.chain_id, txs, ctx)
        validators = self.get_validators(height)
        tx_bytes = [tx.tx_bytes for tx in txs]
        header = Header(
            chain_id=self.chain_id,
            height=height,
            time_ms=time_ms,
            prev_block_hash=self._parent_hash(),
            last_commit_hash=compute_commit_hash(last_commit),
            txs_root=compute_txs_root(tx_bytes),
            tx_count=len(tx_bytes),
            receipts_root=result.receipts_root,
            app_hash=self.state.app_hash,
            validators_hash=validators.hash,
            next_validators_hash=self.get_validators(height + 1).hash,
            proposer=proposer,
            evidence_hash=compute_evidence_hash(evidence),
        )
        block = Block(header=header, txs=tx_bytes, last_commit=last_commit, evidence=evidence)
        self._results[block.hash] = result
        return block

    def verify_block(self, block: Block) -> None:
        """Check the block against the chain and execute it; raise InvalidBlock if it fails."""
        rejection = self._rejections.get(block.hash)
        if rejection is not None:
            raise rejection
        if block.hash in self._results:
            return
        try:
            self._results[block.hash] = self._verify_and_execute(block)
        except InvalidBlock as exc:
            self._rejections[block.hash] = exc
            raise

    # --- the commit -----------------------------------------------------------------------

    def result_for(self, block: Block) -> BlockResult:
        """The execution result of a decided block (computed when it was verified)."""
        result = self._results.get(block.hash)
        if result is None:
            result = self._verify_and_execute(block)
        return result

    def compute_state_tree_for(self, block: Block, result: BlockResult) -> StateTree:
        """The state tree after the decided `block` (kept for its commit); its root is what
        the next header must carry as app_hash."""
        tree = self._decided_trees.get(block.hash)
        if tree is None:
            tree = compute_state_tree(self.state, result)
            self._decided_trees = {block.hash: tree}
        return tree

    def commit(self, block: Block, result: BlockResult) -> None:
        """Apply a decided block: the ledger state moves to its height."""
        tree = self._decided_trees.pop(block.hash, None)
        apply_block_result(self.state, result, block.height, tree)
        self.last_header = block.header
        self._results.clear()
        self._rejections.clear()
        self.preverified.clear()

    # --- checks ---------------------------------------------------------------------------

    def get(self, tx_hash: Hash, /) -> DecodedTx | None:
        """Transactions already verified by this node: admitted ones, then preverified ones."""
        return self.txs.get(tx_hash) or self.preverified.get(tx_hash)

    def _verify_and_execute(self, block: Block) -> BlockResult:
        header = block.header
        if header.height != self.state.height + 1:
            raise InvalidBlock(
                f"block height {header.height}, expected {self.state.height + 1}"
            )
        verify_block_against_parent(
            self.chain_id,
            block,
            self.last_header,
            self.genesis.hash,
            self.get_validators(header.height),
            self.get_validators(header.height - 1) if header.height > 1 else None,
            self.get_validators(header.height + 1),
        )
        self.verify_block_limits(block)
        verify_block_evidence(
            self.state, self.chain_id, self.governed, header.height, block.evidence
        )
        if header.app_hash != self.state.app_hash:
            raise InvalidBlock(
                f"block {header.height}: app hash {header.app_hash.hex()[:16]} in header, "
                f"the state after block {self.state.height} has root "
                f"{self.state.app_hash.hex()[:16]}"
            )
        known_before = len(self.preverified)
        txs = verify_block_txs(self.chain_id, block.txs, self, block.tx_hashes)
        for tx in txs:
            # Checked here for the first time (gossip often trails a proposal): remember it,
            # so the node admitting the same transaction from gossip does not check it again.
            if tx.hash not in self.txs:
                self.preverified[tx.hash] = tx
        self.txs_checked_in_blocks += len(self.preverified) - known_before
        ctx = BlockContext(header.height, header.time_ms, header.proposer, tuple(block.evidence))
        result = execute_block(self.state, self.chain_id, txs, ctx)
        if result.receipts_root != header.receipts_root:
            raise InvalidBlock(
                f"block {header.height}: receipts root {header.receipts_root.hex()[:16]} in "
                f"header, {result.receipts_root.hex()[:16]} after executing it"
            )
        return result

    def verify_block_limits(self, block: Block) -> None:
        """The block fits the limits governance sets for its height."""
        params = self.get_consensus_params(block.height)
        if len(block.txs) > params.block_txs_max:
            raise InvalidBlock(
                f"block {block.height}: {len(block.txs)} txs, consensus.block_txs_max is "
                f"{params.block_txs_max}"
            )
        size = sum(len(tx) for tx in block.txs)
        if size > params.block_bytes_max:
            raise InvalidBlock(
                f"block {block.height}: {size} tx bytes, consensus.block_bytes_max is "
                f"{params.block_bytes_max}"
            )

    def verify_block_time(self, block: Block, now_ms: TimeMs) -> None:
        """Refuse a block time too far ahead of the local clock. Consensus asks it only when
        prevoting a fresh proposal; the verdict is not cached (see _rejections)."""
        drift_ms_max = self.get_consensus_params(block.height).time_drift_ms_max
        if block.header.time_ms > now_ms + drift_ms_max:
            raise InvalidBlock(
                f"block time {block.header.time_ms} is more than {drift_ms_max} ms "
                f"ahead of the local clock {now_ms}"
            )

    def _parent_hash(self) -> Hash:
        return self.last_header.hash if self.last_header is not None else self.genesis.hash


__all__ = ["EvidenceSource", "NodeLedger", "TxSource"]
