"""The vote module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidBallot(ModuleError):
    """A create whose id, title, options, weighting or heights break a rule (the message says
    which)."""

    code = "vote.invalid_ballot"


class BallotExists(ModuleError):
    code = "vote.ballot_exists"


class UnknownBallot(ModuleError):
    code = "vote.unknown_ballot"


class NotAllowed(ModuleError):
    """The sender may not do this: create a ballot (not on the genesis allow-list) or add
    voters (not the ballot's creator)."""

    code = "vote.not_allowed"


class InvalidVoters(ModuleError):
    """A voter listed twice or already eligible, or more voters than a ballot may have."""

    code = "vote.invalid_voters"


class VotersFixed(ModuleError):
    """Voters are added only before the ballot opens, and never to a balance-weighted one."""

    code = "vote.voters_fixed"


class ClosingHeightFull(ModuleError):
    """As many ballots as one block may close already close at that height."""

    code = "vote.closing_height_full"


class NotVoting(ModuleError):
    """A vote or commitment outside the ballot's voting heights."""

    code = "vote.not_voting"


class NotRevealing(ModuleError):
    """A reveal outside the ballot's reveal window."""

    code = "vote.not_revealing"


class WrongKind(ModuleError):
    """A public vote on a secret ballot, or a commitment or reveal on a public one."""

    code = "vote.wrong_kind"


class NotEligible(ModuleError):
    code = "vote.not_eligible"


class InvalidOption(ModuleError):
    code = "vote.invalid_option"


class AlreadyVoted(ModuleError):
    """The ballot counts one vote per voter and does not allow a later one to replace it."""

    code = "vote.already_voted"


class NoCommitment(ModuleError):
    code = "vote.no_commitment"


class AlreadyRevealed(ModuleError):
    code = "vote.already_revealed"


class CommitmentMismatch(ModuleError):
    """The option and salt revealed do not hash to the voter's commitment."""

    code = "vote.commitment_mismatch"


class InvalidSalt(ModuleError):
    code = "vote.invalid_salt"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidBallot,
    BallotExists,
    UnknownBallot,
    NotAllowed,
    InvalidVoters,
    VotersFixed,
    ClosingHeightFull,
    NotVoting,
    NotRevealing,
    WrongKind,
    NotEligible,
    InvalidOption,
    AlreadyVoted,
    NoCommitment,
    AlreadyRevealed,
    CommitmentMismatch,
    InvalidSalt,
)

__all__ = [
    "ERRORS",
    "AlreadyRevealed",
    "AlreadyVoted",
    "BallotExists",
    "ClosingHeightFull",
    "CommitmentMismatch",
    "InvalidBallot",
    "InvalidOption",
    "InvalidSalt",
    "InvalidVoters",
    "NoCommitment",
    "NotAllowed",
    "NotEligible",
    "NotRevealing",
    "NotVoting",
    "UnknownBallot",
    "VotersFixed",
    "WrongKind",
]
