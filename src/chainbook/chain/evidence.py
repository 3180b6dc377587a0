"""Evidence of equivocation: two different votes one validator signed for one slot.

Rules kept:
- `DuplicateVoteEvidence` holds two signed votes of one validator for the same (height, round,
  type) and different block hashes, `vote_a` the one with the smaller block hash (so one pair
  of votes has exactly one encoding). Both signatures verify under the validator's key in the
  validator set of that height: nobody can forge evidence against a validator, and a valid
  piece is a proof anyone can re-check offline.
- An offence is the slot (validator, height, round, type); `get_offence` names it. Two pieces
  for one offence (a third vote) are the same offence: the ledger applies each offence once.
- Every check raises InvalidEvidence naming what was wrong and the value; nothing here reads a
  clock or a store (which heights are still acceptable is decided by the ledger, which knows
  the committed height and the evidence age bound of governance).

Wire and hash form (docs/PROTOCOL.md):

    DuplicateVoteEvidence = [vote_a: SignedVote, vote_b: SignedVote]
    evidence_hash (header) = RFC 6962 root over MessagePack(DuplicateVoteEvidence) of each
                             piece, in block order (SHA-256("") for none)
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook import codec, merkle
from chainbook.chain.commit import NIL, SignedVote, VoteType, vote_sign_bytes
from chainbook.chain.validators import ValidatorSet
from chainbook.crypto import SIGNATURE_BYTES, verify_signature
from chainbook.errors import InvalidInput
from chainbook.types import Address, Hash, Height, Round


class InvalidEvidence(InvalidInput):
    """A piece of evidence does not prove an equivocation (or is not acceptable here)."""

    code = "invalid_evidence"


class DuplicateVoteEvidence(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True
):
    """Two votes of one validator for one (height, round, type), for different blocks."""

    vote_a: SignedVote
    vote_b: SignedVote
    """vote_a.vote.block_hash < vote_b.vote.block_hash (bytes order; nil is the empty string)."""

    @property
    def validator(self) -> Address:
        return self.vote_a.validator

    @property
    def height(self) -> Height:
        return self.vote_a.vote.height


class Offence(msgspec.Struct, array_like=True, frozen=True, order=True):
    """The slot a validator signed twice: what is punished at most once."""

    validator: Address
    height: Height
    round: Round
    type: VoteType


def make_duplicate_vote_evidence(first: SignedVote, second: SignedVote) -> DuplicateVoteEvidence:
    """The canonical evidence for two conflicting votes (in either order)."""
    if first.vote.block_hash <= second.vote.block_hash:
        return DuplicateVoteEvidence(vote_a=first, vote_b=second)
    return DuplicateVoteEvidence(vote_a=second, vote_b=first)


def get_offence(evidence: DuplicateVoteEvidence) -> Offence:
    vote = evidence.vote_a.vote
    return Offence(evidence.vote_a.validator, vote.height, vote.round, vote.type)


def verify_evidence_shape(evidence: DuplicateVoteEvidence) -> None:
    """Everything that needs no validator set: one signer, one slot, two blocks, canonical."""
    a, b = evidence.vote_a, evidence.vote_b
    if a.validator != b.validator:
        raise InvalidEvidence(
            f"evidence votes are signed by two validators, {a.validator.hex()} and "
            f"{b.validator.hex()}; an equivocation is one validator's"
        )
    slot_a = (a.vote.type, a.vote.height, a.vote.round)
    slot_b = (b.vote.type, b.vote.height, b.vote.round)
    if slot_a != slot_b:
        raise InvalidEvidence(
            f"evidence votes are for different slots (type, height, round) {slot_a} and "
            f"{slot_b}; an equivocation is two votes for one slot"
        )
    if a.vote.height < 1 or a.vote.round < 0:
        raise InvalidEvidence(
            f"evidence for height {a.vote.height} round {a.vote.round}: heights start at 1, "
            "rounds at 0"
        )
    if a.vote.block_hash == b.vote.block_hash:
        raise InvalidEvidence("evidence votes are for the same block: that is not a conflict")
    if a.vote.block_hash > b.vote.block_hash:
        raise InvalidEvidence(
            "evidence votes out of order: vote_a must be the one with the smaller block hash"
        )
    for name, signed in (("vote_a", a), ("vote_b", b)):
        block_hash = signed.vote.block_hash
        if block_hash != NIL and len(block_hash) != 32:
            raise InvalidEvidence(
                f"evidence {name} block hash is {len(block_hash)} bytes; expected 32 or nil"
            )
        if len(signed.signature) != SIGNATURE_BYTES:
            raise InvalidEvidence(
                f"evidence {name} signature is {len(signed.signature)} bytes; expected "
                f"{SIGNATURE_BYTES}"
            )


def verify_evidence_signatures(
    chain_id: str, validators: ValidatorSet, evidence: DuplicateVoteEvidence
) -> None:
    """Both votes verify under the key the validator had in `validators`, the set of the
    evidence's height. Call verify_evidence_shape first."""
    index = validators.index_of(evidence.validator)
    if index is None:
        raise InvalidEvidence(
            f"evidence names {evidence.validator.hex()}, not a validator at height "
            f"{evidence.height}"
        )
    public_key = validators.validators[index].public_key
    for name, signed in (("vote_a", evidence.vote_a), ("vote_b", evidence.vote_b)):
        message = vote_sign_bytes(chain_id, signed.vote)
        if not verify_signature(public_key, message, signed.signature):
            raise InvalidEvidence(
                f"evidence {name} signature does not verify under the key of validator "
                f"{evidence.validator.hex()} at height {evidence.height}"
            )


def verify_duplicate_vote_evidence(
    chain_id: str, validators: ValidatorSet, evidence: DuplicateVoteEvidence
) -> None:
    """The whole check of one piece against the validator set of its height."""
    verify_evidence_shape(evidence)
    verify_evidence_signatures(chain_id, validators, evidence)


def encode_evidence(evidence: DuplicateVoteEvidence) -> bytes:
    return codec.encode(evidence)


def compute_evidence_hash(evidence: Sequence[DuplicateVoteEvidence]) -> Hash:
    """The header's evidence_hash: an RFC 6962 root, so one piece has an inclusion proof."""
    return merkle.root([encode_evidence(piece) for piece in evidence])


__all__ = [
    "DuplicateVoteEvidence",
    "InvalidEvidence",
    "Offence",
    "compute_evidence_hash",
    "encode_evidence",
    "get_offence",
    "make_duplicate_vote_evidence",
    "verify_duplicate_vote_evidence",
    "verify_evidence_shape",
    "verify_evidence_signatures",
]
