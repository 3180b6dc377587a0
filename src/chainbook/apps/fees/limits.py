"""The fees module's bounds (unit last)."""

min_fee_per_byte_max = 10**9
"""The largest minimum a genesis (or, later, governance) may set: the fee of the largest
transaction (8 KiB) then stays far below 2**64."""

LIMITS = {"min_fee_per_byte_max": min_fee_per_byte_max}

__all__ = ["LIMITS", "min_fee_per_byte_max"]
