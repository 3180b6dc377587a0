"""The notary's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class AlreadyAnchored(ModuleError):
    """The digest was anchored before; the message names that first anchoring (its receipt is
    the proof of existence)."""

    code = "notary.already_anchored"


class TextTooLong(ModuleError):
    """A title or metadata over its limit."""

    code = "notary.text_too_long"


class InvalidBatch(ModuleError):
    """A batch's number of documents outside 1..batch_hashes_max."""

    code = "notary.invalid_batch"


ERRORS: tuple[type[ModuleError], ...] = (AlreadyAnchored, TextTooLong, InvalidBatch)

__all__ = ["ERRORS", "AlreadyAnchored", "InvalidBatch", "TextTooLong"]
