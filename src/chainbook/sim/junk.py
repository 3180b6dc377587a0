"""Junk a Byzantine validator sends (Strategy.FUTURE_JUNK): each kind aims at one refusal.

Rules kept:
- Every kind is named, and the name says which check of an honest node must refuse or bound
  it (consensus/checks.py, consensus/next_height.py, core/wire.py, core/sync.py):
      far_future_vote, far_future_proposal   h + 2 or later, validly signed: dropped unchecked
                                     (message_future_dropped); they make the node suspect it
                                     fell behind (FallenBehind: at most one sync request per
                                     timeout_propose)
      next_height_votes              h + 1, validly signed, one vote for each of rounds 0..15
                                     at once: at most next_height_votes_per_signer_max kept,
                                     the rest refused
                                     (next_height_vote_over_signer_limit); the kept ones are
                                     replayed at h + 1, where they conflict with its real votes
                                     (equivocation evidence against it, and only it)
      next_height_proposal_wrong_proposer    h + 1, a round it does not propose
      next_height_proposal_junk_block        h + 1, a round it proposes, a block that cannot
                                     follow the chain: held (bounded in bytes), invalid at h + 1
      forged_vote, forged_vote_next_height   another validator's name, a bad signature
      forged_proposal_next_height    the real proposer's name, a bad signature
      round_out_of_window            this height, a round past future_rounds_buffered_max
      stale_vote                     the previous height
      status_lie                     a height 1,000 above its own: the node asks it for blocks
                                     (one request outstanding, core/sync.py)
      malformed                      bytes that are no wire message: the node disconnects it
- A burst is junk_frames_per_peer frames to every peer, drawn from the seeded rng; the
  adversary sends one with every status it announces, so junk is bounded by the status rate.
"""

from __future__ import annotations

import random
from collections import Counter

from chainbook import limits
from chainbook.chain.block import Block, Header, compute_txs_root
from chainbook.chain.commit import (
    NIL,
    Proposal,
    SignedProposal,
    SignedVote,
    Vote,
    VoteType,
    sign_proposal,
    sign_vote,
)
from chainbook.chain.evidence import compute_evidence_hash
from chainbook.chain.validators import ValidatorSet
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.node import NodeCore
from chainbook.core.wire import StatusMessage, WireMessage, encode_message
from chainbook.crypto import PrivateKey
from chainbook.types import Address, Hash, Height, Round

JUNK_KINDS = (
    "far_future_vote",
    "far_future_proposal",
    "next_height_votes",
    "next_height_proposal_wrong_proposer",
    "next_height_proposal_junk_block",
    "forged_vote",
    "forged_vote_next_height",
    "forged_proposal_next_height",
    "round_out_of_window",
    "stale_vote",
    "status_lie",
    "malformed",
)

JUNK_FRAMES_PER_PEER = 3
"""Junk frames per peer with each status the adversary announces (every 200-500 ms)."""

FAR_FUTURE_HEIGHTS_MAX = 1_000
NEXT_HEIGHT_JUNK_ROUNDS = 16
"""Rounds of h + 1 its next-height votes spread over: twice the per-signer bound."""
SIGNATURE_BYTES = 64


