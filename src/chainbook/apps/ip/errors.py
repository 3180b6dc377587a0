"""The ip module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class AlreadyRegistered(ModuleError):
    """The work was filed before; the message names that filing (who, when, which height)."""

    code = "ip.already_registered"


class UnknownWork(ModuleError):
    code = "ip.unknown_work"


class NotOwner(ModuleError):
    """Only the current owner records licences and transfers; the message names the owner."""

    code = "ip.not_owner"


class InvalidText(ModuleError):
    """A title, author, metadata or scope empty where required, or over its limit."""

    code = "ip.invalid_text"


class InvalidPeriod(ModuleError):
    """A licence period with an unknown unit, or an end not after its start."""

    code = "ip.invalid_period"


class InvalidParty(ModuleError):
    """A licence to, or a transfer to, the owner itself: it would record nothing."""

    code = "ip.invalid_party"


class HistoryFull(ModuleError):
    code = "ip.history_full"


ERRORS: tuple[type[ModuleError], ...] = (
    AlreadyRegistered,
    UnknownWork,
    NotOwner,
    InvalidText,
    InvalidPeriod,
    InvalidParty,
    HistoryFull,
)

__all__ = [
    "ERRORS",
    "AlreadyRegistered",
    "HistoryFull",
    "InvalidParty",
    "InvalidPeriod",
    "InvalidText",
    "NotOwner",
    "UnknownWork",
]
