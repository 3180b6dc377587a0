"""The invoice module's bounds on what a client controls (unit last)."""

number_chars_max = 40
"""An invoice number is 1..40 characters of A-Z a-z 0-9 . _ - chosen by its seller (the 8 or
20 digits a tax bureau assigns fit), unique within the seller institution."""
lines_max = 32
"""Line items of one invoice (1 at least). With description_bytes_max, the largest invoice
stays well inside one transaction (chainbook.limits.tx_bytes_max; tested at the edge)."""
description_bytes_max = 96
"""UTF-8 bytes of a line's description (1 at least): 32 Chinese characters."""
quantity_max = 10**9
"""Units of one line (1 at least)."""
tax_rate_bps_max = 10_000
"""A line's tax rate in basis points: 0 (exempt) to 10,000 (100 %); VAT's 13 % is 1,300."""
amount_max = 2**64 - 1
"""MessagePack's largest unsigned integer: an invoice's total, a reimbursement, and the
running sum of a seller's paid invoices in one token (what `totals` subtracts) stay at or
below it. 1.8 x 10^19 base units: 1.8 x 10^17 CNY at 2 decimals; no real seller reaches it,
and refusing past it keeps every replicated number a MessagePack integer."""
reason_bytes_max = 256
"""UTF-8 bytes of a void's reason (may be empty)."""
page_items_max = 10
"""Invoices one page answers. A page reads its list's counter, the L entries a binary search
for its first height reads (L = ceil(log2(n + 1)) for a list of n; the last of them is the
page's first entry), two keys per invoice (its list entry and its record) and the entry after
the last: at most L + 21 state keys, 61 for the chain-wide list at its longest, inside what a
proven query covers (64, chainbook.ledger.proven_query)."""
party_entries_max = 2**31 - 1
"""Entries of one seller's or one buyer's list, and of one seller's running sums in one
token. `totals` searches its sums twice and subtracts the entries its searches ended on:
1 + 2 x 31 = 63 state keys at this length, and 65 at twice it (so this is the bound). Two
billion invoices per seller and token; past it the seller's next invoice in that token is
refused (invoice.list_full) rather than left unprovable."""
chain_entries_max = 2**40 - 1
"""Entries of the chain-wide list by height (`by_period`): a page reads 61 state keys at this
length (page_items_max)."""

LIMITS = {
    "number_chars_max": number_chars_max,
    "lines_max": lines_max,
    "description_bytes_max": description_bytes_max,
    "quantity_max": quantity_max,
    "tax_rate_bps_max": tax_rate_bps_max,
    "amount_max": amount_max,
    "reason_bytes_max": reason_bytes_max,
    "page_items_max": page_items_max,
    "party_entries_max": party_entries_max,
    "chain_entries_max": chain_entries_max,
}

__all__ = [
    "LIMITS",
    "amount_max",
    "chain_entries_max",
    "description_bytes_max",
    "lines_max",
    "number_chars_max",
    "page_items_max",
    "party_entries_max",
    "quantity_max",
    "reason_bytes_max",
    "tax_rate_bps_max",
]
