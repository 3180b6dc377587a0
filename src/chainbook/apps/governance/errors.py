"""Governance's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class NotAllowedToPropose(ModuleError):
    """The sender is neither a validator nor an account governance allows to propose."""

    code = "governance.not_allowed_to_propose"


class NotAValidator(ModuleError):
    """Only validators of the current height vote."""

    code = "governance.not_a_validator"


class UnknownProposal(ModuleError):
    code = "governance.unknown_proposal"


class ProposalClosed(ModuleError):
    """The proposal is no longer being voted on (passed, rejected, expired, withdrawn...)."""

    code = "governance.proposal_closed"


class AlreadyVoted(ModuleError):
    code = "governance.already_voted"


class VotingEnded(ModuleError):
    """A vote after the proposal's deadline height."""

    code = "governance.voting_ended"


class InvalidChoice(ModuleError):
    code = "governance.invalid_choice"


class NotTheAuthor(ModuleError):
    code = "governance.not_the_author"


class InvalidHeights(ModuleError):
    """A deadline or activation height outside what is accepted."""

    code = "governance.invalid_heights"


class InvalidProposal(ModuleError):
    """A title, name, id, role or key that breaks a rule of its kind."""

    code = "governance.invalid_proposal"


class UnknownParameter(ModuleError):
    code = "governance.unknown_parameter"


class ParameterOutOfRange(ModuleError):
    code = "governance.parameter_out_of_range"


class UnsafeValidatorSet(ModuleError):
    """The change would leave a validator set that cannot make progress (or cannot apply)."""

    code = "governance.unsafe_validator_set"


class TooManyOpenProposals(ModuleError):
    code = "governance.too_many_open_proposals"


class InstitutionConflict(ModuleError):
    """An institution id or key already taken, an unknown or revoked institution."""

    code = "governance.institution_conflict"


class InvalidRequest(ModuleError):
    """Another module called an export of governance with a request that breaks its contract."""

    code = "governance.invalid_request"


ERRORS: tuple[type[ModuleError], ...] = (
    NotAllowedToPropose,
    NotAValidator,
    UnknownProposal,
    ProposalClosed,
    AlreadyVoted,
    VotingEnded,
    InvalidChoice,
    NotTheAuthor,
    InvalidHeights,
    InvalidProposal,
    UnknownParameter,
    ParameterOutOfRange,
    UnsafeValidatorSet,
    TooManyOpenProposals,
    InstitutionConflict,
    InvalidRequest,
)

__all__ = [
    "ERRORS",
    "AlreadyVoted",
    "InstitutionConflict",
    "InvalidChoice",
    "InvalidHeights",
    "InvalidProposal",
    "InvalidRequest",
    "NotAValidator",
    "NotAllowedToPropose",
    "NotTheAuthor",
    "ParameterOutOfRange",
    "ProposalClosed",
    "TooManyOpenProposals",
    "UnknownParameter",
    "UnknownProposal",
    "UnsafeValidatorSet",
    "VotingEnded",
]
