"""The identity module's bounds on what a client controls (unit last)."""

subject_bytes = (20, 32)
"""A subject is an account address (20 bytes) or a 32-byte hash of an identifier."""
salt_bytes_min = 16
"""A commitment's salt: shorter would let anyone who guesses a document (a birth certificate
is mostly a template) confirm the guess against the public commitment."""
salt_bytes_max = 64
reason_bytes_max = 256
"""UTF-8 bytes of a revocation's reason (1 at least: a revocation says why)."""
validity_blocks_max = 100_000_000
"""Heights from issuance to a credential's end of validity (about 3 years at 1 s a block)."""
genesis_credentials_max = 100_000
"""Credentials imported by the genesis file from an earlier register."""
issuer_id_chars_max = 64
"""Characters of an imported credential's issuer id (governance's institution id limit)."""

LIMITS = {
    "salt_bytes_min": salt_bytes_min,
    "salt_bytes_max": salt_bytes_max,
    "reason_bytes_max": reason_bytes_max,
    "validity_blocks_max": validity_blocks_max,
    "genesis_credentials_max": genesis_credentials_max,
}

__all__ = [
    "LIMITS",
    "genesis_credentials_max",
    "issuer_id_chars_max",
    "reason_bytes_max",
    "salt_bytes_max",
    "salt_bytes_min",
    "subject_bytes",
    "validity_blocks_max",
]
