"""Votes, proposals and commit certificates: what validators sign, and how a commit is checked.

Signed messages, each prefixed by its own domain tag so that no signature can be reused as
another kind (docs/PROTOCOL.md):

    vote      b"chainbook/vote/v1" 0x00 chain_id 0x00
              MessagePack([type, height, round, block_hash])
    proposal  b"chainbook/proposal/v1" 0x00 chain_id 0x00
              MessagePack([height, round, pol_round, block_hash])

A commit certificate for block B at height h is a set of precommits for (h, r, B) whose signers
hold strictly more than 2/3 of the voting power. With it, anyone holding the validator set can
check that B is final without trusting the node that served it.
"""

from __future__ import annotations

import enum

import msgspec

from chainbook import codec
from chainbook.chain.validators import ValidatorSet
from chainbook.crypto import PrivateKey, verify_signature
from chainbook.errors import InvalidBlock
from chainbook.types import Address, Hash, Height, Round, Signature

VOTE_DOMAIN_TAG = b"chainbook/vote/v1"
PROPOSAL_DOMAIN_TAG = b"chainbook/proposal/v1"
NIL: Hash = b""
"""The block hash of a vote for nothing (nil)."""


class VoteType(enum.IntEnum):
    PREVOTE = 1
    PRECOMMIT = 2


class Vote(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    type: VoteType
    height: Height
    round: Round
    block_hash: Hash
    """NIL (empty) for a vote for nothing."""


class SignedVote(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    vote: Vote
    validator: Address
    signature: Signature


class Proposal(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    height: Height
    round: Round
    pol_round: Round
    """-1, or the round in which the proposed block got a polka (the paper's validRound)."""
    block_hash: Hash


class SignedProposal(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    proposal: Proposal
    proposer: Address
    signature: Signature


class CommitSig(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    validator_index: int
    signature: Signature


class Commit(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """> 2/3 of power precommitted `block_hash` at (height, round)."""

    height: Height
    round: Round
    block_hash: Hash
    signatures: list[CommitSig]
    """Sorted by validator_index, no index twice."""


def vote_sign_bytes(chain_id: str, vote: Vote) -> bytes:
    return VOTE_DOMAIN_TAG + b"\x00" + chain_id.encode() + b"\x00" + codec.encode(vote)


def proposal_sign_bytes(chain_id: str, proposal: Proposal) -> bytes:
    return PROPOSAL_DOMAIN_TAG + b"\x00" + chain_id.encode() + b"\x00" + codec.encode(proposal)


def sign_vote(key: PrivateKey, chain_id: str, vote: Vote) -> SignedVote:
    return SignedVote(
        vote=vote, validator=key.address, signature=key.sign(vote_sign_bytes(chain_id, vote))
    )


def sign_proposal(key: PrivateKey, chain_id: str, proposal: Proposal) -> SignedProposal:
    return SignedProposal(
        proposal=proposal,
        proposer=key.address,
        signature=key.sign(proposal_sign_bytes(chain_id, proposal)),
    )


def is_valid_vote_signature(chain_id: str, validators: ValidatorSet, signed: SignedVote) -> bool:
    index = validators.index_of(signed.validator)
    if index is None:
        return False
    public_key = validators.validators[index].public_key
    return verify_signature(public_key, vote_sign_bytes(chain_id, signed.vote), signed.signature)


def is_valid_proposal_signature(
    chain_id: str, validators: ValidatorSet, signed: SignedProposal
) -> bool:
    index = validators.index_of(signed.proposer)
    if index is None:
        return False
    public_key = validators.validators[index].public_key
    return verify_signature(
        public_key, proposal_sign_bytes(chain_id, signed.proposal), signed.signature
    )


def make_commit(validators: ValidatorSet, precommits: list[SignedVote]) -> Commit:
    """Assemble a commit certificate from precommits that all name one (height, round, block)."""
    first = precommits[0].vote
    sigs = []
    for signed in precommits:
        assert signed.vote == first, "a commit is built from precommits for one block"
        index = validators.index_of(signed.validator)
        assert index is not None, "precommits in a vote set come from validators"
        sigs.append(CommitSig(validator_index=index, signature=signed.signature))
    sigs.sort(key=lambda s: s.validator_index)
    return Commit(
        height=first.height, round=first.round, block_hash=first.block_hash, signatures=sigs
    )


def verify_commit(
    chain_id: str, validators: ValidatorSet, commit: Commit, height: Height, block_hash: Hash
) -> None:
    """Check that `commit` proves block `block_hash` final at `height`; raise InvalidBlock if not.

    Every signature must verify and come from a distinct validator of `validators`, and the
    signers' power must be strictly more than 2/3 of the total.
    """
    if commit.height != height:
        raise InvalidBlock(f"commit is for height {commit.height}, expected {height}")
    if commit.block_hash != block_hash:
        raise InvalidBlock(
            f"commit is for block {commit.block_hash.hex()[:16]}, expected {block_hash.hex()[:16]}"
        )
    if commit.block_hash == NIL:
        raise InvalidBlock("a commit cannot be for nil")
    vote = Vote(type=VoteType.PRECOMMIT, height=height, round=commit.round, block_hash=block_hash)
    message = vote_sign_bytes(chain_id, vote)
    power = 0
    previous_index = -1
    for sig in commit.signatures:
        if sig.validator_index <= previous_index:
            raise InvalidBlock("commit signatures must be sorted by validator index, no repeats")
        previous_index = sig.validator_index
        validator = validators.get_by_index(sig.validator_index)
        if validator is None:
            raise InvalidBlock(
                f"commit names validator index {sig.validator_index}, not in the set"
            )
        if not verify_signature(validator.public_key, message, sig.signature):
            raise InvalidBlock(f"commit signature of validator {sig.validator_index} is invalid")
        power += validator.power
    if power < validators.quorum_power:
        raise InvalidBlock(
            f"commit has power {power}, needs more than 2/3 of {validators.power_total}"
        )


__all__ = [
    "NIL",
    "PROPOSAL_DOMAIN_TAG",
    "VOTE_DOMAIN_TAG",
    "Commit",
    "CommitSig",
    "Proposal",
    "SignedProposal",
    "SignedVote",
    "Vote",
    "VoteType",
    "is_valid_proposal_signature",
    "is_valid_vote_signature",
    "make_commit",
    "proposal_sign_bytes",
    "sign_proposal",
    "sign_vote",
    "verify_commit",
    "vote_sign_bytes",
]
