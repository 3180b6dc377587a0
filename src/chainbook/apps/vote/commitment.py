"""A secret ballot's commitment: what a voter publishes while voting, and checks at reveal.

    commitment = SHA-256( "chainbook/vote-commitment/v1" 0x00
                          || len(ballot) (1 byte) || ballot (ASCII)
                          || voter address (20 bytes)
                          || option (4 bytes, big-endian)
                          || salt (salt_bytes_min..salt_bytes_max bytes) )

The voter's address is inside, so a commitment copied from another voter reveals nothing for
the copier (it would have to reveal the other's option and salt under its own address, which
hash differently); the ballot id is inside, so a commitment cannot be replayed on another
ballot. The salt must be random and kept secret until the reveal: with a short or guessable
salt anyone could hash every option and read the vote. Commit-then-reveal hides votes while
voting is open (no one votes knowing the trend); it is not anonymous: after the reveal every
vote is public, as the voter's address signed it.
"""

from __future__ import annotations

import struct

from chainbook.apps.vote import limits
from chainbook.crypto import sha256
from chainbook.types import Address, Hash

COMMITMENT_TAG = b"chainbook/vote-commitment/v1\x00"


def compute_commitment(ballot: str, voter: Address, option: int, salt: bytes) -> Hash:
    """The commitment of `voter` to `option` on `ballot` under `salt` (module docstring)."""
    ballot_bytes = ballot.encode("ascii")
    assert len(ballot_bytes) <= limits.ballot_id_chars_max and len(voter) == 20
    return sha256(
        COMMITMENT_TAG
        + bytes([len(ballot_bytes)])
        + ballot_bytes
        + voter
        + struct.pack(">I", option)
        + salt
    )


def is_salt_size_valid(salt: bytes) -> bool:
    return limits.salt_bytes_min <= len(salt) <= limits.salt_bytes_max


__all__ = ["COMMITMENT_TAG", "compute_commitment", "is_salt_size_valid"]
