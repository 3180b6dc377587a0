"""The salted hash that binds a private content to its on-chain record.

    hash = SHA-256(salt || content)      salt: 32 random bytes, drawn by the submitter

Rules kept:
- The salt is drawn per record from a cryptographic source (`draw_salt`, os.urandom through
  `secrets` in the client, never here in the core): without it a short or guessable content
  (a yes/no, an amount) could be found by hashing candidates. With it, the hash on chain says
  nothing about the content to an outsider; a member, who holds salt and content, checks it.
- A disclosure reveals salt and content of one record only: every record has its own salt, so
  disclosing one tells nothing about any other.
"""

from __future__ import annotations

import hashlib

from chainbook.apps.private import limits
from chainbook.types import Hash


def compute_record_hash(salt: bytes, content: bytes) -> Hash:
    """SHA-256(salt || content): what a private.record action carries."""
    return hashlib.sha256(salt + content).digest()


def is_content_of(record_hash: Hash, salt: bytes, content: bytes) -> bool:
    """Whether salt and content are those the record's hash commits to."""
    return len(salt) == limits.salt_bytes and compute_record_hash(salt, content) == record_hash


def describe_content_refusal(salt: bytes, content: bytes) -> str | None:
    """Why a salt and content cannot be a record's (sizes), or None."""
    if len(salt) != limits.salt_bytes:
        return f"salt is {len(salt)} bytes, exactly {limits.salt_bytes} accepted"
    if len(content) > limits.content_bytes_max:
        return f"content is {len(content)} bytes, at most {limits.content_bytes_max} accepted"
    return None


__all__ = ["compute_record_hash", "describe_content_refusal", "is_content_of"]
