"""The fees module's refusals: each names the fee, what was needed and what to do."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class FeeTooLow(ModuleError):
    code = "fees.fee_too_low"

    def __init__(self, *, fee: int, needed: int, tx_bytes: int, min_fee_per_byte: int) -> None:
        super().__init__(
            f"fee {fee} is below the minimum {needed} for {tx_bytes} bytes "
            f"({min_fee_per_byte} per byte of signed transaction); sign again with a fee >= "
            f"{needed}"
        )
        self.fee = fee
        self.needed = needed


class CannotPayFee(ModuleError):
    code = "fees.cannot_pay"

    def __init__(self, *, fee: int, available: int) -> None:
        super().__init__(
            f"the sender cannot pay its fee {fee}: it holds {available} of the native coin"
        )
        self.fee = fee
        self.available = available


ERRORS: tuple[type[ModuleError], ...] = (FeeTooLow, CannotPayFee)

__all__ = ["ERRORS", "CannotPayFee", "FeeTooLow"]
