"""Deliberately broken consensus variants, to prove the simulator's checkers can fail.

A checker that cannot fail is worthless: each variant here breaks one rule the real machine
keeps, and tests/sim asserts that some seed catches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainbook.chain.block import Block
from chainbook.chain.commit import NIL, SignedProposal, SignedVote, make_commit
from chainbook.consensus.machine import ConsensusMachine, Step
from chainbook.sim import FaultKind, SimConfig, SimulationFailure, run_seed


class AmnesiacMachine(ConsensusMachine):
    """Forgets its consensus record at restart: it may sign a vote contrary to one it sent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["record"] = None
        super().__init__(**kwargs)


class PolkaIgnoringMachine(ConsensusMachine):
    """Prevotes a re-proposal (v, vr) without the 2f+1 prevotes for v in round vr that L28
    asks for: it believes any pol_round a proposer claims."""

    def _rule_prevote_on_proposal_with_polka(self) -> bool:
        if self.step_ != Step.PROPOSE:
            return False
        for held in self.proposals.of_round(self.round):
            pol_round, block = held.signed.proposal.pol_round, held.block
            if pol_round < 0:
                continue
            acceptable = (
                self.locked_round <= pol_round or self.locked_hash == block.hash
            ) and self._is_valid(block)
            self._prevote(block.hash if acceptable else NIL)
            return True
        return False


class QuietPolkaIgnoringMachine(PolkaIgnoringMachine):
    """PolkaIgnoringMachine that also does not re-send its votes of the previous round: that
    re-send heals the split a believed pol_round makes (a node a round ahead hands the
    round's precommits to those that missed them, which then decide the same block, L49),
    so the plain variant survives 200 seeds of the merged machine."""

    def _resend_previous_round_votes(self) -> None:
        return


class TimeTrustingMachine(ConsensusMachine):
    """Never judges a block time against its clock (L22 without the timeliness check)."""

    def _is_timely(self, block: Block) -> bool:
        return True


class NextHeightTrustingMachine(ConsensusMachine):
    """Keeps messages for the next height without checking them (still bounded in number):
    forged votes are replayed when it gets there."""

    def _receive_next_height_vote(self, signed: SignedVote) -> None:
        if self._next.has_vote(signed) or self._next.is_signer_full(signed.validator):
            return
        self._next.add_vote(signed)

    def _receive_next_height_proposal(self, signed: SignedProposal, block: Block) -> None:
        if not self._next.proposals.has(signed):
            self._next.proposals.add(signed, block, 0)


class UnanimousMachine(ConsensusMachine):
    """Decides only on the precommits of every validator, not of 2f+1: it needs the votes of
    a validator that withholds them."""

    def _rule_decide(self) -> bool:
        if self.decided is not None:
            return False
        for round_ in sorted(self.precommits):
            precommits = self.precommits[round_]
            for block_hash in precommits.block_hashes():
                if block_hash == NIL:
                    continue
                if precommits.power_for(block_hash) < self.validators.power_total:
                    continue
                block = self._get_block(block_hash)
                if block is None:
                    continue
                self._decide(block, make_commit(self.validators, precommits.votes_for(block_hash)))
                return True
        return False


AMNESIAC_CONFIG = SimConfig(
    machine_factory=AmnesiacMachine,
    fault_kinds=frozenset({FaultKind.CRASH, FaultKind.LOSS}),
    torn_crash_chance=0.9,
)


def find_failing_seed(
    config: SimConfig, seeds: Iterable[int]
) -> tuple[int, SimulationFailure]:
    for seed in seeds:
        try:
            run_seed(seed, config)
        except SimulationFailure as failure:
            return seed, failure
    raise AssertionError("no seed failed: the checkers did not catch the broken variant")
