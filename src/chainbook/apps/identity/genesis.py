"""The identity module's section of the genesis file (`app_state.identity`): credentials
imported from an earlier register, so that records issued before the chain keep verifying.

    {"credentials": [{"commitment": "<64 hex>", "kind": "birth", "subject": "<40 or 64 hex>",
                      "issuer": "civil-registry", "issued_time_ms": 1700000000000,
                      "valid_until_height": 0}, ...]}

Each becomes a credential issued at height 0 by the institution id given (governance's
section of the same genesis file registers it: a section is checked alone, so an id that
governance does not know answers issuer_status "unknown" in every query). Default: none.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.apps.identity import limits
from chainbook.apps.identity.state import CREDENTIAL_TYPES, describe_types
from chainbook.errors import ConfigError

_HASH_HEX = re.compile(r"^[0-9a-f]{64}$")
_SUBJECT_HEX = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_ISSUER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class GenesisCredential(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    commitment: str
    kind: str
    subject: str
    issuer: str
    issued_time_ms: int
    valid_until_height: int = 0


class IdentityGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    credentials: list[GenesisCredential] = []


def verify_identity_genesis(section: IdentityGenesis) -> None:
    """Refuse a section that could not run; each reason names the entry, field and value."""
    where = "genesis app_state.identity.credentials"
    if len(section.credentials) > limits.genesis_credentials_max:
        raise ConfigError(
            f"{where}: {len(section.credentials)} entries, at most "
            f"{limits.genesis_credentials_max}"
        )
    seen: set[str] = set()
    for i, entry in enumerate(section.credentials):
        at = f"{where}[{i}]"
        if not _HASH_HEX.match(entry.commitment):
            raise ConfigError(f"{at}.commitment: expected 64 lowercase hex, got "
                              f"{entry.commitment!r}")
        if entry.commitment in seen:
            raise ConfigError(f"{at}.commitment: {entry.commitment} appears twice")
        seen.add(entry.commitment)
        if entry.kind not in CREDENTIAL_TYPES:
            raise ConfigError(f"{at}.kind: {entry.kind!r}; accepted: {describe_types()}")
        if not _SUBJECT_HEX.match(entry.subject):
            raise ConfigError(f"{at}.subject: expected 40 or 64 lowercase hex, got "
                              f"{entry.subject!r}")
        if not _ISSUER_ID.match(entry.issuer) or len(entry.issuer) > limits.issuer_id_chars_max:
            raise ConfigError(
                f"{at}.issuer: an institution id (lowercase letters, digits, '.', '_', '-', at "
                f"most {limits.issuer_id_chars_max}), got {entry.issuer!r}"
            )
        if entry.issued_time_ms < 0:
            raise ConfigError(f"{at}.issued_time_ms must be >= 0, got {entry.issued_time_ms}")
        if not 0 <= entry.valid_until_height <= limits.validity_blocks_max:
            raise ConfigError(
                f"{at}.valid_until_height: accepted 0 (no end) to {limits.validity_blocks_max},"
                f" got {entry.valid_until_height}"
            )


__all__ = ["GenesisCredential", "IdentityGenesis", "verify_identity_genesis"]
