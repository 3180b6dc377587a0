"""The settlement module's bounds on what a client controls (unit last)."""

memo_bytes_max = 256
"""UTF-8 bytes of a swap's, an offer's or a lock's memo (a payment reference; the bank's)."""
token_chars_max = 12
"""Characters of a token id: "" (the native coin) or an assets symbol of 2..12."""
open_offers_per_account_max = 100
"""Open offers one maker may have at once (accepted, cancelled and reclaimed ones free a
place): bounds what one account keeps in escrow and in the open list."""
open_locks_per_account_max = 100
"""Open hashed time-locks one sender may have at once (claimed and refunded ones free a place)."""
expiry_blocks_max = 1_000_000
"""How far ahead an offer's expiry height or a lock's deadline height may be, in blocks from
the block that creates it (about 11.5 days at one block a second): escrow never sits locked
for longer than its maker chose, within this horizon."""
preimage_bytes = 32
"""The exact size of an HTLC preimage (a claim with any other size is refused): 32 bytes, as
Lightning, Interledger and the common Ethereum HTLCs take, so one secret unlocks a lock on each
ledger. A bound but no fixed size would let the secret's holder pick a size that one ledger
takes and the other refuses, and claim on one side only."""
page_items_max = 20
"""Items one paged query answers: with its counter and two keys per item (the list entry and
the record), 1 + 2 * 20 = 41 state keys, inside what a proven query covers (64,
chainbook.ledger.proven_query)."""

LIMITS = {
    "memo_bytes_max": memo_bytes_max,
    "token_chars_max": token_chars_max,
    "open_offers_per_account_max": open_offers_per_account_max,
    "open_locks_per_account_max": open_locks_per_account_max,
    "expiry_blocks_max": expiry_blocks_max,
    "preimage_bytes": preimage_bytes,
    "page_items_max": page_items_max,
}

__all__ = [
    "LIMITS",
    "expiry_blocks_max",
    "memo_bytes_max",
    "open_locks_per_account_max",
    "open_offers_per_account_max",
    "page_items_max",
    "preimage_bytes",
    "token_chars_max",
]
