"""Interest: simple interest on the principal outstanding, accrued block by block, in integers.

Rules kept (docs/APPS.md "loans" says the same in words):
- A loan of rate `rate_bps` per `period_blocks` owes, over `blocks` blocks during which its
  principal outstanding is P, exactly P x rate_bps x blocks / (10,000 x period_blocks) base
  units of interest. Only unpaid principal bears interest (no interest on interest).
- Integer arithmetic with no loss: the interest owed is kept as whole base units plus a carry,
  the remainder of that division (0 <= carry < 10,000 x period_blocks). Accruing over a span
  in one step or in several gives the same result, so what the `outstanding` query projects
  is what a repayment at that height finds. The rounding is therefore down, once: the
  borrower owes the whole units; the fraction left when the loan closes (less than one base
  unit) is dropped, in the borrower's favour. No unit is created or lost: interest is a debt,
  and only repayments, in whole units, move tokens.
- The in duplum rule: unpaid interest stops growing when it equals the principal
  outstanding (the carry is then 0). It bounds what is owed (at most twice the principal)
  and is how many jurisdictions cap arrears.
- Payments and forgiveness go to interest first, then to principal (compute_split).
"""

from __future__ import annotations

from chainbook.types import Amount

BPS = 10_000
"""Basis points in one whole (100 %)."""


def compute_denominator(period_blocks: int) -> int:
    return BPS * period_blocks


def compute_accrued(
    principal: Amount,
    interest: Amount,
    carry: int,
    rate_bps: int,
    period_blocks: int,
    blocks: int,
) -> tuple[Amount, int]:
    """(interest owed, carry) after `blocks` more blocks at principal outstanding `principal`."""
    assert blocks >= 0 and 0 <= interest <= principal, (blocks, interest, principal)
    denominator = compute_denominator(period_blocks)
    assert 0 <= carry < denominator, (carry, denominator)
    if blocks == 0 or rate_bps == 0 or principal == 0:
        return interest, carry
    total = carry + principal * rate_bps * blocks
    interest += total // denominator
    if interest >= principal:
        return principal, 0  # in duplum: unpaid interest never exceeds the principal
    return interest, total % denominator


def compute_split(amount: Amount, interest: Amount) -> tuple[Amount, Amount]:
    """(to interest, to principal) of a payment or forgiveness of `amount`: interest first."""
    assert amount >= 0 and interest >= 0, (amount, interest)
    to_interest = min(amount, interest)
    return to_interest, amount - to_interest


__all__ = ["BPS", "compute_accrued", "compute_denominator", "compute_split"]
