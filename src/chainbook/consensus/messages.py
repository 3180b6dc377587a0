"""Consensus messages as they travel between nodes (wrapped by the node's wire envelope)."""

from __future__ import annotations

import msgspec

from chainbook.chain.block import Block
from chainbook.chain.commit import SignedProposal, SignedVote


class ProposalMessage(msgspec.Struct, array_like=True, frozen=True, tag="proposal"):
    """A signed proposal and the whole proposed block (blocks fit one frame; see limits)."""

    proposal: SignedProposal
    block: Block


class VoteMessage(msgspec.Struct, array_like=True, frozen=True, tag="vote"):
    vote: SignedVote


ConsensusMessage = ProposalMessage | VoteMessage

__all__ = ["ConsensusMessage", "ProposalMessage", "VoteMessage"]
