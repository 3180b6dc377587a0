"""identity actions: an authority issues a credential (a commitment), and revokes it.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["identity.issue",  commitment: bin(32), kind: str, subject: bin(20 | 32),
                        valid_until_height: uint]
    ["identity.revoke", commitment: bin(32), reason: str]

`commitment` is apps/identity/commitment.py's hash of the document, its salt, the kind (the
credential type) and the subject; the document and the salt never go on chain.
`valid_until_height` 0 means no end of validity. Decoding checks the shape; the rules on
values are apps/identity/process.py's, so a refusal names the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import HASH_BYTES

HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Issue(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="identity.issue",
):
    """Issue a credential: a document's commitment bound to a subject, in a credential type."""

    commitment: HashBytes
    kind: str
    """One of CREDENTIAL_TYPES (birth, marriage, degree, property_title, ...)."""
    subject: bytes
    """Whom it is about: an address (20 bytes) or a hash of an identifier (32 bytes)."""
    valid_until_height: UInt = 0
    """Valid in the blocks below this height (a licence's term); 0: no end."""


class Revoke(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="identity.revoke",
):
    """Revoke a credential (its issuer only), with the reason for the record."""

    commitment: HashBytes
    reason: str


ACTIONS: tuple[type[msgspec.Struct], ...] = (Issue, Revoke)

__all__ = ["ACTIONS", "HashBytes", "Issue", "Revoke", "UInt"]
