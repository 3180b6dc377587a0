"""The loans module's bounds on what a client controls (unit last)."""

loan_id_chars_max = 64
"""Characters of a loan id (A-Z a-z 0-9 . _ : -), chosen by the parties (a contract number)."""
principal_max = 2**63 - 1
"""Base units of a principal. Unpaid interest never exceeds the principal outstanding (the in
duplum rule, apps/loans/accrual.py), so what is owed stays below 2 * principal_max < 2**64."""
rate_bps_max = 100_000
"""Interest per period in basis points (100_000: 1,000 % a period)."""
period_blocks_max = 100_000_000
"""Blocks of one interest period (and the least: 1)."""
instalments_max = 120
"""Instalments of one schedule (ten years of monthly instalments)."""
due_blocks_max = 100_000_000
"""Blocks from the disbursement to the last instalment's due height."""
grace_blocks_max = 100_000_000
"""Blocks after a missed due height before the lender may declare the loan in default."""
memo_bytes_max = 256
"""UTF-8 bytes of a loan's memo (its purpose, in words)."""
offer_blocks_max = 1_000_000
"""Blocks an offer stays open for acceptance."""
open_offers_per_lender_max = 64
"""Offers one lender has open at once (each holds its principal in escrow)."""
loans_per_party_max = 100_000
"""Loans one account takes part in per role (as lender, as borrower): its credit record."""
payments_per_loan_max = 1_000
"""Partial repayments and partial forgivenesses of one loan. The entry that closes it (a full
repayment or forgiveness, or a default and the claim of its collateral) always fits."""
page_loans_max = 20
"""Loans in one page of a party's credit record: a page reads 1 + 2 x 20 state keys, inside a
proven query's 64 (ledger/proven_query.py)."""
page_payments_max = 50
"""History entries in one page of a loan's history (1 + 50 state keys read)."""
blocks_ahead_max = 100_000_000
"""How far ahead the `outstanding` query projects what will be owed."""

LIMITS = {
    "loan_id_chars_max": loan_id_chars_max,
    "principal_max": principal_max,
    "rate_bps_max": rate_bps_max,
    "period_blocks_max": period_blocks_max,
    "instalments_max": instalments_max,
    "due_blocks_max": due_blocks_max,
    "grace_blocks_max": grace_blocks_max,
    "memo_bytes_max": memo_bytes_max,
    "offer_blocks_max": offer_blocks_max,
    "open_offers_per_lender_max": open_offers_per_lender_max,
    "loans_per_party_max": loans_per_party_max,
    "payments_per_loan_max": payments_per_loan_max,
    "page_loans_max": page_loans_max,
    "page_payments_max": page_payments_max,
    "blocks_ahead_max": blocks_ahead_max,
}

__all__ = [
    "LIMITS",
    "blocks_ahead_max",
    "due_blocks_max",
    "grace_blocks_max",
    "instalments_max",
    "loan_id_chars_max",
    "loans_per_party_max",
    "memo_bytes_max",
    "offer_blocks_max",
    "open_offers_per_lender_max",
    "page_loans_max",
    "page_payments_max",
    "payments_per_loan_max",
    "period_blocks_max",
    "principal_max",
    "rate_bps_max",
]
