"""A credential's commitment: what the chain holds instead of the document.

    commitment = SHA-256("chainbook/identity-credential/v1" 0x00
                         || len(kind) (1 byte) || kind (ASCII: the credential type)
                         || len(subject) (1 byte) || subject (20 or 32 bytes)
                         || SHA-256(document) (32 bytes)
                         || salt (16 to 64 bytes))

Rules kept:
- The document (a PDF, a JSON of claims) never goes on chain; its SHA-256 goes into the
  commitment with a random salt the holder keeps beside the document. Without the salt, a
  document that is mostly a template (a birth certificate) could be confirmed by guessing its
  few variable fields and hashing; 16 bytes of salt make every guess cost 2^128.
- Type and subject are inside the commitment, so one commitment binds one document to one
  subject in one type: a degree issued to Alice cannot be presented as Bob's, nor as a
  licence. Their lengths are framed (1 byte each) and the salt is last, so two different
  inputs never hash the same bytes.
- The verifier recomputes it from the presented document and salt and the type and subject
  the chain recorded (apps/identity/queries.py); equal means "this is the credentialled
  document".
"""

from __future__ import annotations

import hashlib

from chainbook.apps.identity import limits
from chainbook.types import Hash

COMMITMENT_TAG = b"chainbook/identity-credential/v1\x00"


def is_salt_size_valid(salt: bytes) -> bool:
    return limits.salt_bytes_min <= len(salt) <= limits.salt_bytes_max


def compute_commitment(kind: str, subject: bytes, document_hash: Hash, salt: bytes) -> Hash:
    """The commitment of a document (by its SHA-256) to a subject in a credential type.

    ValueError for a salt, subject or document hash of the wrong size (a caller's mistake,
    before anything is sent)."""
    if not is_salt_size_valid(salt):
        raise ValueError(
            f"salt of {len(salt)} bytes; accepted {limits.salt_bytes_min} to "
            f"{limits.salt_bytes_max}"
        )
    if len(subject) not in limits.subject_bytes:
        raise ValueError(
            f"subject of {len(subject)} bytes; accepted 20 (an address) or 32 (a hash)"
        )
    if len(document_hash) != 32:
        raise ValueError(f"document hash of {len(document_hash)} bytes; SHA-256 is 32")
    encoded_type = kind.encode("ascii")
    return hashlib.sha256(
        COMMITMENT_TAG
        + bytes([len(encoded_type)])
        + encoded_type
        + bytes([len(subject)])
        + subject
        + document_hash
        + salt
    ).digest()


__all__ = ["COMMITMENT_TAG", "compute_commitment", "is_salt_size_valid"]
