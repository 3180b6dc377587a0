"""Amounts between the ledger's integers and the units people read, with no float anywhere.

    to_display(12_500_000)      -> "12.5"        (6 decimals: 1 CBK = 1,000,000 units)
    from_display("12.5")        -> 12_500_000
    from_display("0.0000001")   -> InvalidAmount (finer than the smallest unit)

Rules kept: the display form is ASCII digits with at most one "." (no exponent, no sign,
no thousands separator, no Unicode digits); more decimals than the coin has is refused,
never rounded; integers are exact at any size.
"""

from __future__ import annotations

import re

from chainbook.errors import InvalidInput

COIN_DECIMALS = 6
COIN_SYMBOL = "CBK"

_DISPLAY = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


def to_display(amount: int, decimals: int = COIN_DECIMALS) -> str:
    """12_500_000 -> "12.5"; trailing zeros dropped, "-" kept for a negative amount."""
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**decimals)
    fraction_text = f"{fraction:0{decimals}d}".rstrip("0") if decimals else ""
    return f"{sign}{whole}{'.' + fraction_text if fraction_text else ''}"


def from_display(text: str, decimals: int = COIN_DECIMALS) -> int:
    """"12.5" -> 12_500_000; InvalidAmount naming the text and what is accepted."""
    match = _DISPLAY.fullmatch(text.strip())
    if match is None:
        raise InvalidAmount(
            f"amount must be ASCII digits with an optional '.', e.g. 12.5, got {text!r}"
        )
    whole, fraction = match[1], match[2] or ""
    if len(fraction) > decimals:
        raise InvalidAmount(
            f"amount {text!r} has {len(fraction)} decimals; the coin has {decimals}"
        )
    scale: int = 10**decimals
    return int(whole) * scale + int(fraction.ljust(decimals, "0") or "0")


def format_amount(amount: int, decimals: int = COIN_DECIMALS) -> str:
    """For people: 12_500_000 -> "12.5 CBK", thousands separated."""
    text = to_display(amount, decimals)
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{grouped}{'.' + fraction if fraction else ''} {COIN_SYMBOL}"


__all__ = [
    "COIN_DECIMALS",
    "COIN_SYMBOL",
    "InvalidAmount",
    "format_amount",
    "from_display",
    "to_display",
]
