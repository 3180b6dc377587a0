"""vote actions: create a ballot, add voters, vote in public, or commit and reveal in secret.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["vote.create",     ballot: str, title: str, options: [str, ...], voters: [bin(20), ...],
                        open_height: uint, close_height: uint, weighting: str, revote: bool,
                        secret: bool, reveal_blocks: uint]
    ["vote.add_voters", ballot: str, voters: [bin(20), ...]]
    ["vote.cast",       ballot: str, option: uint]
    ["vote.commit",     ballot: str, commitment: bin(32)]
    ["vote.reveal",     ballot: str, option: uint, salt: bin]

`option` is an index into the ballot's options. A commitment is
SHA-256("chainbook/vote-commitment/v1" 0x00 || len(ballot) as 1 byte || ballot (ASCII) ||
voter address (20 bytes) || option as 4 bytes big-endian || salt), apps/vote/commitment.py.

Decoding checks the shape; the rules on values are apps/vote/process.py's, so a refusal names
the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Create(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="vote.create",
):
    """Create a ballot: options, eligible voters, open and close heights, its rules."""

    ballot: str
    title: str
    options: list[str]
    voters: list[AddressBytes]
    open_height: UInt
    """The first height whose block counts votes (a height already reached opens it at once)."""
    close_height: UInt
    """Votes are counted at heights [open_height, close_height); the begin-block hook of
    close_height closes the ballot."""
    weighting: str = "equal"
    """"equal" (one voter, one vote) or "balance" (a voter's bank balance at this
    transaction: the snapshot)."""
    revote: bool = False
    """Whether a later vote replaces a voter's earlier one (else it is refused)."""
    secret: bool = False
    """Commit-then-reveal: votes are salted hashes until close, revealed within the window."""
    reveal_blocks: UInt = 0
    """A secret ballot's reveal window, [close_height, close_height + reveal_blocks); 0 for a
    public one."""


class AddVoters(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="vote.add_voters",
):
    """The creator adds eligible voters to an equally weighted ballot before it opens."""

    ballot: str
    voters: list[AddressBytes]


class Cast(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="vote.cast",
):
    """Vote for one option of a public ballot."""

    ballot: str
    option: UInt


class Commit(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="vote.commit",
):
    """Commit to a vote of a secret ballot (a salted hash; revealed after close)."""

    ballot: str
    commitment: HashBytes


class Reveal(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="vote.reveal",
):
    """Reveal a committed vote (option and salt) within the ballot's reveal window."""

    ballot: str
    option: UInt
    salt: bytes


ACTIONS: tuple[type[msgspec.Struct], ...] = (Create, AddVoters, Cast, Commit, Reveal)

__all__ = [
    "ACTIONS",
    "AddVoters",
    "AddressBytes",
    "Cast",
    "Commit",
    "Create",
    "HashBytes",
    "Reveal",
    "UInt",
]
