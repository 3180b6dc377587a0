"""The JSON documents of the private-data routes (api/private_routes.py).

    SubmitPrivateRequest   POST /private/{collection}/{record} body
    PrivateContentView     GET  /private/{collection}/{record}
    DisclosureFile         GET  /private/{collection}/{record}/disclosure: one record's
                           content and salt with a state proof of its on-chain hash, which a
                           third party checks offline (`chainbook private verify FILE
                           --genesis G`, client/private_disclosure.py)

Bytes are hex, as everywhere in the API.
"""

from __future__ import annotations

import msgspec

from chainbook.api.proof_views import StateProofFile

DISCLOSURE_FORMAT = "chainbook/private-disclosure"
DISCLOSURE_VERSION = 1


class SubmitPrivateRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    tx: str
    """Hex of the signed transaction whose action is private.record(collection, record, hash)."""
    salt: str
    """Hex of the 32-byte salt."""
    content: str
    """Hex of the content (at most content_bytes_max bytes)."""


class SubmitPrivateView(msgspec.Struct, frozen=True):
    hash: str
    """The transaction's hash."""
    record_hash: str
    """SHA-256(salt || content), as recorded on chain."""
    status: str
    """"pending" or "committed"."""
    height: int | None = None


class PrivateContentView(msgspec.Struct, frozen=True):
    collection: str
    record: str
    hash: str
    salt: str
    content: str
    height: int
    """The height of its on-chain record."""
    purge_at_height: int
    """This node deletes the content once this height is committed (0: never)."""


class PrivateStatusView(msgspec.Struct, frozen=True):
    node_id: str
    counters: dict[str, int]
    """What this node's private-data core did: pushes and pulls sent, received, refused
    (by reason), contents stored, pending, missing (core/private_data.py)."""


class DisclosureFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: str
    version: int
    collection: str
    record: str
    salt: str
    content: str
    proof: StateProofFile
    """The state proof of private.record(collection, record): its answer holds the hash."""


__all__ = [
    "DISCLOSURE_FORMAT",
    "DISCLOSURE_VERSION",
    "DisclosureFile",
    "PrivateContentView",
    "PrivateStatusView",
    "SubmitPrivateRequest",
    "SubmitPrivateView",
]
