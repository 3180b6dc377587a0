"""The institution registry's contract: the types and roles every module that trusts
institutions builds on (assets: issuers; invoice: taxpayers; evidence: courts, notaries,
forensic centres; trace: manufacturers; identity: credential authorities; iot: device owners).

It lives outside any module folder so that a module can use it without importing governance
(a module folder never imports another, tests/test_layers.py); governance answers it:

    in a query:    answer = ctx.ask("governance", "institution", InstitutionRequest(...))
    in an action:  answer = view.call("governance", "institution", ctx, InstitutionRequest(...))
    if not answer.authorised: refuse

    InstitutionRequest   exactly one of
                             id          str        the institution's id ("central-bank")
                             address     bin(20)    the address of one of its keys (a tx sender)
                             public_key  bin(32)    one of its Ed25519 public keys
                         and optionally
                             role        str        one of ROLES; "" asks about any role
    InstitutionAnswer    found       bool   an institution with that id or key was ever
                                            registered (revoked ones included)
                         authorised  bool   found, not revoked, and holding `role` (any role
                                            when `role` is ""): the one flag to decide on
                         institution InstitutionView | None   the record (None iff not found)
    InstitutionView      id, name, roles (sorted), public_keys, addresses (of the keys, same
                         order), status ("active" | "revoked"), registered_height,
                         updated_height, revoked_height (0 if active), revoke_reason

Refused: none or several of id/address/public_key, a wrong length, and an unknown role (a
query answers HTTP 400 / InvalidField; the export refuses the calling action with
governance.invalid_request), so a misspelt role fails in a module's first test instead of
silently never matching.

The answer is about the state it runs on: the committed state for a query, the state of the
block being executed for the export (a registration that took effect at this height counts).
Registry changes take effect at their activation height; a revoked institution keeps its
record and its keys (which never pass as another institution's), with its heights, so a module
can judge a signature made before the revocation. A new role is one line in ROLES (with the
module that relies on it).
"""

from __future__ import annotations

import msgspec

from chainbook.types import Address, Height

ROLES: dict[str, str] = {
    "issuer": "issues digital assets (assets)",
    "bank": "holds accounts and shares risk and trade-finance records (private)",
    "taxpayer": "issues and receives e-invoices (invoice)",
    "tax_authority": "receives and audits e-invoices (invoice)",
    "court": "seals and orders evidence (evidence)",
    "notary_office": "notarizes documents and evidence (evidence)",
    "forensic_centre": "attests forensic findings (evidence)",
    "certificate_authority": "certifies keys and certificates (identity)",
    "credential_authority": "issues verifiable credentials (identity)",
    "civil_registry": "records births, deaths and marriages (identity)",
    "university": "awards degrees (identity)",
    "land_registry": "records property titles (identity)",
    "licensing_body": "licenses professionals (identity)",
    "manufacturer": "registers products and their origin (trace)",
    "logistics_operator": "records custody and transport of goods (trace)",
    "customs": "records customs clearance (trace)",
    "retailer": "holds goods for sale and sells them to consumers (trace)",
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




class InstitutionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Names an institution by exactly one of id, address or public_key; `role` optional."""

    id: str = ""
    address: bytes = b""
    public_key: bytes = b""
    role: str = ""


class InstitutionView(msgspec.Struct, frozen=True):
    """An institution's record as the registry shows it."""

    id: str
    name: str
    roles: list[str]
    public_keys: list[bytes]
    addresses: list[Address]
    status: str
    """"active" or "revoked"."""
    registered_height: Height
    updated_height: Height
    revoked_height: Height
    revoke_reason: str


class InstitutionAnswer(msgspec.Struct, frozen=True):
    found: bool
    """An institution with that id or key was ever registered (revoked ones included)."""
    authorised: bool
    """Found, not revoked, and holding the role asked (any role when none was)."""
    institution: InstitutionView | None


__all__ = [
    "ROLES",
    "InstitutionAnswer",
    "InstitutionRequest",
    "InstitutionView",
    "describe_roles",
    "is_known_role",
]
