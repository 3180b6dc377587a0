"""The institution registry: who other modules trust, in which roles, under which keys.

Rules kept:
- An institution has a stable id (lowercase letters, digits, '.', '_', '-'; starting with a
  letter or digit; at most institution_id_chars_max characters), a name, 1..institution_roles_max
  roles from apps/institutions.py (stored sorted, no repeats) and 1..institution_keys_max
  Ed25519 public keys. A key belongs to at most one institution (registered, revoked or
  scheduled), so "which institution signed this?" has one answer.
- Register: a new id. Update: replaces name, roles and keys of an institution that is not
  revoked (its keys may stay). Revoke: final; the record stays (answers name it, revoked, with
  no authority) and its keys stay bound to it, so a revoked key can never pass as another's.
- Ids are never reused. Every change passes governance and takes effect at its activation
  height; changes waiting in the schedule count as taken when a later one is checked.
- Other modules read the registry only through the `institution` query or export, whose
  contract is apps/institutions.py; nothing here is imported by another module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chainbook.apps.base import KVReader, KVStore
from chainbook.apps.governance import limits
from chainbook.apps.governance.actions import (
    InstitutionChange,
    RegisterInstitution,
    RevokeInstitution,
    UpdateInstitution,
)
from chainbook.apps.governance.errors import InstitutionConflict, InvalidProposal
from chainbook.apps.governance.state import (
    INSTITUTION_COUNT_KEY,
    INSTITUTION_KEY_PREFIX,
    INSTITUTION_PREFIX,
    INSTITUTION_SEQ_PREFIX,
    InstitutionRecord,
    get_institution,
    get_institution_id_of_key,
    get_schedule,
    process_append,
    write,
)
from chainbook.apps.institutions import describe_roles, is_known_role
from chainbook.crypto import PUBLIC_KEY_BYTES, address_from_public_key
from chainbook.types import Address, Height

INSTITUTION_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


# --- checks of one change -------------------------------------------------------------------


def verify_institution_id(institution_id: str) -> None:
    if (
        not INSTITUTION_ID_PATTERN.match(institution_id)
        or len(institution_id) > limits.institution_id_chars_max
    ):
        raise InvalidProposal(
            f"institution id {institution_id!r}: use lowercase letters, digits, '.', '_' and "
            f"'-', starting with a letter or digit, at most {limits.institution_id_chars_max}"
        )


def verify_institution_fields(
    name: str, roles: Sequence[str], public_keys: Sequence[bytes]
) -> None:
    size = len(name.encode())
    if not 1 <= size <= limits.name_bytes_max:
        raise InvalidProposal(
            f"institution name is {size} bytes of UTF-8, accepted 1..{limits.name_bytes_max}"
        )
    if not 1 <= len(roles) <= limits.institution_roles_max:
        raise InvalidProposal(f"{len(roles)} roles, accepted 1..{limits.institution_roles_max}")
    for role in roles:
        if not is_known_role(role):
            raise InvalidProposal(f"unknown role {role!r}; roles: {describe_roles()}")
    if len(set(roles)) != len(roles):
        raise InvalidProposal(f"a role is named twice: {sorted(roles)}")
    if not 1 <= len(public_keys) <= limits.institution_keys_max:
        raise InvalidProposal(
            f"{len(public_keys)} public keys, accepted 1..{limits.institution_keys_max}"
        )
    for key in public_keys:
        if len(key) != PUBLIC_KEY_BYTES:
            raise InvalidProposal(
                f"public key of {len(key)} bytes, expected {PUBLIC_KEY_BYTES} (Ed25519)"
            )
    if len(set(public_keys)) != len(public_keys):
        raise InvalidProposal("a public key is listed twice")


def _scheduled_institution_changes(view: KVReader) -> list[InstitutionChange]:
    return [
        item.change
        for item in get_schedule(view)
        if isinstance(item.change, RegisterInstitution | UpdateInstitution | RevokeInstitution)
    ]


def _verify_keys_free(view: KVReader, institution_id: str, public_keys: Sequence[bytes]) -> None:
    scheduled: dict[Address, str] = {}
    for change in _scheduled_institution_changes(view):
        if isinstance(change, RegisterInstitution | UpdateInstitution):
            for key in change.public_keys:
                scheduled[address_from_public_key(key)] = change.id
    for key in public_keys:
        address = address_from_public_key(key)
        holder = get_institution_id_of_key(view, address) or scheduled.get(address)
        if holder is not None and holder != institution_id:
            raise InstitutionConflict(
                f"public key {key.hex()} belongs to institution {holder!r} already"
            )


def verify_institution_change(view: KVReader, change: InstitutionChange) -> None:
    """Refuse a change that breaks a rule of the module docstring (the schedule included)."""
    verify_institution_id(change.id)
    existing = get_institution(view, change.id)
    scheduled = [c for c in _scheduled_institution_changes(view) if c.id == change.id]
    match change:
        case RegisterInstitution(id=institution_id, name=name, roles=roles, public_keys=keys):
            if existing is not None or any(isinstance(c, RegisterInstitution) for c in scheduled):
                raise InstitutionConflict(
                    f"institution {institution_id!r} exists already (ids are never reused)"
                )
            verify_institution_fields(name, roles, keys)
            _verify_keys_free(view, institution_id, keys)
        case UpdateInstitution(id=institution_id, name=name, roles=roles, public_keys=keys):
            _verify_not_revoked(existing, scheduled, institution_id)
            verify_institution_fields(name, roles, keys)
            _verify_keys_free(view, institution_id, keys)
        case RevokeInstitution(id=institution_id, reason=reason):
            _verify_not_revoked(existing, scheduled, institution_id)
            size = len(reason.encode())
            if size > limits.reason_bytes_max:
                raise InvalidProposal(
                    f"reason is {size} bytes of UTF-8, limit {limits.reason_bytes_max}"
                )


def _verify_not_revoked(
    existing: InstitutionRecord | None, scheduled: list[InstitutionChange], institution_id: str
) -> None:
    if existing is None:
        raise InstitutionConflict(
            f"no institution {institution_id!r} is registered (an update or revocation needs "
            "it registered first, not only scheduled)"
        )
    if (existing is not None and existing.revoked_height) or any(
        isinstance(c, RevokeInstitution) for c in scheduled
    ):
        raise InstitutionConflict(f"institution {institution_id!r} is revoked (for ever)")


# --- state changes --------------------------------------------------------------------------


def process_register(
    view: KVStore,
    institution_id: str,
    name: str,
    roles: Sequence[str],
    public_keys: Sequence[bytes],
    height: Height,
) -> InstitutionRecord:
    record = InstitutionRecord(
        id=institution_id,
        name=name,
        roles=sorted(roles),
        public_keys=list(public_keys),
        registered_height=height,
        updated_height=height,
        revoked_height=0,
        revoke_reason="",
    )
    _put(view, record)
    process_append(view, INSTITUTION_COUNT_KEY, INSTITUTION_SEQ_PREFIX, institution_id)
    return record


def process_institution_change(
    view: KVStore, change: InstitutionChange, height: Height
) -> InstitutionRecord:
    """Apply a scheduled change at its height (checked when it was scheduled; checked again
    here so a conflict is a refusal, never a broken registry)."""
    verify_institution_change(view, change)
    match change:
        case RegisterInstitution(id=institution_id, name=name, roles=roles, public_keys=keys):
            return process_register(view, institution_id, name, roles, keys, height)
        case UpdateInstitution(id=institution_id, name=name, roles=roles, public_keys=keys):
            existing = get_institution(view, institution_id)
            assert existing is not None
            for key in existing.public_keys:
                view.delete(INSTITUTION_KEY_PREFIX + address_from_public_key(key))
            record = InstitutionRecord(
                id=institution_id,
                name=name,
                roles=sorted(roles),
                public_keys=list(keys),
                registered_height=existing.registered_height,
                updated_height=height,
                revoked_height=0,
                revoke_reason="",
            )
            _put(view, record)
            return record
        case RevokeInstitution(id=institution_id, reason=reason):
            existing = get_institution(view, institution_id)
            assert existing is not None
            record = InstitutionRecord(
                id=existing.id,
                name=existing.name,
                roles=existing.roles,
                public_keys=existing.public_keys,
                registered_height=existing.registered_height,
                updated_height=height,
                revoked_height=height,
                revoke_reason=reason,
            )
            _put(view, record)
            return record
    raise AssertionError(f"not an institution change: {type(change).__name__}")


def _put(view: KVStore, record: InstitutionRecord) -> None:
    write(view, INSTITUTION_PREFIX + record.id.encode(), record)
    for key in record.public_keys:
        write(view, INSTITUTION_KEY_PREFIX + address_from_public_key(key), record.id)


def is_authorised(record: InstitutionRecord | None, role: str) -> bool:
    """Registered, not revoked, and holding `role` (any role when `role` is empty)."""
    if record is None or record.revoked_height:
        return False
    return not role or role in record.roles


__all__ = [
    "INSTITUTION_ID_PATTERN",
    "is_authorised",
    "process_institution_change",
    "process_register",
    "verify_institution_change",
    "verify_institution_fields",
    "verify_institution_id",
]
