"""What a proposal or a vote must satisfy before the machine holds it, for a given height.

Rules kept:
- The same checks apply to the current height and to the next one (whose validator set is
  known in advance), so nothing a peer sends is held, even in the next-height buffer, before
  its signer, its slot and its signature are checked.
- Cheap checks come first and the signature last; each refusal is the name of the counter the
  machine bumps (an explicit, counted no-op).
- A round is acceptable from 0 to `round_now + future_rounds_buffered_max`: messages for
  rounds far ahead are dropped (the signer re-sends them when they matter).
"""

from __future__ import annotations

from chainbook import limits
from chainbook.chain.block import Block
from chainbook.chain.commit import (
    NIL,
    SignedProposal,
    SignedVote,
    is_valid_proposal_signature,
    is_valid_vote_signature,
)
from chainbook.chain.validators import ValidatorSet
from chainbook.types import Height, Round

HASH_BYTES = 32


def is_round_in_window(round_: Round, round_now: Round) -> bool:
    return 0 <= round_ <= round_now + limits.future_rounds_buffered_max


def get_proposal_refusal(
    chain_id: str,
    validators: ValidatorSet,
    height: Height,
    round_now: Round,
    signed: SignedProposal,
    block: Block,
) -> str | None:
    """None if `signed` is a well-formed proposal of `block` at `height`, else the reason."""
    proposal = signed.proposal
    assert proposal.height == height
    if not is_round_in_window(proposal.round, round_now):
        return "message_round_out_of_window"
    if signed.proposer != validators.get_proposer(height, proposal.round).address:
        return "proposal_wrong_proposer"
    if not -1 <= proposal.pol_round < proposal.round:
        return "proposal_bad_pol_round"
    if block.hash != proposal.block_hash or block.height != height:
        return "proposal_block_mismatch"
    if not is_valid_proposal_signature(chain_id, validators, signed):
        return "proposal_bad_signature"
    return None


def get_vote_refusal(
    chain_id: str, validators: ValidatorSet, height: Height, round_now: Round, signed: SignedVote
) -> str | None:
    """None if `signed` is a well-formed vote of a validator at `height`, else the reason."""
    vote = signed.vote
    assert vote.height == height
    if not is_round_in_window(vote.round, round_now):
        return "message_round_out_of_window"
    if not validators.is_validator(signed.validator):
        return "vote_not_validator"
    if vote.block_hash != NIL and len(vote.block_hash) != HASH_BYTES:
        return "vote_bad_block_hash"
    if not is_valid_vote_signature(chain_id, validators, signed):
        return "vote_bad_signature"
    return None


__all__ = ["get_proposal_refusal", "get_vote_refusal", "is_round_in_window"]
