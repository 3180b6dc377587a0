"""Invariant checkers: what must hold after every step of every seed.

The simulator reports to `Checkers` what honest nodes do (sign, persist, send, commit, restart)
and each report is checked at once; a broken rule raises `InvariantViolation` naming the rule.

    agreement        no two honest nodes commit different blocks at one height
    same_validator_set  every honest node uses the same validator set at every height (the
                     set each node's ledger derives for a height, and the set its consensus
                     machine works with there)
    validity         a committed block's commit certificate is valid for it under the agreed
                     set of its height (verify_commit), the block names that set as its
                     validators_hash and the agreed set of the next height as its
                     next_validators_hash, and its last_commit is a valid certificate for the
                     agreed parent under the set of the parent's height
    app_hash         every honest node computes the same app hash after each height, and a
                     restarted node recomputes the same one by replaying its stored blocks;
                     a node that joins by state sync restores the agreed app hash of its
                     snapshot's height (which honest nodes committed before it was offered)
    signed_above_snapshot  a node that joined by state sync at height C never signs a vote or
                     a proposal at a height <= C (it never took part in consensus there)
    no_double_sign   an honest validator never signs two different votes for one
                     (height, round, type), nor two different proposals for one (height,
                     round) -- tracked across its crashes, since the checker outlives nodes
    persist_first    a vote or proposal an honest node sends is already covered by its durable
                     consensus record (the WAL rule of core/outputs.py)
    store_before_apply  a node's ledger state is never at a height its store does not hold:
                     a decided block is applied only once its record is saved
    no_lost_tx       every transaction once committed stays committed at the same height, in
                     the durable store of every honest node that reached that height, across
                     restarts
    store_matches    an honest node's durable store holds exactly the agreed blocks (from
                     its book's base; below its first whole block, their agreed headers)
    no_false_evidence  an honest node reports equivocation evidence only against a Byzantine
                     validator (a node that kept a forged vote would accuse its victim)
    no_false_ban     an honest node disconnects (or bans) only Byzantine peers: honest nodes
                     send, and relay, nothing a check counts as a protocol fault
    timeliness       a committed block's time is at most time_drift_ms_max ahead of the
                     fastest honest clock within the bound, at the moment it is committed: a
                     fresh block is prevoted only by nodes whose clock finds it timely, and a
                     quorum holds at least one such honest node (faulty clocks and liars are
                     together at most f, config.py)
    liveness         (checked by the simulator) after heal, every honest node reaches the
                     target height within the bound

Signing rules are checked for honest validators only. Commits are checked on every node,
the equivocator's too: it runs the real machine, so a valid certificate it commits for a
block other than the agreed one is a fork as much as an honest node's would be.

Validator sets change during a run (sim/governance.py): the checkers know the genesis set for
heights 1 and 2 (no change takes effect before 3) and learn the set of every later height from
the first honest node that reports it; every later report must match it exactly, and every
commit is checked against it, so a node that verified a commit with another set (its config,
a stale set) is caught.
"""

from __future__ import annotations

from chainbook import codec
from chainbook.chain.block import Block, compute_header_hash
from chainbook.chain.commit import Commit, SignedProposal, SignedVote, VoteType, verify_commit
from chainbook.chain.genesis import ConsensusParams
from chainbook.chain.validators import ValidatorSet
from chainbook.consensus.machine import ConsensusRecord
from chainbook.errors import InvalidBlock
from chainbook.storage import BlockStore
from chainbook.types import Address, Hash, Height, Round, TimeMs

_SIGN_STEP_BY_VOTE = {VoteType.PREVOTE: 1, VoteType.PRECOMMIT: 2}
_PROPOSAL_SIGN_STEP = 0


