"""Accounts actions: what a transaction may ask about the keys that speak for its sender.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["accounts.set_policy",   signers: [[address: bin(20), weight: uint], ...], threshold: uint]
    ["accounts.clear_policy"]

Both act on the transaction's sender only. Decoding checks the shape (types, 20-byte
addresses); the rules on values (counts, weights, the threshold, that this very transaction
meets the new policy) are apps/accounts/process.py's, so that a refusal names the rule.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]


class Signer(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    address: AddressBytes
    """The address of a signing key (not of an account with a policy of its own)."""
    weight: int


class SetPolicy(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="accounts.set_policy",
):
    """Set the keys that speak for the sender: k of n weighted signers (one signer: a rotation)."""

    signers: list[Signer]
    threshold: int


class ClearPolicy(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="accounts.clear_policy",
):
    """Remove the sender's policy: its own key (whose address it is) speaks for it again."""


ACTIONS: tuple[type[msgspec.Struct], ...] = (SetPolicy, ClearPolicy)

__all__ = ["ACTIONS", "AddressBytes", "ClearPolicy", "SetPolicy", "Signer"]
