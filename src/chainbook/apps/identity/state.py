"""The identity module's state: credential types, records, keys and the status rule.

State (keys relative to the module prefix b"identity/"; values canonical MessagePack):

    cred/<commitment 32 bytes>   CredentialRecord   one credential, issued once, revoked once

A credential type names the role its issuer must hold (apps/institutions.py ROLES): a civil
registry issues birth, death and marriage records, a university degrees, a land registry
property titles, a licensing body professional licences, and any credential authority
general attestations. The set is closed (a typo is refused, not recorded as a new type).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.types import Address, Hash, Height, TimeMs

CREDENTIAL_PREFIX = b"cred/"

CREDENTIAL_TYPES: dict[str, str] = {
    "birth": "civil_registry",
    "death": "civil_registry",
    "marriage": "civil_registry",
    "degree": "university",
    "property_title": "land_registry",
    "professional_licence": "licensing_body",
    "attestation": "credential_authority",
}
"""Credential type -> the institution role that may issue it."""

STATUSES = ("valid", "revoked", "expired", "unknown")


class CredentialRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    kind: str
    subject: bytes
    issuer: str
    """The issuing institution's id (governance's registry)."""
    signer: Address
    """The key that signed the issue (one of the issuer's); empty for a genesis import."""
    issued_height: Height
    """0 for a credential imported by the genesis file."""
    issued_time_ms: TimeMs
    tx_hash: Hash
    """Empty for a genesis import."""
    valid_until_height: Height
    """Valid in the blocks below this height; 0: no end."""
    revoked_height: Height = 0
    """0 while not revoked."""
    revoke_reason: str = ""
    revoked_by: Address = b""


def credential_key(commitment: Hash) -> bytes:
    return CREDENTIAL_PREFIX + commitment


def get_credential(view: KVReader, commitment: Hash) -> CredentialRecord | None:
    raw = view.get(CREDENTIAL_PREFIX + commitment)
    return None if raw is None else codec.decode(raw, CredentialRecord)


def compute_status(record: CredentialRecord | None, height: Height) -> str:
    """The credential's status in the state after block `height`.

    "unknown" before it was issued (or never), "revoked" from the block that revoked it on,
    "expired" from its valid_until_height on, else "valid". Revocation wins over expiry (the
    stronger statement). The issuer's own standing is reported beside it, not folded in
    (apps/identity/queries.py says why)."""
    if record is None or height < record.issued_height:
        return "unknown"
    if record.revoked_height and height >= record.revoked_height:
        return "revoked"
    if record.valid_until_height and height >= record.valid_until_height:
        return "expired"
    return "valid"


def describe_types() -> str:
    return ", ".join(f"{t} ({role})" for t, role in CREDENTIAL_TYPES.items())


__all__ = [
    "CREDENTIAL_PREFIX",
    "CREDENTIAL_TYPES",
    "STATUSES",
    "CredentialRecord",
    "compute_status",
    "credential_key",
    "describe_types",
    "get_credential",
]
