"""The Tendermint consensus algorithm as a sans-IO state machine.

Rules kept (Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus", 2018, Algorithm 1;
line numbers below refer to it):

- Safety: with less than 1/3 of the voting power Byzantine, no two honest nodes decide different
  blocks at one height, whatever the network does. It rests on the lock: a validator that
  precommits block B in round r locks on B (L36-L43) and afterwards prevotes another block only
  if that block has a polka (> 2/3 prevotes) in a round >= its locked round (L28-L33).
- Liveness: after the network stabilises, timeouts that grow with the round (timeout(r) =
  base + r * delta) let every honest node reach the same round with a correct proposer.
- Never double-sign: every vote or proposal this node signs is recorded in the consensus state
  record, emitted as PersistState before the Broadcast that sends it. After a restart the record
  restores the lock and the last signed (height, round, step); a request to sign anything
  different at or below that point is refused (and counted), the same message is re-sent instead.

How it works: `step(event, now_ms)` records the input (a proposal, a vote, a timeout, a synced
commit), then `_process_rules` re-evaluates the paper's `upon` rules until none fires. Each rule
is a small method named after what it does, with the paper's line in its docstring. Effects
accumulate in order and are returned to the driver (effects.py states what the order means).

The application (ledger + mempool) is reached through the `ConsensusApp` protocol; its methods
are pure and deterministic given the committed chain, so the simulator can run this same code.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from typing import Protocol

import msgspec

from chainbook import codec, limits
from chainbook.chain.block import Block
from chainbook.chain.commit import (
    NIL,
    Commit,
    Proposal,
    SignedProposal,
    SignedVote,
    Vote,
    VoteType,
    is_valid_proposal_signature,
    is_valid_vote_signature,
    make_commit,
    sign_proposal,
    sign_vote,
    verify_commit,
)
from chainbook.chain.genesis import ConsensusParams
from chainbook.chain.validators import ValidatorSet
from chainbook.consensus.effects import (
    Broadcast,
    CommitBlock,
    Effect,
    EvidenceFound,
    FallenBehind,
    PersistState,
    ScheduleTimeout,
)
from chainbook.consensus.events import (
    CommitReceived,
    Event,
    ProposalReceived,
    Resend,
    TimeoutElapsed,
    TimeoutKind,
    VoteReceived,
)
from chainbook.consensus.messages import ConsensusMessage, ProposalMessage, VoteMessage
from chainbook.consensus.vote_set import AddResult, VoteSet
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.types import Address, Hash, Height, Round, TimeMs


class Step(enum.IntEnum):
    PROPOSE = 0
    PREVOTE = 1
    PRECOMMIT = 2
    COMMIT = 3
    """Decided; waiting timeout_commit before the next height."""


class StateDivergence(AssertionError):
    """A block with a valid commit certificate fails our own validation.

    More than 2/3 of the power accepted it, so our ledger disagrees with the network's (an app
    hash mismatch, or a bug in this node). Continuing would fork silently; the node halts.
    """


class ConsensusApp(Protocol):
    """What consensus needs from the application. Pure and deterministic for a given chain."""

    def get_validators(self, height: Height) -> ValidatorSet: ...

    def build_block(
        self, height: Height, now_ms: TimeMs, proposer: Address, last_commit: Commit | None
    ) -> Block:
        """A new block for `height` on top of the committed chain, transactions from the mempool."""
        ...

    def verify_block(self, block: Block, now_ms: TimeMs | None) -> None:
        """Raise InvalidBlock if `block` cannot follow the committed chain.

        With `now_ms`, also refuse a block time too far ahead of the local clock; `None` skips
        that check (a decided block is judged by its commit, not by our clock).
        """
        ...


class ConsensusRecord(msgspec.Struct, array_like=True, frozen=True):
    """The consensus write-ahead record: what must survive a crash to never double-sign."""

    height: Height
    round: Round
    locked_round: Round
    locked_hash: Hash
    valid_round: Round
    valid_block: Block | None
    """The block of the latest polka we saw (it is also the locked block when we locked)."""
    valid_polka: list[SignedVote]
    """The > 2/3 prevotes for valid_block in valid_round: the proof a re-proposal needs."""
    signed_position: tuple[int, int, int]
    """(height, round, step) of the last message this node signed; steps: 0 proposal,
    1 prevote, 2 precommit. Nothing at or below it may be signed again differently."""
    signed_votes: list[SignedVote]
    signed_proposal: SignedProposal | None


_PROPOSAL_SIGN_STEP = 0
_SIGN_STEP_BY_VOTE = {VoteType.PREVOTE: 1, VoteType.PRECOMMIT: 2}


class ConsensusMachine:
    """One node's consensus for one chain; moves from height to height on its own."""

    def __init__(
        self,
        *,
        chain_id: str,
        app: ConsensusApp,
        params: ConsensusParams,
        key: PrivateKey | None,
        height: Height,
        last_commit: Commit | None,
        record: bytes | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.app = app
        self.params = params
        self.key = key
        self.counters: Counter[str] = Counter()
        """Explicit no-ops and refusals, by reason (stale vote, bad signature, ...)."""
        self._effects: list[Effect] = []
        self._now_ms: TimeMs = 0
        self._fallen_behind_reported_ms: TimeMs | None = None
        # Never-double-sign guard; survives heights (restored from the record).
        self._signed_position: tuple[int, int, int] = (0, -1, -1)
        self._signed_votes: list[SignedVote] = []
        self._signed_proposal: SignedProposal | None = None
        self._enter_height(height, last_commit)
        if record is not None:
            self._restore(codec.decode(record, ConsensusRecord))

    # ------------------------------------------------------------------ public interface

    def start(self, now_ms: TimeMs) -> list[Effect]:
        """Begin (or, after a restart, resume) the current round."""
        self._now_ms = now_ms
        self._start_round(self.round)
        self._process_rules()
        return self._take_effects()

    def step(self, event: Event, now_ms: TimeMs) -> list[Effect]:
        """Feed one input; returns the effects to carry out, in order."""
        self._now_ms = now_ms
        match event:
            case ProposalReceived(proposal=proposal, block=block):
                self._on_proposal(proposal, block)
            case VoteReceived(vote=vote):
                self._on_vote(vote)
            case TimeoutElapsed():
                self._on_timeout(event)
            case CommitReceived(block=block, commit=commit):
                self._on_commit_received(block, commit)
            case Resend():
                self._on_resend()
        self._process_rules()
        return self._take_effects()

    @property
    def is_validator(self) -> bool:
        return self.key is not None and self.validators.is_validator(self.key.address)

    def proposer(self, round_: Round | None = None) -> Address:
        return self.validators.get_proposer(
            self.height, self.round if round_ is None else round_
        ).address

    # ------------------------------------------------------------------ height and round

    def _enter_height(self, height: Height, last_commit: Commit | None) -> None:
        """Reset the round state for a new height (the paper's `h_p <- h_p + 1` block)."""
        assert height >= 1
        self.height = height
        self.last_commit = last_commit
        self.validators = self.app.get_validators(height)
        self.round: Round = 0
        self.step_: Step = Step.PROPOSE
        self.locked_round: Round = -1
        self.locked_hash: Hash = NIL
        self.valid_round: Round = -1
        self.valid_block: Block | None = None
        self.decided: Block | None = None
        self.decided_commit: Commit | None = None
        self.proposals: dict[Round, tuple[SignedProposal, Block]] = {}
        self.blocks: dict[Hash, Block] = {}
        self.prevotes: dict[Round, VoteSet] = {}
        self.precommits: dict[Round, VoteSet] = {}
        self._round_voter_power: dict[Round, dict[Address, int]] = {}
        self._votes_counted = 0
        self._fired: set[tuple[str, Round]] = set()
        """Rules that fire "for the first time" per round (L34, L36, L47)."""
        self._validity: dict[tuple[Hash, bool], bool] = {}
        self._future: list[Event] = []
        """Messages for height + 1, replayed when we get there (bounded)."""

    def _start_round(self, round_: Round) -> None:
        """StartRound (L11-L21): propose if we are the proposer, else wait timeout_propose."""
        assert round_ >= self.round
        if round_ > limits.round_max:
            raise StateDivergence(f"height {self.height} reached round {round_}: network broken")
        self.round = round_
        self.step_ = Step.PROPOSE
        if self.is_validator and self.proposer() == self._address():
            self._propose()
        self._schedule(
            TimeoutKind.PROPOSE,
            self.params.timeout_propose_ms,
            self.params.timeout_propose_delta_ms,
        )

    def _propose(self) -> None:
        """L14-L19: propose the valid block if there is one, else a new block."""
        if self.valid_block is not None:
            block, pol_round = self.valid_block, self.valid_round
        else:
            block = self.app.build_block(
                self.height, self._now_ms, self._address(), self.last_commit
            )
            pol_round = -1
        proposal = Proposal(
            height=self.height, round=self.round, pol_round=pol_round, block_hash=block.hash
        )
        signed = self._sign_proposal(proposal)
        if signed is None:
            return
        self._broadcast(ProposalMessage(proposal=signed, block=block))
        self._record_proposal(signed, block)

    def _enter_next_height(self) -> None:
        assert self.decided is not None and self.decided_commit is not None
        future, commit = self._future, self.decided_commit
        self._enter_height(self.height + 1, commit)
        self._start_round(0)
        for event in future:
            self._dispatch_buffered(event)

    def _dispatch_buffered(self, event: Event) -> None:
        match event:
            case ProposalReceived(proposal=proposal, block=block):
                self._on_proposal(proposal, block)
            case VoteReceived(vote=vote):
                self._on_vote(vote)

    # ------------------------------------------------------------------ inputs

    def _on_proposal(self, signed: SignedProposal, block: Block) -> None:
        proposal = signed.proposal
        if not self._is_current_height(proposal.height, ProposalReceived(signed, block)):
            return
        if proposal.round in self.proposals:
            self.counters["proposal_duplicate"] += 1
            return
        if not self._is_round_in_window(proposal.round):
            return
        if signed.proposer != self.validators.get_proposer(self.height, proposal.round).address:
            self.counters["proposal_wrong_proposer"] += 1
            return
        if not -1 <= proposal.pol_round < proposal.round:
            self.counters["proposal_bad_pol_round"] += 1
            return
        if block.hash != proposal.block_hash or block.height != self.height:
            self.counters["proposal_block_mismatch"] += 1
            return
        if not is_valid_proposal_signature(self.chain_id, self.validators, signed):
            self.counters["proposal_bad_signature"] += 1
            return
        self._record_proposal(signed, block)

    def _record_proposal(self, signed: SignedProposal, block: Block) -> None:
        self.proposals[signed.proposal.round] = (signed, block)
        self.blocks[block.hash] = block

    def _on_vote(self, signed: SignedVote) -> None:
        vote = signed.vote
        if not self._is_current_height(vote.height, VoteReceived(signed)):
            return
        if not self._is_round_in_window(vote.round):
            return
        if not self.validators.is_validator(signed.validator):
            self.counters["vote_not_validator"] += 1
            return
        if self._votes_counted >= limits.votes_per_height_max:
            self.counters["vote_over_limit"] += 1
            return
        if not is_valid_vote_signature(self.chain_id, self.validators, signed):
            self.counters["vote_bad_signature"] += 1
            return
        self._add_vote(signed)

    def _add_vote(self, signed: SignedVote) -> None:
        vote = signed.vote
        table = self.prevotes if vote.type == VoteType.PREVOTE else self.precommits
        vote_set = table.get(vote.round)
        if vote_set is None:
            vote_set = VoteSet(self.validators, vote.type, self.height, vote.round)
            table[vote.round] = vote_set
        result, existing = vote_set.add(signed)
        if result is AddResult.DUPLICATE:
            self.counters["vote_duplicate"] += 1
            return
        if result is AddResult.CONFLICT:
            assert existing is not None
            self.counters["vote_equivocation"] += 1
            self._effects.append(EvidenceFound(first=existing, second=signed))
            return
        self._votes_counted += 1
        voters = self._round_voter_power.setdefault(vote.round, {})
        index = self.validators.index_of(signed.validator)
        assert index is not None
        voters[signed.validator] = self.validators.validators[index].power

    def _on_timeout(self, timeout: TimeoutElapsed) -> None:
        if timeout.height != self.height:
            self.counters["timeout_stale"] += 1
            return
        match timeout.kind:
            case TimeoutKind.PROPOSE:
                self._on_timeout_propose(timeout.round)
            case TimeoutKind.PREVOTE:
                self._on_timeout_prevote(timeout.round)
            case TimeoutKind.PRECOMMIT:
                self._on_timeout_precommit(timeout.round)
            case TimeoutKind.COMMIT:
                if self.decided is not None:
                    self._enter_next_height()

    def _on_timeout_propose(self, round_: Round) -> None:
        """L57-L60: no acceptable proposal in time: prevote nil."""
        if round_ == self.round and self.step_ == Step.PROPOSE:
            self._prevote(NIL)

    def _on_timeout_prevote(self, round_: Round) -> None:
        """L61-L64: no polka for one block in time: precommit nil."""
        if round_ == self.round and self.step_ == Step.PREVOTE:
            self._precommit(NIL)

    def _on_timeout_precommit(self, round_: Round) -> None:
        """L65-L67: no decision in this round: go to the next round."""
        if round_ == self.round and self.decided is None:
            self._start_round(self.round + 1)

    def _on_commit_received(self, block: Block, commit: Commit) -> None:
        """Block sync: a block with a commit certificate for our height decides it directly."""
        if block.height != self.height or self.decided is not None:
            self.counters["commit_stale"] += 1
            return
        try:
            verify_commit(self.chain_id, self.validators, commit, self.height, block.hash)
        except InvalidBlock:
            self.counters["commit_invalid"] += 1
            return
        self.blocks[block.hash] = block
        # A synced block needs no pause to gather late precommits: move on at once, so a
        # node catching up runs at the speed of verification, not of timeout_commit.
        self._decide(block, commit, commit_pause_ms=0)

    def _on_resend(self) -> None:
        """Re-broadcast what we signed at this height, so lost messages are recovered."""
        if (
            self._signed_proposal is not None
            and self._signed_proposal.proposal.height == self.height
        ):
            entry = self.proposals.get(self._signed_proposal.proposal.round)
            if entry is not None and entry[0] == self._signed_proposal:
                self._broadcast(ProposalMessage(proposal=entry[0], block=entry[1]))
        for signed in self._signed_votes:
            if signed.vote.height == self.height:
                self._broadcast(VoteMessage(vote=signed))
        # The polka behind our valid block (L36-L43): peers that lost those prevotes could
        # never accept its re-proposal (L28 needs the polka), so the height could stall.
        polka = self.prevotes.get(self.valid_round)
        if self.valid_block is not None and polka is not None:
            for signed in polka.votes_for(self.valid_block.hash):
                self._broadcast(VoteMessage(vote=signed))
        # Our votes of the previous round: a peer that lost them may wait in that round for
        # a precommit quorum (L47) that needs our precommit, while we wait in this round for
        # it; with three validators (every one needed for a quorum) the height stalls for
        # ever (simulator, an equivocator removed from four). Once we resend them, it times
        # out into our round. Two votes, so the resend stays bounded.
        if self.is_validator and self.round > 0:
            for table in (self.prevotes, self.precommits):
                previous = table.get(self.round - 1)
                if previous is None:
                    continue
                for signed in previous.all_votes():
                    if signed.validator == self._address():
                        self._broadcast(VoteMessage(vote=signed))

    # ------------------------------------------------------------------ the upon rules

    def _process_rules(self) -> None:
        """Fire the paper's `upon` rules until none applies (each changes step or a flag)."""
        rules: tuple[Callable[[], bool], ...] = (
            self._rule_decide,
            self._rule_skip_to_later_round,
            self._rule_prevote_on_proposal,
            self._rule_prevote_on_proposal_with_polka,
            self._rule_schedule_prevote_timeout,
            self._rule_lock_on_polka,
            self._rule_precommit_nil_on_nil_polka,
            self._rule_schedule_precommit_timeout,
        )
        fired = True
        while fired:
            fired = False
            for rule in rules:
                if self.decided is not None and rule is not self._rule_decide:
                    break
                if rule():
                    fired = True
                    break

    def _rule_prevote_on_proposal(self) -> bool:
        """L22-L27: a fresh proposal (pol_round -1): prevote it unless invalid or locked."""
        entry = self.proposals.get(self.round)
        if self.step_ != Step.PROPOSE or entry is None or entry[0].proposal.pol_round != -1:
            return False
        block = entry[1]
        acceptable = self._is_valid(block) and (
            self.locked_round == -1 or self.locked_hash == block.hash
        )
        self._prevote(block.hash if acceptable else NIL)
        return True

    def _rule_prevote_on_proposal_with_polka(self) -> bool:
        """L28-L33: a re-proposal backed by a polka in pol_round: prevote it unless locked later."""
        entry = self.proposals.get(self.round)
        if self.step_ != Step.PROPOSE or entry is None:
            return False
        pol_round, block = entry[0].proposal.pol_round, entry[1]
        if pol_round < 0:
            return False
        polka = self.prevotes.get(pol_round)
        if polka is None or not polka.has_quorum_for(block.hash):
            return False
        acceptable = self._is_valid(block) and (
            self.locked_round <= pol_round or self.locked_hash == block.hash
        )
        self._prevote(block.hash if acceptable else NIL)
        return True

    def _rule_schedule_prevote_timeout(self) -> bool:
        """L34-L35: > 2/3 prevotes for anything: start timeout_prevote (once per round)."""
        prevotes = self.prevotes.get(self.round)
        if self.step_ != Step.PREVOTE or prevotes is None or not prevotes.has_quorum_any():
            return False
        if not self._fire_once("prevote_timeout", self.round):
            return False
        self._schedule(
            TimeoutKind.PREVOTE,
            self.params.timeout_prevote_ms,
            self.params.timeout_prevote_delta_ms,
        )
        return True

    def _rule_lock_on_polka(self) -> bool:
        """L36-L43: a polka for a valid block in this round: lock on it and precommit it."""
        if self.step_ < Step.PREVOTE:
            return False
        prevotes = self.prevotes.get(self.round)
        block_hash = prevotes.quorum_block() if prevotes is not None else None
        if block_hash is None:
            return False
        block = self._proposed_block(self.round, block_hash)
        if block is None or not self._is_valid(block):
            return False
        if not self._fire_once("polka", self.round):
            return False
        # valid is set before the precommit is signed, so the record persisted with that
        # precommit carries the locked block and its polka (see _persist).
        self.valid_round, self.valid_block = self.round, block
        if self.step_ == Step.PREVOTE:
            self.locked_round, self.locked_hash = self.round, block_hash
            self._precommit(block_hash)
        return True

    def _rule_precommit_nil_on_nil_polka(self) -> bool:
        """L44-L46: > 2/3 prevoted nil: precommit nil."""
        prevotes = self.prevotes.get(self.round)
        if self.step_ != Step.PREVOTE or prevotes is None or not prevotes.has_quorum_for(NIL):
            return False
        self._precommit(NIL)
        return True

    def _rule_schedule_precommit_timeout(self) -> bool:
        """L47-L48: > 2/3 precommits for anything: start timeout_precommit (once per round)."""
        precommits = self.precommits.get(self.round)
        if precommits is None or not precommits.has_quorum_any():
            return False
        if not self._fire_once("precommit_timeout", self.round):
            return False
        self._schedule(
            TimeoutKind.PRECOMMIT,
            self.params.timeout_precommit_ms,
            self.params.timeout_precommit_delta_ms,
        )
        return True

    def _rule_decide(self) -> bool:
        """L49-L54: > 2/3 precommits for a block we hold, in any round: decide it."""
        if self.decided is not None:
            return False
        for round_, precommits in sorted(self.precommits.items()):
            block_hash = precommits.quorum_block()
            if block_hash is None:
                continue
            block = self.blocks.get(block_hash)
            if block is None:
                continue
            commit = make_commit(self.validators, precommits.votes_for(block_hash))
            assert commit.round == round_
            self._decide(block, commit)
            return True
        return False

    def _rule_skip_to_later_round(self) -> bool:
        """L55-L56: f+1 power sent messages for a later round: jump to it."""
        later = [
            r
            for r, voters in self._round_voter_power.items()
            if r > self.round and sum(voters.values()) >= self.validators.one_third_power
        ]
        if not later:
            return False
        self._start_round(max(later))
        return True

    # ------------------------------------------------------------------ actions

    def _decide(self, block: Block, commit: Commit, commit_pause_ms: int | None = None) -> None:
        try:
            self.app.verify_block(block, None)
        except InvalidBlock as exc:
            raise StateDivergence(
                f"height {self.height}: block {block.hash.hex()[:16]} has a valid commit "
                f"but fails local validation: {exc}"
            ) from exc
        self.decided, self.decided_commit = block, commit
        self.step_ = Step.COMMIT
        self._effects.append(CommitBlock(block=block, commit=commit))
        self._effects.append(
            ScheduleTimeout(
                TimeoutKind.COMMIT,
                self.height,
                self.round,
                self.params.timeout_commit_ms if commit_pause_ms is None else commit_pause_ms,
            )
        )

    def _prevote(self, block_hash: Hash) -> None:
        self.step_ = Step.PREVOTE
        self._vote(VoteType.PREVOTE, block_hash)

    def _precommit(self, block_hash: Hash) -> None:
        self.step_ = Step.PRECOMMIT
        self._vote(VoteType.PRECOMMIT, block_hash)

    def _vote(self, type_: VoteType, block_hash: Hash) -> None:
        if not self.is_validator:
            return
        vote = Vote(type=type_, height=self.height, round=self.round, block_hash=block_hash)
        signed = self._sign_vote(vote)
        if signed is None:
            return
        self._broadcast(VoteMessage(vote=signed))
        self._add_vote(signed)

    def _sign_vote(self, vote: Vote) -> SignedVote | None:
        """Sign unless that would contradict something signed before (see module docstring)."""
        position = (vote.height, vote.round, _SIGN_STEP_BY_VOTE[vote.type])
        if position <= self._signed_position:
            for signed in self._signed_votes:
                if signed.vote == vote:
                    return signed
            self.counters["sign_refused"] += 1
            return None
        assert self.key is not None
        signed = sign_vote(self.key, self.chain_id, vote)
        if position[:2] != self._signed_position[:2]:
            self._signed_votes = []
        self._signed_position = position
        self._signed_votes.append(signed)
        self._persist()
        return signed

    def _sign_proposal(self, proposal: Proposal) -> SignedProposal | None:
        position = (proposal.height, proposal.round, _PROPOSAL_SIGN_STEP)
        if position <= self._signed_position:
            if self._signed_proposal is not None and self._signed_proposal.proposal == proposal:
                return self._signed_proposal
            self.counters["sign_refused"] += 1
            return None
        assert self.key is not None
        signed = sign_proposal(self.key, self.chain_id, proposal)
        self._signed_position = position
        self._signed_votes = []
        self._signed_proposal = signed
        self._persist()
        return signed

    def _persist(self) -> None:
        """Emit the consensus record; the driver makes it durable before what follows."""
        record = ConsensusRecord(
            height=self.height,
            round=self.round,
            locked_round=self.locked_round,
            locked_hash=self.locked_hash,
            valid_round=self.valid_round,
            valid_block=self.valid_block,
            valid_polka=self._valid_polka(),
            signed_position=self._signed_position,
            signed_votes=list(self._signed_votes),
            signed_proposal=self._signed_proposal,
        )
        self._effects.append(PersistState(record=codec.encode(record)))

    def _restore(self, record: ConsensusRecord) -> None:
        """Resume after a restart: the signing guard always, the round and lock if same height."""
        height, round_, step = record.signed_position
        self._signed_position = (height, round_, step)
        self._signed_votes = list(record.signed_votes)
        self._signed_proposal = record.signed_proposal
        if record.height != self.height:
            return
        self.round = record.round
        self.locked_round, self.locked_hash = record.locked_round, record.locked_hash
        # The lock alone keeps safety; the valid block and its polka keep liveness: without
        # them, validators locked on a block nobody else holds would veto every other block
        # forever (simulator seed 395: two locked validators restarted).
        if record.valid_block is not None:
            self.valid_round, self.valid_block = record.valid_round, record.valid_block
            self.blocks[record.valid_block.hash] = record.valid_block
            for signed in record.valid_polka:
                self._add_vote(signed)
        for signed in self._signed_votes:
            if signed.vote.height == self.height:
                self._add_vote(signed)

    def _valid_polka(self) -> list[SignedVote]:
        if self.valid_block is None:
            return []
        prevotes = self.prevotes.get(self.valid_round)
        assert prevotes is not None and prevotes.has_quorum_for(self.valid_block.hash)
        return prevotes.votes_for(self.valid_block.hash)

    def _broadcast(self, message: ConsensusMessage) -> None:
        self._effects.append(Broadcast(message=message))

    def _schedule(self, kind: TimeoutKind, base_ms: int, delta_ms: int) -> None:
        """Timeouts grow linearly with the round, so a slow network is eventually waited out."""
        duration_ms = base_ms + self.round * delta_ms
        self._effects.append(ScheduleTimeout(kind, self.height, self.round, duration_ms))

    # ------------------------------------------------------------------ helpers

    def _address(self) -> Address:
        assert self.key is not None
        return self.key.address

    def _take_effects(self) -> list[Effect]:
        effects, self._effects = self._effects, []
        return effects

    def _fire_once(self, rule: str, round_: Round) -> bool:
        if (rule, round_) in self._fired:
            return False
        self._fired.add((rule, round_))
        return True

    def _is_current_height(self, height: Height, event: Event) -> bool:
        """True for our height; buffers height + 1 and reports when we have fallen behind."""
        if height == self.height:
            return True
        if height < self.height:
            self.counters["message_stale_height"] += 1
            return False
        if height == self.height + 1 and len(self._future) < limits.votes_per_height_max:
            self._future.append(event)
        else:
            self.counters["message_future_dropped"] += 1
        if self.decided is None:
            self._report_fallen_behind(height)
        return False

    def _report_fallen_behind(self, height: Height) -> None:
        last = self._fallen_behind_reported_ms
        if last is None or self._now_ms - last >= self.params.timeout_propose_ms:
            self._fallen_behind_reported_ms = self._now_ms
            self._effects.append(FallenBehind(height=height))

    def _is_round_in_window(self, round_: Round) -> bool:
        if 0 <= round_ <= self.round + limits.future_rounds_buffered_max:
            return True
        self.counters["message_round_out_of_window"] += 1
        return False

    def _proposed_block(self, round_: Round, block_hash: Hash) -> Block | None:
        entry = self.proposals.get(round_)
        if entry is not None and entry[1].hash == block_hash:
            return entry[1]
        return None

    def _is_valid(self, block: Block) -> bool:
        """The paper's valid(v), cached per block: the ledger executes the block once."""
        key = (block.hash, True)
        cached = self._validity.get(key)
        if cached is None:
            try:
                self.app.verify_block(block, self._now_ms)
                cached = True
            except InvalidBlock:
                self.counters["block_invalid"] += 1
                cached = False
            self._validity[key] = cached
        return cached


__all__ = [
    "ConsensusApp",
    "ConsensusMachine",
    "ConsensusRecord",
    "StateDivergence",
    "Step",
]