class JunkMaker:
    """Builds junk frames for one Byzantine validator (its key signs the 'validly signed' ones)."""

    def __init__(self, key: PrivateKey, chain_id: str, rng: random.Random) -> None:
        self.key = key
        self.chain_id = chain_id
        self.rng = rng
        self.counters: Counter[str] = Counter()
        """Junk frames sent, by kind ("junk_<kind>")."""

    def burst(self, peers: list[int], core: NodeCore) -> list[tuple[int, bytes]]:
        frames = []
        for peer in peers:
            for _ in range(JUNK_FRAMES_PER_PEER):
                kind = self.rng.choice(JUNK_KINDS)
                made = self.make(kind, core)
                self.counters[f"junk_{kind}"] += len(made)
                frames += [(peer, frame) for frame in made]
        return frames

    def make(self, kind: str, core: NodeCore) -> list[bytes]:
        """The junk frames of `kind` for the node's state now; none if they cannot be made
        (no other validator to forge, no round of h + 1 it proposes, ...)."""
        if kind == "malformed":
            return [self.rng.randbytes(self.rng.randint(1, 64))]
        if kind == "next_height_votes":
            height = core.machine.height + 1
            return [
                encode_message(self._vote(height, round_))
                for round_ in range(NEXT_HEIGHT_JUNK_ROUNDS)
            ]
        message = self._message(kind, core)
        return [] if message is None else [encode_message(message)]

    # ------------------------------------------------------------------ by kind

    def _message(self, kind: str, core: NodeCore) -> WireMessage | None:
        machine = core.machine
        height, round_ = machine.height, machine.round
        match kind:
            case "far_future_vote":
                return self._vote(height + self._far(), self.rng.randint(0, 3))
            case "far_future_proposal":
                far = height + self._far()
                return self._proposal(far, 0, self._junk_block(far, core))
            case "next_height_proposal_wrong_proposer":
                round_other = self._round_proposed_by(core, height + 1, mine=False)
                if round_other is None:
                    return None
                return self._proposal(height + 1, round_other, self._junk_block(height + 1, core))
            case "next_height_proposal_junk_block":
                round_mine = self._round_proposed_by(core, height + 1, mine=True)
                if round_mine is None:
                    return None
                return self._proposal(height + 1, round_mine, self._junk_block(height + 1, core))
            case "forged_vote":
                return self._forged_vote(core, height, round_)
            case "forged_vote_next_height":
                return self._forged_vote(core, height + 1, 0)
            case "forged_proposal_next_height":
                return self._forged_proposal(core, height + 1)
            case "round_out_of_window":
                far_round = round_ + limits.future_rounds_buffered_max + 1 + self.rng.randrange(999)
                return self._vote(height, far_round)
            case "stale_vote":
                return self._vote(height - 1, 0) if height > 1 else None
            case "status_lie":
                return StatusMessage(height=core.height + 1_000)
        raise AssertionError(f"unknown junk kind {kind}")

    def _far(self) -> int:
        return self.rng.randint(2, FAR_FUTURE_HEIGHTS_MAX)

    def _random_target(self) -> Hash:
        return NIL if self.rng.random() < 0.3 else self.rng.randbytes(32)

    def _vote(self, height: Height, round_: Round) -> VoteMessage:
        vote = Vote(
            type=self.rng.choice([VoteType.PREVOTE, VoteType.PRECOMMIT]),
            height=height,
            round=round_,
            block_hash=self._random_target(),
        )
        return VoteMessage(vote=sign_vote(self.key, self.chain_id, vote))

    def _proposal(self, height: Height, round_: Round, block: Block) -> ProposalMessage:
        proposal = Proposal(height=height, round=round_, pol_round=-1, block_hash=block.hash)
        signed = sign_proposal(self.key, self.chain_id, proposal)
        return ProposalMessage(proposal=signed, block=block)

    def _forged_vote(self, core: NodeCore, height: Height, round_: Round) -> VoteMessage | None:
        others = self._other_validators(core.ledger.get_validators(height))
        if not others:
            return None
        vote = Vote(
            type=self.rng.choice([VoteType.PREVOTE, VoteType.PRECOMMIT]),
            height=height,
            round=round_,
            block_hash=self._random_target(),
        )
        forged = SignedVote(
            vote=vote,
            validator=self.rng.choice(others),
            signature=self.rng.randbytes(SIGNATURE_BYTES),
        )
        return VoteMessage(vote=forged)

    def _forged_proposal(self, core: NodeCore, height: Height) -> ProposalMessage | None:
        validators = core.ledger.get_validators(height)
        for round_ in range(limits.future_rounds_buffered_max):
            proposer = validators.get_proposer(height, round_).address
            if proposer == self.key.address:
                continue
            block = self._junk_block(height, core, proposer)
            proposal = Proposal(height=height, round=round_, pol_round=-1, block_hash=block.hash)
            forged = SignedProposal(
                proposal=proposal,
                proposer=proposer,
                signature=self.rng.randbytes(SIGNATURE_BYTES),
            )
            return ProposalMessage(proposal=forged, block=block)
        return None

    def _round_proposed_by(self, core: NodeCore, height: Height, mine: bool) -> Round | None:
        """A round of `height` (within the buffered window) that this validator proposes
        (mine) or does not."""
        validators = core.ledger.get_validators(height)
        rounds = [
            r
            for r in range(limits.future_rounds_buffered_max)
            if (validators.get_proposer(height, r).address == self.key.address) == mine
        ]
        return self.rng.choice(rounds) if rounds else None

    def _other_validators(self, validators: ValidatorSet) -> list[Address]:
        return [v.address for v in validators.validators if v.address != self.key.address]

    def _junk_block(
        self, height: Height, core: NodeCore, proposer: Address | None = None
    ) -> Block:
        """A well-formed block of `height` that follows no chain (random parent and app hash),
        naming the latest validator sets the node knows (at most two heights ahead)."""
        known_max = core.ledger.state.height + 2
        validators = core.ledger.get_validators(min(height, known_max))
        header = Header(
            chain_id=self.chain_id,
            height=height,
            time_ms=core.ledger.state.time_ms + 1 + self.rng.randrange(1_000),
            prev_block_hash=self.rng.randbytes(32),
            last_commit_hash=self.rng.randbytes(32),
            txs_root=compute_txs_root([]),
            tx_count=0,
            receipts_root=self.rng.randbytes(32),
            app_hash=self.rng.randbytes(32),
            validators_hash=validators.hash,
            next_validators_hash=core.ledger.get_validators(min(height + 1, known_max)).hash,
            proposer=self.key.address if proposer is None else proposer,
            evidence_hash=compute_evidence_hash([]),
        )
        return Block(header=header, txs=[], last_commit=None)


__all__ = ["JUNK_FRAMES_PER_PEER", "JUNK_KINDS", "JunkMaker"]