class InvariantViolation(AssertionError):
    """A safety or liveness rule of the simulation was broken."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


def _short(value: bytes) -> str:
    return value.hex()[:12] if value else "nil"


class Checkers:
    """The cluster-wide record of what honest nodes did, checked as it grows."""

    def __init__(self, chain_id: str, genesis_validators: ValidatorSet) -> None:
        self.chain_id = chain_id
        self.validator_sets: dict[Height, tuple[ValidatorSet, str]] = {
            1: (genesis_validators, "genesis"),
            2: (genesis_validators, "genesis"),
        }
        """height -> (agreed set, the node that reported it first)."""
        self.committed: dict[Height, tuple[Hash, str]] = {}
        """height -> (agreed block hash, name of the first honest node that committed it)."""
        self.app_hashes: dict[Height, tuple[Hash, str]] = {}
        self.tx_heights: dict[Hash, Height] = {}
        """Every transaction ever committed -> its height."""
        self.votes_signed: dict[tuple[Address, Height, Round, VoteType], Hash] = {}
        self.proposals_signed: dict[tuple[Address, Height, Round], Hash] = {}
        self.snapshot_heights: dict[str, Height] = {}
        """Nodes that joined by state sync -> the height of the snapshot each restored."""
        self.checks = 0
        self.block_time_ahead_ms_max = 0
        """The most a committed block's time was ahead of the fastest honest clock (a metric:
        blocks at the bound were committed)."""

    # ------------------------------------------------------------------ signing

    def on_vote_signed(self, node: str, signed: SignedVote) -> None:
        """no_double_sign and signed_above_snapshot, for a vote an honest node signed (seen in
        its record or sent)."""
        self.checks += 1
        vote = signed.vote
        self._verify_above_snapshot(node, f"{vote.type.name} vote", vote.height)
        key = (signed.validator, vote.height, vote.round, vote.type)
        first = self.votes_signed.setdefault(key, vote.block_hash)
        if first != vote.block_hash:
            raise InvariantViolation(
                "no_double_sign",
                f"{node} signed {vote.type.name} h{vote.height} r{vote.round} for "
                f"{_short(first)} and for {_short(vote.block_hash)}",
            )

    def on_proposal_signed(self, node: str, signed: SignedProposal) -> None:
        self.checks += 1
        proposal = signed.proposal
        self._verify_above_snapshot(node, "proposal", proposal.height)
        key = (signed.proposer, proposal.height, proposal.round)
        first = self.proposals_signed.setdefault(key, proposal.block_hash)
        if first != proposal.block_hash:
            raise InvariantViolation(
                "no_double_sign",
                f"{node} signed proposals h{proposal.height} r{proposal.round} for "
                f"{_short(first)} and for {_short(proposal.block_hash)}",
            )

    def _verify_above_snapshot(self, node: str, what: str, height: Height) -> None:
        snapshot_height = self.snapshot_heights.get(node)
        if snapshot_height is not None and height <= snapshot_height:
            raise InvariantViolation(
                "signed_above_snapshot",
                f"{node} joined by state sync at height {snapshot_height} and signed a {what} "
                f"at height {height}",
            )

    def on_state_synced(self, node: str, height: Height, app_hash: Hash) -> None:
        """app_hash, for the state a node restored from a snapshot of `height`; from now on
        signed_above_snapshot holds for it."""
        self.checks += 1
        agreed = self.app_hashes.get(height)
        if agreed is None or agreed[0] != app_hash:
            found = "no honest node has committed it" if agreed is None else (
                f"{agreed[1]} has {_short(agreed[0])}"
            )
            raise InvariantViolation(
                "app_hash",
                f"{node} restored a snapshot of height {height} with app hash "
                f"{_short(app_hash)}: {found}",
            )
        self.snapshot_heights[node] = height

    def on_record_persisted(self, node: str, record: ConsensusRecord) -> None:
        for signed in record.signed_votes:
            self.on_vote_signed(node, signed)
        if record.signed_proposal is not None:
            self.on_proposal_signed(node, record.signed_proposal)

    def on_signed_message_sent(
        self, node: str, position: tuple[int, int, int], durable: ConsensusRecord | None
    ) -> None:
        """persist_first: what is sent at (height, round, step) is at or below the durable
        record's signed position (the record is written before the message leaves)."""
        self.checks += 1
        if durable is None or position > tuple(durable.signed_position):
            stored = None if durable is None else tuple(durable.signed_position)
            raise InvariantViolation(
                "persist_first",
                f"{node} sent a message signed at {position}, durable record is at {stored}",
            )

    def on_applied(self, node: str, applied_height: Height, stored_height: Height) -> None:
        """store_before_apply: the ledger state of `node` is at `applied_height`."""
        self.checks += 1
        if applied_height > stored_height:
            raise InvariantViolation(
                "store_before_apply",
                f"{node} applied height {applied_height}, its store holds {stored_height}",
            )

    # ------------------------------------------------------------------ validator sets

    def on_validator_set(self, node: str, height: Height, validators: ValidatorSet) -> None:
        """same_validator_set: `node` uses `validators` at `height`."""
        self.checks += 1
        agreed = self.validator_sets.setdefault(height, (validators, node))
        if agreed[0].hash != validators.hash:
            raise InvariantViolation(
                "same_validator_set",
                f"height {height}: {agreed[1]} uses set {_short(agreed[0].hash)} "
                f"({len(agreed[0])} validators), {node} uses {_short(validators.hash)} "
                f"({len(validators)} validators)",
            )

    def get_validator_set(self, height: Height) -> ValidatorSet:
        agreed = self.validator_sets.get(height)
        if agreed is None:
            raise InvariantViolation(
                "validity", f"a block of height {height} committed before any honest node "
                "reported the validator set of that height"
            )
        return agreed[0]

    # ------------------------------------------------------------------ commits

    def on_commit(self, node: str, block: Block, commit: Commit) -> None:
        """validity and agreement, for a block a node commits (the sets of its height and the
        next are reported first, on_validator_set)."""
        self.checks += 1
        height = block.height
        self._verify_certificate(node, height, block.hash, commit)
        self._verify_validator_hashes(node, block)
        self._verify_last_commit(node, block)
        agreed = self.committed.setdefault(height, (block.hash, node))
        if agreed[0] != block.hash:
            raise InvariantViolation(
                "agreement",
                f"height {height}: {agreed[1]} committed {_short(agreed[0])}, "
                f"{node} committed {_short(block.hash)}",
            )
        for tx_hash in block.tx_hashes:
            self.tx_heights.setdefault(tx_hash, height)

    def on_app_hash(self, node: str, height: Height, app_hash: Hash) -> None:
        self.checks += 1
        agreed = self.app_hashes.setdefault(height, (app_hash, node))
        if agreed[0] != app_hash:
            raise InvariantViolation(
                "app_hash",
                f"height {height}: {agreed[1]} has app hash {_short(agreed[0])}, "
                f"{node} has {_short(app_hash)}",
            )

    def _verify_certificate(
        self, node: str, height: Height, block_hash: Hash, commit: Commit
    ) -> None:
        try:
            verify_commit(
                self.chain_id, self.get_validator_set(height), commit, height, block_hash
            )
        except InvalidBlock as exc:
            raise InvariantViolation(
                "validity", f"{node} committed block {height} with a bad certificate: {exc}"
            ) from None

    def _verify_validator_hashes(self, node: str, block: Block) -> None:
        header = block.header
        expected = self.get_validator_set(block.height).hash
        if header.validators_hash != expected:
            raise InvariantViolation(
                "validity",
                f"{node} committed block {block.height} naming set "
                f"{_short(header.validators_hash)}, the agreed set is {_short(expected)}",
            )
        following = self.validator_sets.get(block.height + 1)
        if following is not None and header.next_validators_hash != following[0].hash:
            raise InvariantViolation(
                "validity",
                f"{node} committed block {block.height} naming next set "
                f"{_short(header.next_validators_hash)}, the agreed set of "
                f"{block.height + 1} is {_short(following[0].hash)}",
            )

    def _verify_last_commit(self, node: str, block: Block) -> None:
        height = block.height
        if height == 1 or height - 1 not in self.committed:
            return
        if block.last_commit is None:
            raise InvariantViolation(
                "validity", f"{node} committed block {height} without last_commit"
            )
        parent_hash = self.committed[height - 1][0]
        try:
            verify_commit(
                self.chain_id,
                self.get_validator_set(height - 1),
                block.last_commit,
                height - 1,
                parent_hash,
            )
        except InvalidBlock as exc:
            raise InvariantViolation(
                "validity", f"{node} committed block {height} whose last_commit is bad: {exc}"
            ) from None

    def on_evidence(self, node: str, validator: Address, byzantine: frozenset[Address]) -> None:
        """no_false_evidence, for the evidence an honest node reports."""
        self.checks += 1
        if validator not in byzantine:
            raise InvariantViolation(
                "no_false_evidence",
                f"{node} reports equivocation by {_short(validator)}, an honest validator",
            )

    def on_disconnect(self, node: str, peer: str, peer_is_byzantine: bool, reason: str) -> None:
        """no_false_ban, for a Disconnect an honest node emits."""
        self.checks += 1
        if not peer_is_byzantine:
            raise InvariantViolation(
                "no_false_ban", f"{node} disconnects honest {peer}: {reason}"
            )

    def on_block_time(
        self, node: str, block: Block, clock_ms_max: TimeMs, params: ConsensusParams
    ) -> None:
        """timeliness: `clock_ms_max` is the fastest honest clock within the bound now."""
        self.checks += 1
        ahead_ms = block.header.time_ms - clock_ms_max
        self.block_time_ahead_ms_max = max(self.block_time_ahead_ms_max, ahead_ms)
        if ahead_ms > params.time_drift_ms_max:
            raise InvariantViolation(
                "timeliness",
                f"{node} committed block {block.height} timed {ahead_ms} ms ahead of the "
                f"fastest honest clock, bound {params.time_drift_ms_max} ms",
            )

    # ------------------------------------------------------------------ durable stores

    def check_store(self, node: str, store: BlockStore) -> None:
        """store_matches and no_lost_tx, for an honest node's durable store."""
        self.checks += 1
        latest = store.latest_height()
        whole_from = store.load_pruned_below()
        for height in range(store.load_book_base(), latest + 1):
            found_hash = self._load_stored_hash(store, height, whole=height >= whole_from)
            agreed = self.committed.get(height)
            if found_hash is None or agreed is None or found_hash != agreed[0]:
                found = "nothing" if found_hash is None else _short(found_hash)
                raise InvariantViolation(
                    "store_matches", f"{node} stores {found} at height {height}, agreed {agreed}"
                )
        for tx_hash, height in self.tx_heights.items():
            if height > latest or height < whole_from:
                continue  # not reached, or in a block held as its header only
            location = store.load_tx(tx_hash)
            if location is None or location.height != height:
                stored_at = None if location is None else location.height
                raise InvariantViolation(
                    "no_lost_tx",
                    f"{node}: tx {_short(tx_hash)} committed at {height}, store has {stored_at}",
                )

    @staticmethod
    def _load_stored_hash(store: BlockStore, height: Height, whole: bool) -> Hash | None:
        if whole:
            block = store.load_block(height)
            return None if block is None else block.hash
        stored = store.load_header_and_last_commit(height)
        return None if stored is None else compute_header_hash(stored[0])


def decode_record(record_bytes: bytes) -> ConsensusRecord:
    return codec.decode(record_bytes, ConsensusRecord)


def vote_position(signed: SignedVote) -> tuple[int, int, int]:
    vote = signed.vote
    return (vote.height, vote.round, _SIGN_STEP_BY_VOTE[vote.type])


def proposal_position(signed: SignedProposal) -> tuple[int, int, int]:
    proposal = signed.proposal
    return (proposal.height, proposal.round, _PROPOSAL_SIGN_STEP)


__all__ = [
    "Checkers",
    "InvariantViolation",
    "decode_record",
    "proposal_position",
    "vote_position",
]
