"""The royalty module's bounds on what a client controls (unit last).

The key budgets below are against chainbook.ledger.proven_query.PROVEN_KEYS_MAX (64; not
imported: the ledger imports the registry, which imports this module); tests/apps/royalty
checks them against the real value and the real queries."""

share_total_bps = 10_000
"""The shares of a split table are basis points summing to exactly this (100 %)."""
holders_per_work_max = 16
"""Holders in one split table: a payment is then at most 16 transfers and 17 events."""
prices_max = 8
"""Use kinds in a work's price table (download, stream, licence, ...)."""
use_chars_max = 24
"""A use kind is 1..24 characters of a-z 0-9 _ -, the first a letter."""
work_id_chars_max = 64
"""A work id is 1..64 characters of A-Z a-z 0-9 . _ : - (an ISRC, an ISWC, a label's code)."""
title_bytes_max = 256
"""UTF-8 bytes of a work's title (1 at least)."""
reference_bytes_max = 64
"""UTF-8 bytes of a payment's reference (a licence number, an invoice number; may be empty)."""
uses_max = 10**9
"""Uses one payment pays for (a streaming service pays a month of plays in one payment)."""
amount_max = 2**64 - 1
"""MessagePack's largest unsigned integer: a price, a payment and every total stay below it."""
log_entries_max = 2**28 - 1
"""Payments one work records, and payments one holder receives in one token. The statements
find a period by binary search over these logs: two searches of at most 28 probes, the
counter and two boundary entries read at most 59 state keys, inside what a proven query covers
(PROVEN_KEYS_MAX, 64). About 268 million: a work paid that often is paid in batches (`uses`)."""
split_versions_max = 1_000
"""Split tables one work ever has (its registration's and 999 changes)."""
holder_works_max = 100_000
"""Works one account is ever listed as a holder of (the `works_of` list is append-only)."""
catalogue_works_max = 1_000_000
"""Works one rights-manager institution registers (its `catalogue`)."""
page_items_max = 20
"""Items one paged query answers: with the record or counter it reads first and at most three
keys per item (works_of: the list entry, the work and the holder's total in it),
1 + 3 * 20 = 61 state keys, inside what a proven query covers (64)."""
genesis_works_max = 100_000
"""Works a genesis file imports (a label's or a society's catalogue)."""

LIMITS = {
    "holders_per_work_max": holders_per_work_max,
    "prices_max": prices_max,
    "use_chars_max": use_chars_max,
    "work_id_chars_max": work_id_chars_max,
    "title_bytes_max": title_bytes_max,
    "reference_bytes_max": reference_bytes_max,
    "uses_max": uses_max,
    "log_entries_max": log_entries_max,
    "split_versions_max": split_versions_max,
    "holder_works_max": holder_works_max,
    "catalogue_works_max": catalogue_works_max,
    "page_items_max": page_items_max,
    "genesis_works_max": genesis_works_max,
}

__all__ = [
    "LIMITS",
    "amount_max",
    "catalogue_works_max",
    "genesis_works_max",
    "holder_works_max",
    "holders_per_work_max",
    "log_entries_max",
    "page_items_max",
    "prices_max",
    "reference_bytes_max",
    "share_total_bps",
    "split_versions_max",
    "title_bytes_max",
    "use_chars_max",
    "uses_max",
    "work_id_chars_max",
]
