"""The evidence module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidCase(ModuleError):
    """A case id, title, description or record list outside its rules or limits."""

    code = "evidence.invalid_case"


class CaseExists(ModuleError):
    """Case ids are never reused; the message names the existing case."""

    code = "evidence.case_exists"


class UnknownCase(ModuleError):
    code = "evidence.unknown_case"


class InvalidPolicy(ModuleError):
    """A policy that can never be met: k outside 1..n, an unknown or non-endorsing role, an
    institution not registered, revoked, without an endorsing role, or named twice."""

    code = "evidence.invalid_policy"


class DigestMismatch(ModuleError):
    """An endorsement names a digest other than the case's: it endorses other content."""

    code = "evidence.digest_mismatch"


class NotAnInstitution(ModuleError):
    """The endorsement's signer is not a key of any registered institution."""

    code = "evidence.not_an_institution"


class InstitutionRevoked(ModuleError):
    code = "evidence.institution_revoked"


class RoleMissing(ModuleError):
    """The institution holds none of the endorsing roles (court, notary_office,
    forensic_centre, certificate_authority)."""

    code = "evidence.role_missing"


class AlreadyEndorsed(ModuleError):
    """An institution endorses a case once (with any of its keys)."""

    code = "evidence.already_endorsed"


class EndorsementsFull(ModuleError):
    code = "evidence.endorsements_full"


class InvalidStatement(ModuleError):
    code = "evidence.invalid_statement"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidCase,
    CaseExists,
    UnknownCase,
    InvalidPolicy,
    DigestMismatch,
    NotAnInstitution,
    InstitutionRevoked,
    RoleMissing,
    AlreadyEndorsed,
    EndorsementsFull,
    InvalidStatement,
)

__all__ = [
    "ERRORS",
    "AlreadyEndorsed",
    "CaseExists",
    "DigestMismatch",
    "EndorsementsFull",
    "InstitutionRevoked",
    "InvalidCase",
    "InvalidPolicy",
    "InvalidStatement",
    "NotAnInstitution",
    "RoleMissing",
    "UnknownCase",
]
