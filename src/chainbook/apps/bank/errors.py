"""The bank's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InsufficientFunds(ModuleError):
    code = "bank.insufficient_funds"

    def __init__(self, *, needed: int, available: int) -> None:
        super().__init__(f"insufficient funds: needed {needed}, available {available}")
        self.needed = needed
        self.available = available


class UnknownAccount(ModuleError):
    """The sender has never received coins, so it cannot send any."""

    code = "bank.unknown_account"


class InvalidAmount(ModuleError):
    code = "bank.invalid_amount"


class MemoTooLong(ModuleError):
    code = "bank.memo_too_long"


class TooManyOutputs(ModuleError):
    code = "bank.too_many_outputs"


ERRORS: tuple[type[ModuleError], ...] = (
    InsufficientFunds,
    UnknownAccount,
    InvalidAmount,
    MemoTooLong,
    TooManyOutputs,
)

__all__ = [
    "ERRORS",
    "InsufficientFunds",
    "InvalidAmount",
    "MemoTooLong",
    "TooManyOutputs",
    "UnknownAccount",
]
