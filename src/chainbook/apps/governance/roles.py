"""The roles an institution may hold: one closed vocabulary that every module relies on.

A module that trusts institutions asks governance's `institution` query with one of these
names (a module folder never imports another, so it writes the name as a string); an unknown
name is refused by the query itself, so a typo shows up in the module's first test instead of
silently never matching. A new use needs a new line here (with the module that relies on it).
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "issuer": "issues digital assets (assets)",
    "taxpayer": "issues and receives e-invoices (invoice)",
    "tax_authority": "receives and audits e-invoices (invoice)",
    "court": "seals and orders evidence (evidence)",
    "notary_office": "notarizes documents and evidence (evidence)",
    "forensic_centre": "attests forensic findings (evidence)",
    "certificate_authority": "certifies keys and certificates (identity)",
    "credential_authority": "issues verifiable credentials (identity)",
    "manufacturer": "registers products and their origin (trace)",
    "logistics_operator": "records custody and transport of goods (trace)",
    "customs": "records customs clearance (trace)",
    "device_owner": "registers IoT devices and their keys (iot)",
    "rights_manager": "registers works and collects royalties (royalties)",
    "election_authority": "runs ballots (voting)",
    "auditor": "reads and attests records for a regulator",
    "regulator": "oversees the other institutions",
}
"""Role name -> who holds it (and the module that relies on it)."""


def is_known_role(role: str) -> bool:
    return role in ROLES


def describe_roles() -> str:
    return ", ".join(sorted(ROLES))


__all__ = ["ROLES", "describe_roles", "is_known_role"]
