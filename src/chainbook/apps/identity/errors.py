"""The identity module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidType(ModuleError):
    """A credential type outside the known set (apps/identity/state.py CREDENTIAL_TYPES)."""

    code = "identity.invalid_type"


class InvalidSubject(ModuleError):
    """A subject that is neither 20 bytes (an address) nor 32 (a hash of an identifier)."""

    code = "identity.invalid_subject"


class InvalidValidity(ModuleError):
    """An end of validity not after this height, or too far after it."""

    code = "identity.invalid_validity"


class NotAuthorised(ModuleError):
    """The sender is not a key of an active institution holding the role the credential type
    needs (unregistered, revoked, or another role); the message says which."""

    code = "identity.not_authorised"


class AlreadyIssued(ModuleError):
    """The commitment names a credential already; the message names its issuer and height."""

    code = "identity.already_issued"


class UnknownCredential(ModuleError):
    code = "identity.unknown_credential"


class NotIssuer(ModuleError):
    """Only the institution that issued a credential revokes it."""

    code = "identity.not_issuer"


class AlreadyRevoked(ModuleError):
    code = "identity.already_revoked"


class InvalidReason(ModuleError):
    """A revocation's reason empty or over its limit."""

    code = "identity.invalid_reason"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidType,
    InvalidSubject,
    InvalidValidity,
    NotAuthorised,
    AlreadyIssued,
    UnknownCredential,
    NotIssuer,
    AlreadyRevoked,
    InvalidReason,
)

__all__ = [
    "ERRORS",
    "AlreadyIssued",
    "AlreadyRevoked",
    "InvalidReason",
    "InvalidSubject",
    "InvalidType",
    "InvalidValidity",
    "NotAuthorised",
    "NotIssuer",
    "UnknownCredential",
]
