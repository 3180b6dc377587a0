"""A Byzantine validator: the real node, with what it sends rewritten by named strategies.

The node runs the real core and machine (it keeps its own chain and votes by its own view);
every frame it broadcasts passes through `Adversary.route`, which decides what each peer
gets. Its strategies (config.Strategy, drawn per seed) and what catches each:

    equivocate             a conflicting twin of every vote and proposal, original and twin to
                           different halves, both to one witness per height (sim/byzantine.py).
                           Caught: honest nodes report the evidence (vote_equivocation), it is
                           committed and the policy takes its power (the simulator waits for
                           it).
    conflicting_proposals  a different block to every peer in each of its proposals. Observed:
                           honest nodes prevote different blocks in one round (never without
                           it), none of them decided twice (agreement).
    bad_pol_round          a proposal claiming a pol_round it has no polka for (its own block,
                           or another block it then votes for), or an impossible one (>= its
                           round, < -1). Refused: proposal_bad_pol_round; an unbacked one is
                           never prevoted (L28 needs the polka): a machine that skips that
                           check forks (tests/sim/unsafe.py QuietPolkaIgnoringMachine).
    withhold_all           none of its votes and proposals leave (it still announces its height
                           and serves sync). Honest nodes decide without it: no honest commit
                           certificate holds its signature, and a machine that needs every
                           validator's precommit never decides (UnanimousMachine).
    withhold_some          each vote and proposal to a drawn subset of peers only (the same
                           subset for its re-sends). Caught as withhold_all is.
    future_junk            junk with every status it announces (sim/junk.py: far-future and
                           next-height messages, validly signed and forged, out-of-window,
                           stale, status lies, malformed frames). Refused by the named
                           counters of consensus/checks.py and next_height.py; a machine that
                           keeps next-height messages unchecked reports evidence against
                           honest validators (checkers: no_false_evidence).
    clock_edge             its fresh proposals re-timed: at the time_drift_ms_max bound of the
                           slowest or of the fastest honest clock, just past the bound of every
                           honest clock on arrival, or far past it; it then votes for the
                           re-timed block. Refused: block_untimely; a machine that does not
                           judge block times commits a block past the bound (checkers:
                           timeliness).

Rules kept:
- Only what its own key signed is rewritten; everything else it sends (status, gossip,
  sync, the polka votes it re-sends) goes out as is, to every peer.
- A rewrite is drawn once per message and cached by the original signature, so its re-sends
  carry the same lie; caches are forgotten two heights back (bounded memory).
- A proposal is rewritten with probability 1 - honest_proposal_chance, by one of its
  proposal strategies drawn per proposal; votes follow the block it actually proposed.
- Its messages are never checked by the honest-node checkers; its commits are (a valid
  certificate it commits for another block is a fork all the same).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from chainbook.chain.block import Block
from chainbook.chain.commit import Proposal, SignedVote, Vote, sign_proposal, sign_vote
from chainbook.chain.genesis import ConsensusParams
from chainbook.consensus.messages import ConsensusMessage, ProposalMessage, VoteMessage
from chainbook.core.node import NodeCore
from chainbook.core.wire import StatusMessage, decode_message, encode_message
from chainbook.crypto import PrivateKey
from chainbook.sim.byzantine import Equivocator
from chainbook.sim.config import AdversaryPlan, Strategy
from chainbook.sim.junk import JunkMaker
from chainbook.types import Hash, Height, Round, TimeMs

PROPOSAL_STRATEGIES = (
    Strategy.EQUIVOCATE,
    Strategy.CONFLICTING_PROPOSALS,
    Strategy.BAD_POL_ROUND,
    Strategy.CLOCK_EDGE,
)
HONEST_PROPOSAL_CHANCE = 0.2
"""How often a proposal goes out as its machine made it (so some heights still commit)."""
CLOCK_EDGE_VARIANTS = ("at_bound_slowest", "at_bound_fastest", "just_past", "far_past")
UNBACKED_AHEAD_ROUNDS_MAX = 8
"""How far ahead of its round it looks for a round it leads, to propose there in advance."""

Routed = list[tuple[int, bytes]]
"""(peer index, frame) pairs to send."""


@dataclass(frozen=True, slots=True)
class HonestClocks:
    """The clocks (ms) of the honest nodes whose skew is within the bound, right now: the
    adversary is omniscient, as the worst case is."""

    slowest_ms: TimeMs
    fastest_ms: TimeMs


class Adversary:
    """One Byzantine validator's strategies."""

    def __init__(
        self,
        plan: AdversaryPlan,
        key: PrivateKey,
        chain_id: str,
        params: ConsensusParams,
        delay_ms_max: int,
        rng: random.Random,
    ) -> None:
        self.plan = plan
        self.strategies = plan.strategies
        self.key = key
        self.chain_id = chain_id
        self.drift_ms_max = params.time_drift_ms_max
        self.delay_ms_max = delay_ms_max
        self.rng = rng
        self.equivocator = Equivocator(key, chain_id, rng)
        self.junk = JunkMaker(key, chain_id, rng)
        self.counters: Counter[str] = Counter()
        """What it did, by name (lies told, frames withheld, junk sent: see `all_counters`)."""
        self._rewrites: dict[bytes, tuple[Height, dict[int, list[ConsensusMessage]]]] = {}
        """Original signature -> (height, what each peer gets), so re-sends tell the same lie."""
        self._substitutes: dict[tuple[Height, Hash], Hash] = {}
        """(height, block its machine proposed) -> the block it sent instead (its votes follow)."""
        self._ahead: dict[tuple[Height, Round], ProposalMessage] = {}
        """(height, round it leads) -> the unbacked proposal it sent ahead for that round; its
        votes of that round are for that block."""
        self._forgotten_below: Height = 0
        self._now_ms: TimeMs = 0
        """Its own clock at the frame being routed."""

    # ------------------------------------------------------------------ the one entry

    def route(
        self,
        payload: bytes,
        peers: list[int],
        core: NodeCore,
        now_ms: TimeMs,
        clocks: HonestClocks,
    ) -> Routed:
        """What each peer gets of a frame the node broadcasts at its local time `now_ms`."""
        self._now_ms = now_ms
        self._forget_below(core.machine.height - 1)
        message = decode_message(payload)
        everyone = [(peer, payload) for peer in peers]
        match message:
            case StatusMessage():
                if Strategy.FUTURE_JUNK in self.strategies:
                    everyone += self.junk.burst(peers, core)
                if Strategy.BAD_POL_ROUND in self.strategies:
                    everyone += self._unbacked_ahead(peers, core)
                return everyone
            case VoteMessage(vote=signed) if signed.validator == self.key.address:
                return self._route_own(message, signed.signature, peers, core, clocks)
            case ProposalMessage(proposal=signed) if signed.proposer == self.key.address:
                return self._route_own(message, signed.signature, peers, core, clocks)
        return everyone

    def all_counters(self) -> Counter[str]:
        counters = Counter(self.counters)
        counters.update(self.junk.counters)
        counters["equivocated"] += (
            self.equivocator.votes_equivocated + self.equivocator.proposals_equivocated
        )
        return +counters

    # ------------------------------------------------------------------ its own messages

    def _route_own(
        self,
        message: ConsensusMessage,
        signature: bytes,
        peers: list[int],
        core: NodeCore,
        clocks: HonestClocks,
    ) -> Routed:
        if Strategy.WITHHOLD_ALL in self.strategies:
            self.counters["withheld"] += len(peers)
            return []
        cached = self._rewrites.get(signature)
        if cached is None:
            per_peer = self._rewrite(message, peers, core, clocks)
            if Strategy.WITHHOLD_SOME in self.strategies and len(peers) > 1:
                per_peer = self._withhold_some(per_peer, peers)
            cached = (_height_of(message), per_peer)
            self._rewrites[signature] = cached
        _, per_peer = cached
        return [
            (peer, encode_message(sent)) for peer in peers for sent in per_peer.get(peer, [])
        ]

    def _rewrite(
        self, message: ConsensusMessage, peers: list[int], core: NodeCore, clocks: HonestClocks
    ) -> dict[int, list[ConsensusMessage]]:
        match message:
            case VoteMessage(vote=signed):
                return self._rewrite_vote(self._substituted(signed), peers, core)
            case ProposalMessage():
                return self._rewrite_proposal(message, peers, core, clocks)
        raise AssertionError(f"unknown consensus message {type(message).__name__}")

    def _withhold_some(
        self, per_peer: dict[int, list[ConsensusMessage]], peers: list[int]
    ) -> dict[int, list[ConsensusMessage]]:
        kept = set(self.rng.sample(peers, self.rng.randint(1, len(peers) - 1)))
        self.counters["withheld"] += len(peers) - len(kept)
        return {peer: sent for peer, sent in per_peer.items() if peer in kept}

    # ------------------------------------------------------------------ votes

    def _substituted(self, signed: SignedVote) -> VoteMessage:
        """Its vote, for the block it sent in place of the one its machine proposed (or that
        it proposed ahead for the vote's round)."""
        vote = signed.vote
        ahead = self._ahead.get((vote.height, vote.round))
        other = (
            ahead.block.hash
            if ahead is not None
            else self._substitutes.get((vote.height, vote.block_hash))
        )
        if other is None:
            return VoteMessage(vote=signed)
        self.counters["vote_for_substitute"] += 1
        twin = Vote(type=vote.type, height=vote.height, round=vote.round, block_hash=other)
        return VoteMessage(vote=sign_vote(self.key, self.chain_id, twin))

    def _rewrite_vote(
        self, message: VoteMessage, peers: list[int], core: NodeCore
    ) -> dict[int, list[ConsensusMessage]]:
        if Strategy.EQUIVOCATE in self.strategies:
            twin = self.equivocator.conflict(message, core.ledger, self._now_ms)
            if twin is not None:
                return self._halves(message, twin, message.vote.vote.height, peers)
        return {peer: [message] for peer in peers}

    def _halves(
        self,
        original: ConsensusMessage,
        twin: ConsensusMessage,
        height: Height,
        peers: list[int],
    ) -> dict[int, list[ConsensusMessage]]:
        """The original to one half of the peers, the twin to the other, both to the height's
        witness (sim/byzantine.py: an honest node is sure to catch it, in time)."""
        half_a = self.equivocator.half_a(height, peers)
        witness = self.equivocator.witness(height, peers)
        sent: dict[int, list[ConsensusMessage]] = {
            peer: [original if peer in half_a else twin] for peer in peers
        }
        if witness is not None:
            sent[witness] = [original, twin] if witness in half_a else [twin, original]
        return sent

    # ------------------------------------------------------------------ proposals

    def _rewrite_proposal(
        self, message: ProposalMessage, peers: list[int], core: NodeCore, clocks: HonestClocks
    ) -> dict[int, list[ConsensusMessage]]:
        as_is: dict[int, list[ConsensusMessage]] = {peer: [message] for peer in peers}
        proposal = message.proposal.proposal
        if core.ledger.state.height + 1 != proposal.height:
            return as_is  # its ledger moved on: no new block can be built for that height
        fresh = proposal.pol_round == -1
        choices = [
            s
            for s in PROPOSAL_STRATEGIES
            if s in self.strategies and (s is not Strategy.CLOCK_EDGE or fresh)
        ]
        if not choices or self.rng.random() < HONEST_PROPOSAL_CHANCE:
            return as_is
        strategy = self.rng.choice(choices)
        self.counters[f"proposal_{strategy.value}"] += 1
        match strategy:
            case Strategy.EQUIVOCATE:
                twin = self.equivocator.conflict(message, core.ledger, self._now_ms)
                if twin is None:
                    return as_is
                return self._halves(message, twin, proposal.height, peers)
            case Strategy.CONFLICTING_PROPOSALS:
                return self._conflicting_proposals(message, peers, core)
            case Strategy.BAD_POL_ROUND:
                lie = self._bad_pol_round(message, core)
                return {peer: [lie] for peer in peers}
            case Strategy.CLOCK_EDGE:
                retimed = self._clock_edge(message, core, clocks)
                return {peer: [retimed] for peer in peers}
        return as_is

    def _conflicting_proposals(
        self, message: ProposalMessage, peers: list[int], core: NodeCore
    ) -> dict[int, list[ConsensusMessage]]:
        """A block of its own to every peer (different block times), all pol_round -1."""
        original = message.block
        sent: dict[int, list[ConsensusMessage]] = {}
        base_ms = max(self._now_ms, original.header.time_ms)
        for offset, peer in enumerate(peers, start=1):
            block = self._build(core, original, base_ms + offset)
            sent[peer] = [self._signed_proposal(message, block, pol_round=-1)]
        return sent

    def _bad_pol_round(self, message: ProposalMessage, core: NodeCore) -> ProposalMessage:
        proposal = message.proposal.proposal
        round_ = proposal.round
        variants = ["impossible"] + (["unbacked", "unbacked_other_block"] if round_ >= 1 else [])
        variant = self.rng.choice(variants)
        self.counters[f"bad_pol_round_{variant}"] += 1
        block = message.block
        if variant == "impossible":
            pol_round = self.rng.choice([round_, round_ + 1 + self.rng.randrange(5), -2])
        elif variant == "unbacked":
            wrong = [r for r in range(round_) if r != proposal.pol_round]
            pol_round = self.rng.choice(wrong) if wrong else round_
        else:
            block = self._build(core, block, max(self._now_ms, block.header.time_ms) + 1)
            self._substitutes[(proposal.height, message.block.hash)] = block.hash
            pol_round = round_ - 1
        return self._signed_proposal(message, block, pol_round)

    def _unbacked_ahead(self, peers: list[int], core: NodeCore) -> Routed:
        """The unbacked proposal for the next round it leads at this height (made once)."""
        machine = core.machine
        height = machine.height
        if core.ledger.state.height + 1 != height or machine.decided is not None:
            return []
        validators = machine.validators
        for round_ in range(machine.round + 1, machine.round + UNBACKED_AHEAD_ROUNDS_MAX + 1):
            if validators.get_proposer(height, round_).address == self.key.address:
                break
        else:
            return []
        message = self._ahead.get((height, round_))
        if message is None:
            block = core.ledger.build_block(
                height, self._now_ms + 1, self.key.address, machine.last_commit
            )
            lie = Proposal(height=height, round=round_, pol_round=round_ - 1, block_hash=block.hash)
            message = ProposalMessage(
                proposal=sign_proposal(self.key, self.chain_id, lie), block=block
            )
            self._ahead[(height, round_)] = message
            self.counters["bad_pol_round_unbacked_ahead"] += 1
        frame = encode_message(message)
        return [(peer, frame) for peer in peers]

    def _clock_edge(
        self, message: ProposalMessage, core: NodeCore, clocks: HonestClocks
    ) -> ProposalMessage:
        variant = self.rng.choice(CLOCK_EDGE_VARIANTS)
        self.counters[f"clock_edge_{variant}"] += 1
        drift = self.drift_ms_max
        time_ms = {
            "at_bound_slowest": clocks.slowest_ms + drift,
            "at_bound_fastest": clocks.fastest_ms + drift,
            "just_past": clocks.fastest_ms + drift + self.delay_ms_max + 1,
            "far_past": clocks.fastest_ms + 3 * drift,
        }[variant]
        block = self._build(core, message.block, time_ms)
        self._substitutes[(message.block.height, message.block.hash)] = block.hash
        return self._signed_proposal(message, block, pol_round=-1)

    def _build(self, core: NodeCore, original: Block, time_ms: TimeMs) -> Block:
        """Another block for the original's height, with this block time (at least the
        parent's + 1), on its own ledger."""
        return core.ledger.build_block(
            original.height, time_ms, self.key.address, original.last_commit
        )

    def _signed_proposal(
        self, message: ProposalMessage, block: Block, pol_round: int
    ) -> ProposalMessage:
        proposal = message.proposal.proposal
        lie = Proposal(
            height=proposal.height, round=proposal.round, pol_round=pol_round, block_hash=block.hash
        )
        return ProposalMessage(proposal=sign_proposal(self.key, self.chain_id, lie), block=block)

    # ------------------------------------------------------------------ memory

    def _forget_below(self, height: Height) -> None:
        """Drop what was rewritten for heights below `height` (nothing re-sends those)."""
        if height <= self._forgotten_below:
            return
        self._forgotten_below = height
        self._rewrites = {s: v for s, v in self._rewrites.items() if v[0] >= height}
        self._substitutes = {k: v for k, v in self._substitutes.items() if k[0] >= height}
        self._ahead = {k: v for k, v in self._ahead.items() if k[0] >= height}
        self.equivocator.forget_below(height)

    @property
    def cached_messages(self) -> int:
        """Rewrites held now (tests check it stays bounded under a long run)."""
        return (
            len(self._rewrites)
            + len(self._substitutes)
            + len(self._ahead)
            + self.equivocator.cached_messages
        )


def _height_of(message: ConsensusMessage) -> Height:
    match message:
        case VoteMessage(vote=signed):
            return signed.vote.height
        case ProposalMessage(proposal=signed):
            return signed.proposal.height
    raise AssertionError(f"unknown consensus message {type(message).__name__}")


__all__ = ["Adversary", "HonestClocks", "Routed"]
