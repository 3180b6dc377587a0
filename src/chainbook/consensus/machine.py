"""The Tendermint consensus algorithm as a sans-IO state machine.

Rules kept (Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus", 2018, Algorithm 1;
line numbers below refer to it):

- Safety: with less than 1/3 of the voting power Byzantine, no two honest nodes decide different
  blocks at one height, whatever the network does. It rests on the lock: a validator that
  precommits block B in round r locks on B (L36-L43) and afterwards prevotes another block only
  if that block has a polka (> 2/3 prevotes) in a round >= its locked round (L28-L33).
- Liveness: after the network stabilises, timeouts that grow with the round (timeout(r) =
  base + r * delta) let every honest node reach the same round with a correct proposer.
- Never double-sign: every vote or proposal this node signs is recorded in the consensus
  record, emitted as SaveConsensusRecord before the Broadcast that sends it. After a restart
  the record restores the lock and the last signed (height, round, step); a request to sign anything
  different at or below that point is refused (and counted), the same message is re-sent instead.
- valid(v) is the ledger's verdict on executing v: it depends only on v and the chain, so
  it is cached per block. Timeliness (the block time against the local clock, as CometBFT's
  proposer-based timestamps judge it) is asked only when prevoting a fresh proposal (pol_round
  -1, L22) and never cached: a re-proposal backed by a polka (L28), a lock (L36) and a decision
  (L49) never depend on our clock, so a block once judged early can still be accepted later,
  and a decided block never halts the node because our clock disagreed.
- Bounded memory: everything a peer can make the machine hold is checked first (checks.py) and
  bounded per signer and in total: proposals per round and their bytes (proposals.py), votes per
  signer and height, messages for the next height (next_height.py); limits.py names each bound.
  Every refusal is counted in `counters` by reason.
- Evidence: a validator's first conflicting vote for a (height, round, type) is reported once.

How it works: `step(event, now_ms)` records the input (a proposal, a vote, a timeout, a synced
commit), then `_process_rules` re-evaluates the paper's `upon` rules until none fires. Each rule
is a small method named after what it does, with the paper's line in its docstring. Effects
accumulate in order and are returned to the driver (effects.py states what the order means).

The ledger (state + mempool) is reached through the `ConsensusLedger` protocol; its methods
are pure and deterministic given the committed chain, so the simulator can run this same code.
This file is longer than most (one idea still: the paper's algorithm, its rules side by side);
the message checks, the bounded stores and the vote tally live in their own modules.
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
    make_commit,
    sign_proposal,
    sign_vote,
    verify_commit,
)
from chainbook.chain.genesis import ConsensusParams
from chainbook.chain.validators import ValidatorSet
from chainbook.consensus.checks import get_proposal_refusal, get_vote_refusal
from chainbook.consensus.effects import (
    Broadcast,
    CommitBlock,
    Effect,
    EvidenceFound,
    FallenBehind,
    SaveConsensusRecord,
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
from chainbook.consensus.next_height import NextHeightMessages
from chainbook.consensus.proposals import AddProposalResult, ProposalStore
from chainbook.consensus.vote_set import AddResult, VoteSet
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.types import Address, Hash, Height, Power, Round, TimeMs


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


class ConsensusLedger(Protocol):
    """What consensus needs from the ledger. Pure and deterministic for a given chain."""

    def get_validators(self, height: Height) -> ValidatorSet:
        """The validator set of `height`; known for the next height too (changes take effect
        at a later height), which lets the machine check next-height messages before keeping
        them."""
        ...

    def build_block(
        self, height: Height, now_ms: TimeMs, proposer: Address, last_commit: Commit | None
    ) -> Block:
        """A new block for `height` on top of the committed chain, transactions from the mempool."""
        ...

    def verify_block(self, block: Block) -> None:
        """Raise InvalidBlock if `block` cannot follow the committed chain (the paper's valid(v)).

        The verdict depends only on the block and the chain, never on a clock: the ledger
        may cache it, and the machine also asks it of a block about to be decided.
        """
        ...

    def verify_block_time(self, block: Block, now_ms: TimeMs) -> None:
        """Raise InvalidBlock if the block time is too far ahead of the local clock `now_ms`.

        Asked only when prevoting a fresh proposal (pol_round -1); the verdict depends on the
        clock, so nobody may cache it.
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
        ledger: ConsensusLedger,
        params: ConsensusParams,
        key: PrivateKey | None,
        height: Height,
        last_commit: Commit | None,
        record: bytes | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.ledger = ledger
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
        self._earlier_round_votes: list[SignedVote] = []
        """The votes signed in the latest earlier round (of the height of the first of them)
        in which we voted: re-sent with the current ones (see _on_resend)."""
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
        self.validators = self.ledger.get_validators(height)
        self.round: Round = 0
        self.step_: Step = Step.PROPOSE
        self.locked_round: Round = -1
        self.locked_hash: Hash = NIL
        self.valid_round: Round = -1
        self.valid_block: Block | None = None
        self.decided: Block | None = None
        self.decided_commit: Commit | None = None
        self.proposals = ProposalStore(height, limits.proposal_bytes_per_height_max)
        self.prevotes: dict[Round, VoteSet] = {}
        self.precommits: dict[Round, VoteSet] = {}
        self._round_sender_power: dict[Round, dict[Address, Power]] = {}
        """Per round, the power of each validator that sent a message for it (L55)."""
        self._votes_by_signer: Counter[Address] = Counter()
        self._votes_counted = 0
        self._fired: set[tuple[str, Round]] = set()
        """Rules that fire "for the first time" per round (L34, L36, L47)."""
        self._validity: dict[Hash, bool] = {}
        self._round_certificate: list[SignedVote] = []
        """Others' votes that justify our being in this round (see _on_resend): the
        precommits of the round we left by timeout, or the later-round votes we skipped on.
        At most two votes per other validator."""
        self._next = NextHeightMessages(height + 1)
        """Checked messages for height + 1, replayed when we get there (bounded)."""
        self._next_validators: ValidatorSet | None = None

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
            block = self.ledger.build_block(
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
        self._hold_proposal(signed, block)

    def _enter_next_height(self) -> None:
        assert self.decided is not None and self.decided_commit is not None
        buffered, commit = self._next, self.decided_commit
        self._enter_height(self.height + 1, commit)
        assert buffered.height == self.height
        self._start_round(0)
        # Checked against this height's validator set when they arrived: hold them directly.
        for held in buffered.proposals.held():
            self._hold_proposal(held.signed, held.block, held.block_bytes)
        for signed in buffered.votes():
            self._count_vote(signed)

    # ------------------------------------------------------------------ inputs

    def _on_proposal(self, signed: SignedProposal, block: Block) -> None:
        height = signed.proposal.height
        if height == self.height:
            self._receive_proposal(signed, block)
        elif height == self.height + 1:
            self._receive_next_height_proposal(signed, block)
        else:
            self._on_other_height(height)

    def _receive_proposal(self, signed: SignedProposal, block: Block) -> None:
        if self.proposals.has(signed):
            self.counters["proposal_duplicate"] += 1
            return
        refusal = get_proposal_refusal(
            self.chain_id, self.validators, self.height, self.round, signed, block
        )
        if refusal is not None:
            self.counters[refusal] += 1
            return
        self._hold_proposal(signed, block)

    def _hold_proposal(
        self, signed: SignedProposal, block: Block, block_bytes: int | None = None
    ) -> None:
        result = self.proposals.add(signed, block, self.round, block_bytes)
        if result is not AddProposalResult.ADDED:
            self.counters[f"proposal_{result.value}"] += 1
            return
        self._count_sender(signed.proposal.round, signed.proposer)

    def _receive_next_height_proposal(self, signed: SignedProposal, block: Block) -> None:
        if self._next.proposals.has(signed):
            self.counters["next_height_proposal_duplicate"] += 1
            self._on_later_height(self._next.height)
            return
        refusal = get_proposal_refusal(
            self.chain_id, self._get_next_validators(), self._next.height, 0, signed, block
        )
        if refusal is not None:
            self.counters[f"next_height_{refusal}"] += 1
            return
        # A checked message of the next height, kept or not: the network is ahead of us.
        self._on_later_height(self._next.height)
        result = self._next.proposals.add(signed, block, 0)
        if result is not AddProposalResult.ADDED:
            self.counters[f"next_height_proposal_{result.value}"] += 1

    def _on_vote(self, signed: SignedVote) -> None:
        height = signed.vote.height
        if height == self.height:
            self._receive_vote(signed)
        elif height == self.height + 1:
            self._receive_next_height_vote(signed)
        else:
            self._on_other_height(height)

    def _receive_vote(self, signed: SignedVote) -> None:
        vote = signed.vote
        vote_set = self._votes_of(vote.type).get(vote.round)
        if vote_set is not None and vote_set.has(signed):
            self.counters["vote_duplicate"] += 1
            return
        refusal = get_vote_refusal(self.chain_id, self.validators, self.height, self.round, signed)
        if refusal is not None:
            self.counters[refusal] += 1
            return
        self._count_vote(signed)

    def _count_vote(self, signed: SignedVote) -> None:
        """Tally a checked vote of this height (bounded per signer), report equivocation once."""
        vote = signed.vote
        if self._votes_by_signer[signed.validator] >= limits.votes_per_signer_per_height_max:
            self.counters["vote_over_signer_limit"] += 1
            return
        table = self._votes_of(vote.type)
        vote_set = table.get(vote.round)
        if vote_set is None:
            vote_set = VoteSet(self.validators, vote.type, self.height, vote.round)
            table[vote.round] = vote_set
        result, existing = vote_set.add(signed)
        if result is AddResult.DUPLICATE:
            self.counters["vote_duplicate"] += 1
            return
        if result is AddResult.CONFLICT_AGAIN:
            self.counters["vote_equivocation_again"] += 1
            return
        if result is AddResult.CONFLICT:
            assert existing is not None
            self.counters["vote_equivocation"] += 1
            self._effects.append(EvidenceFound(first=existing, second=signed))
        self._votes_by_signer[signed.validator] += 1
        self._votes_counted += 1
        assert self._votes_counted <= limits.votes_per_height_max
        self._count_sender(vote.round, signed.validator)

    def _receive_next_height_vote(self, signed: SignedVote) -> None:
        if self._next.has_vote(signed):
            self.counters["next_height_vote_duplicate"] += 1
            self._on_later_height(self._next.height)
            return
        refusal = get_vote_refusal(
            self.chain_id, self._get_next_validators(), self._next.height, 0, signed
        )
        if refusal is not None:
            self.counters[f"next_height_{refusal}"] += 1
            return
        self._on_later_height(self._next.height)
        if self._next.is_signer_full(signed.validator):
            self.counters["next_height_vote_over_signer_limit"] += 1
            return
        self._next.add_vote(signed)

    def _on_other_height(self, height: Height) -> None:
        """Neither this height nor the next: stale, or a sign that we have fallen behind."""
        if height < self.height:
            self.counters["message_stale_height"] += 1
            return
        self.counters["message_future_dropped"] += 1
        self._on_later_height(height)

    def _on_later_height(self, height: Height) -> None:
        if self.decided is None:
            self._report_fallen_behind(height)

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
                if self.decided is None:
                    self.counters["timeout_stale"] += 1
                    return
                self._enter_next_height()

    def _on_timeout_propose(self, round_: Round) -> None:
        """L57-L60: no acceptable proposal in time: prevote nil."""
        if round_ != self.round or self.step_ != Step.PROPOSE:
            self.counters["timeout_stale"] += 1
            return
        self._prevote(NIL)

    def _on_timeout_prevote(self, round_: Round) -> None:
        """L61-L64: no polka for one block in time: precommit nil."""
        if round_ != self.round or self.step_ != Step.PREVOTE:
            self.counters["timeout_stale"] += 1
            return
        self._precommit(NIL)

    def _on_timeout_precommit(self, round_: Round) -> None:
        """L65-L67: no decision in this round: go to the next round."""
        if round_ != self.round or self.decided is not None:
            self.counters["timeout_stale"] += 1
            return
        left = self.round
        self._start_round(left + 1)
        self._round_certificate = self._votes_of_round(left, (VoteType.PRECOMMIT,))

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
        # A synced block needs no pause to gather late precommits: move on at once, so a
        # node catching up runs at the speed of verification, not of timeout_commit.
        self._decide(block, commit, commit_pause_ms=0)
        self.counters["decided_from_sync"] += 1

    def _on_resend(self) -> None:
        """Re-broadcast what we signed at this height, so lost messages are recovered, and
        the others' votes that brought us into this round.

        The votes of the latest earlier round we voted in go too. A node still in that round
        needs them to leave it (2f+1 of its precommits start timeout_precommit, L47; our
        votes there make us one of the f+1 senders of a later round, L55), and the nodes a
        round ahead cannot progress without it: without them, one lost precommit stalls the
        height for good (simulator, a silent validator and loss: two nodes waited in round
        1 for the lost round-1 precommit of the third, which was in round 2). The first
        honest node to enter a round r did so on 2f+1 precommits of r - 1, so at least f+1
        honest nodes that voted in r - 1 re-send those votes while the others catch up.
        """
        own = self._signed_proposal
        if own is not None and own.proposal.height == self.height:
            for held in self.proposals.of_round(own.proposal.round):
                if held.signed == own:
                    self._broadcast(ProposalMessage(proposal=held.signed, block=held.block))
        for signed in self._earlier_round_votes + self._signed_votes:
            if signed.vote.height == self.height:
                self._broadcast(VoteMessage(vote=signed))
        # Why we are in this round: a node still in an earlier one may lack a vote we got
        # (one a Byzantine validator sent to us alone) and wait forever for 2f+1 precommits
        # or f+1 senders of a later round; the paper's liveness assumes a message one correct
        # node received reaches all (simulator: a silent validator's one precommit, sent to
        # one node, took it into round 1 while the two others stayed in round 0).
        for signed in self._round_certificate:
            self._broadcast(VoteMessage(vote=signed))
        # The polka behind our valid block (L36-L43): peers that lost those prevotes could
        # never accept its re-proposal (L28 needs the polka), so the height could stall.
        if self.valid_block is not None:
            for signed in self._valid_polka():
                self._broadcast(VoteMessage(vote=signed))
        self._resend_previous_round_votes()

    def _resend_previous_round_votes(self) -> None:
        """Our votes of the previous round: a peer that lost them may wait in that round for
        a precommit quorum (L47) that needs our precommit, while we wait in this round for
        it; with three validators (every one needed for a quorum) the height stalls for
        ever (simulator, an equivocator removed from four). Once we resend them, it times
        out into our round, or decides there (L49). Two votes, so the resend stays bounded."""
        if not (self.is_validator and self.round > 0):
            return
        for table in (self.prevotes, self.precommits):
            previous = table.get(self.round - 1)
            if previous is None:
                continue
            for block_hash in previous.block_hashes():
                for signed in previous.votes_for(block_hash):
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
        """L22-L27: upon PROPOSAL(h, r, v, -1) while step = propose: prevote id(v) if valid(v)
        and (lockedRound = -1 or lockedValue = v), else nil. Also nil if v's time is too far
        ahead of our clock now (the only place the clock is consulted)."""
        if self.step_ != Step.PROPOSE:
            return False
        for held in self.proposals.of_round(self.round):
            if held.signed.proposal.pol_round != -1:
                continue
            block = held.block
            # The lock first: it costs nothing, while valid(v) executes the block.
            acceptable = (
                (self.locked_round == -1 or self.locked_hash == block.hash)
                and self._is_valid(block)
                and self._is_timely(block)
            )
            self._prevote(block.hash if acceptable else NIL)
            return True
        return False

    def _rule_prevote_on_proposal_with_polka(self) -> bool:
        """L28-L33: upon PROPOSAL(h, r, v, vr) AND 2f+1 PREVOTE(h, vr, id(v)) while
        step = propose and 0 <= vr < r: prevote id(v) if valid(v) and (lockedRound <= vr or
        lockedValue = v), else nil. Either may arrive last: the rule is evaluated after each
        input. No clock check: the polka shows > 2/3 found v acceptable in round vr."""
        if self.step_ != Step.PROPOSE:
            return False
        for held in self.proposals.of_round(self.round):
            pol_round, block = held.signed.proposal.pol_round, held.block
            if pol_round < 0:
                continue
            if self._prevote_power(pol_round, block.hash) < self.validators.quorum_power:
                continue
            acceptable = (
                self.locked_round <= pol_round or self.locked_hash == block.hash
            ) and self._is_valid(block)
            self._prevote(block.hash if acceptable else NIL)
            return True
        return False

    def _rule_schedule_prevote_timeout(self) -> bool:
        """L34-L35: 2f+1 PREVOTE(h, r, *) while step = prevote, for the first time: schedule
        timeout_prevote."""
        if self.step_ != Step.PREVOTE:
            return False
        prevotes = self.prevotes.get(self.round)
        if prevotes is None or prevotes.power_any < self.validators.quorum_power:
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
        """L36-L43: upon PROPOSAL(h, r, v, *) AND 2f+1 PREVOTE(h, r, id(v)) while valid(v) and
        step >= prevote, for the first time: if step = prevote, lock on v and precommit id(v);
        in any case validValue = v, validRound = r (also after a nil precommit)."""
        if self.step_ < Step.PREVOTE or ("polka", self.round) in self._fired:
            return False
        for held in self.proposals.of_round(self.round):
            block = held.block
            if self._prevote_power(self.round, block.hash) < self.validators.quorum_power:
                continue
            if not self._is_valid(block):
                continue
            self._fired.add(("polka", self.round))
            # valid is set before the precommit is signed, so the record persisted with that
            # precommit carries the locked block and its polka (see _persist).
            self.valid_round, self.valid_block = self.round, block
            if self.step_ == Step.PREVOTE:
                self.locked_round, self.locked_hash = self.round, block.hash
                self._precommit(block.hash)
            return True
        return False

    def _rule_precommit_nil_on_nil_polka(self) -> bool:
        """L44-L46: 2f+1 PREVOTE(h, r, nil) while step = prevote: precommit nil."""
        if self.step_ != Step.PREVOTE:
            return False
        if self._prevote_power(self.round, NIL) < self.validators.quorum_power:
            return False
        self._precommit(NIL)
        return True

    def _rule_schedule_precommit_timeout(self) -> bool:
        """L47-L48: 2f+1 PRECOMMIT(h, r, *) for the first time: schedule timeout_precommit."""
        precommits = self.precommits.get(self.round)
        if precommits is None or precommits.power_any < self.validators.quorum_power:
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
        """L49-L54: upon PROPOSAL(h, r, v, *) AND 2f+1 PRECOMMIT(h, r, id(v)), in any round r
        (earlier or later than ours), while undecided: decide v. The paper needs v's proposal
        of round r; any held proposal of v will do, since id(v) names the block."""
        if self.decided is not None:
            return False
        for round_ in sorted(self.precommits):
            precommits = self.precommits[round_]
            for block_hash in precommits.block_hashes():
                if block_hash == NIL:
                    continue
                if precommits.power_for(block_hash) < self.validators.quorum_power:
                    continue
                block = self._get_block(block_hash)
                if block is None:
                    continue
                commit = make_commit(self.validators, precommits.votes_for(block_hash))
                assert commit.round == round_
                self._decide(block, commit)
                return True
        return False

    def _rule_skip_to_later_round(self) -> bool:
        """L55-L56: f+1 <*, h, round, *, *> with round > round_p: StartRound(round). Counted
        by power, each sender once per round, whatever it sent (proposal or votes)."""
        later = [
            r
            for r, senders in self._round_sender_power.items()
            if r > self.round and sum(senders.values()) >= self.validators.one_third_power
        ]
        if not later:
            return False
        self._start_round(max(later))
        self._round_certificate = self._votes_of_round(
            self.round, (VoteType.PREVOTE, VoteType.PRECOMMIT)
        )
        return True

    # ------------------------------------------------------------------ actions

    def _decide(self, block: Block, commit: Commit, commit_pause_ms: int | None = None) -> None:
        try:
            self.ledger.verify_block(block)
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
        self._count_unbacked_reproposals(block_hash)
        self.step_ = Step.PREVOTE
        self._vote(VoteType.PREVOTE, block_hash)

    def _count_unbacked_reproposals(self, prevoted: Hash) -> None:
        """Re-proposals (v, vr) of this round left unprevoted because their polka in vr never
        came (L28 needs it) are counted, as every refusal is: a proposer lying about vr shows
        here."""
        for held in self.proposals.of_round(self.round):
            pol_round, block_hash = held.signed.proposal.pol_round, held.block.hash
            if pol_round < 0 or block_hash == prevoted:
                continue
            if self._prevote_power(pol_round, block_hash) < self.validators.quorum_power:
                self.counters["proposal_polka_missing"] += 1

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
        self._count_vote(signed)

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
            self._start_signing_round()
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
        self._start_signing_round()
        self._signed_proposal = signed
        self._persist()
        return signed

    def _start_signing_round(self) -> None:
        """A new (height, round) to sign in: the votes of the last one become the earlier
        round's (kept for re-sending; a round in which we only proposed keeps the older)."""
        if self._signed_votes:
            self._earlier_round_votes = self._signed_votes
        self._signed_votes = []

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
        self._effects.append(SaveConsensusRecord(record=codec.encode(record)))

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
            for signed in record.valid_polka:
                self._count_vote(signed)
        for signed in self._signed_votes:
            vote_set = self._votes_of(signed.vote.type).get(signed.vote.round)
            own_in_polka = vote_set is not None and vote_set.has(signed)
            if signed.vote.height == self.height and not own_in_polka:
                self._count_vote(signed)

    def _votes_of_round(self, round_: Round, types: tuple[VoteType, ...]) -> list[SignedVote]:
        """The others' votes of `round_` we counted, of these types (ours are re-sent anyway)."""
        own = self.key.address if self.key is not None else None
        votes = []
        for type_ in types:
            vote_set = self._votes_of(type_).get(round_)
            if vote_set is not None:
                votes += [
                    v
                    for h in vote_set.block_hashes()
                    for v in vote_set.votes_for(h)
                    if v.validator != own
                ]
        return votes

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

    def _votes_of(self, type_: VoteType) -> dict[Round, VoteSet]:
        return self.prevotes if type_ == VoteType.PREVOTE else self.precommits

    def _prevote_power(self, round_: Round, block_hash: Hash) -> Power:
        prevotes = self.prevotes.get(round_)
        return prevotes.power_for(block_hash) if prevotes is not None else 0

    def _count_sender(self, round_: Round, validator: Address) -> None:
        index = self.validators.index_of(validator)
        assert index is not None, "only validators' messages are counted"
        senders = self._round_sender_power.setdefault(round_, {})
        senders[validator] = self.validators.validators[index].power

    def _get_next_validators(self) -> ValidatorSet:
        if self._next_validators is None:
            self._next_validators = self.ledger.get_validators(self.height + 1)
        return self._next_validators

    def _report_fallen_behind(self, height: Height) -> None:
        last = self._fallen_behind_reported_ms
        if last is None or self._now_ms - last >= self.params.timeout_propose_ms:
            self._fallen_behind_reported_ms = self._now_ms
            self._effects.append(FallenBehind(height=height))

    def _get_block(self, block_hash: Hash) -> Block | None:
        """A block we hold with this hash: from a proposal of this height, or the valid block."""
        if self.valid_block is not None and self.valid_block.hash == block_hash:
            return self.valid_block
        return self.proposals.get_block(block_hash)

    def _is_valid(self, block: Block) -> bool:
        """The paper's valid(v), cached per block: the ledger executes the block once."""
        cached = self._validity.get(block.hash)
        if cached is None:
            try:
                self.ledger.verify_block(block)
                cached = True
            except InvalidBlock:
                self.counters["block_invalid"] += 1
                cached = False
            self._validity[block.hash] = cached
        return cached

    def _is_timely(self, block: Block) -> bool:
        """The block time against our clock at this step; asked afresh every time."""
        try:
            self.ledger.verify_block_time(block, self._now_ms)
        except InvalidBlock:
            self.counters["block_untimely"] += 1
            return False
        return True


__all__ = [
    "ConsensusLedger",
    "ConsensusMachine",
    "ConsensusRecord",
    "StateDivergence",
    "Step",
]
