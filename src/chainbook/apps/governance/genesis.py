"""Governance's section of the genesis file (`app_state.governance`).

    {"proposers": ["<40 hex>", ...],
     "institutions": [{"id": "central-bank", "name": "Central Bank",
                       "roles": ["issuer", "regulator"], "public_keys": ["<64 hex>", ...]}]}

Both optional. The validators and the consensus parameters are not here: they are the
genesis file's own `validators` and `consensus` sections (chain/genesis.py), which governance
takes over at genesis (apps/governance/process.py process_chain_init). Institutions
registered here follow the registry's rules (apps/governance/institutions.py).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.governance import limits
from chainbook.apps.governance.institutions import (
    verify_institution_fields,
    verify_institution_id,
)
from chainbook.crypto import address_from_public_key, parse_address
from chainbook.errors import ConfigError, InvalidInput
from chainbook.types import Address


class GenesisInstitution(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    roles: list[str]
    public_keys: list[str]
    """64 hex characters each."""

    def keys(self) -> list[bytes]:
        return [bytes.fromhex(key) for key in self.public_keys]


class GovernanceGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    proposers: list[str] = []
    """Accounts (40 hex) that may submit proposals without being validators."""
    institutions: list[GenesisInstitution] = []

    def proposer_addresses(self) -> list[Address]:
        return [parse_address(text) for text in self.proposers]


def verify_governance_genesis(section: GovernanceGenesis) -> None:
    """Refuse a section that could not run; each reason names the field and the value."""
    where = "genesis app_state.governance"
    try:
        proposers = section.proposer_addresses()
    except ValueError as exc:
        raise ConfigError(f"{where}.proposers: {exc}") from None
    if len(set(proposers)) != len(proposers) or len(proposers) > limits.proposers_max:
        raise ConfigError(
            f"{where}.proposers: {len(proposers)} entries, at most {limits.proposers_max}, "
            "none twice"
        )
    ids: set[str] = set()
    owners: dict[Address, str] = {}
    for i, entry in enumerate(section.institutions):
        here = f"{where}.institutions[{i}]"
        try:
            keys = entry.keys()
            verify_institution_id(entry.id)
            verify_institution_fields(entry.name, entry.roles, keys)
        except (ValueError, InvalidInput) as exc:
            raise ConfigError(f"{here}: {exc}") from None
        if entry.id in ids:
            raise ConfigError(f"{here}: id {entry.id!r} appears twice")
        ids.add(entry.id)
        for key in keys:
            owner = owners.setdefault(address_from_public_key(key), entry.id)
            if owner != entry.id:
                raise ConfigError(f"{here}: public key {key.hex()} belongs to {owner!r} too")


__all__ = ["GenesisInstitution", "GovernanceGenesis", "verify_governance_genesis"]
