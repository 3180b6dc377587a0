"""The bank's bounds on what a client controls (unit last)."""

multi_transfer_recipients_max = 100
"""Outputs of one bank.multi_transfer."""
memo_bytes_max = 256
"""UTF-8 bytes of a memo."""

LIMITS = {
    "multi_transfer_recipients_max": multi_transfer_recipients_max,
    "memo_bytes_max": memo_bytes_max,
}

__all__ = ["LIMITS", "memo_bytes_max", "multi_transfer_recipients_max"]
