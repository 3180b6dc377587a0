"""The assets module's bounds on what a client controls (unit last)."""

symbol_chars_min = 2
symbol_chars_max = 12
"""A token symbol is 2..12 characters of A-Z and 0-9, starting with a letter."""
token_name_bytes_max = 64
"""UTF-8 bytes of a token's name (1 at least)."""
decimals_max = 18
"""A token's decimals (0..18, as ERC-20 tokens customarily stop at 18)."""
amount_max = 2**64 - 1
"""MessagePack's largest unsigned integer: every supply, cap and balance stays at or below it."""
memo_bytes_max = 256
"""UTF-8 bytes of a token transfer's memo (the bank's limit)."""
asset_id_chars_max = 64
"""A registered asset's id is 1..64 characters of A-Z a-z 0-9 . _ : - (case-sensitive)."""
asset_history_entries_max = 100_000
"""Entries in one asset's ownership history (its registration and transfers): a record and
its history's keys stay bounded whatever its owners do; far more transfers than a title or a
work of art sees in its life."""
page_items_max = 20
"""Items one paged query answers (balances, holders, tokens, asset history, assets of an
owner): with its counter or record and at most three keys per item (the list entry, the
balance, the freeze), 1 + 3 * 20 = 61 state keys, inside what a proven query covers (64,
chainbook.ledger.proven_query)."""
genesis_tokens_max = 1_000
"""Tokens imported by the genesis file."""
genesis_balances_max = 100_000
"""Balances imported by the genesis file, over all its tokens."""
genesis_assets_max = 100_000
"""Registered assets imported by the genesis file from an earlier register."""

LIMITS = {
    "symbol_chars_max": symbol_chars_max,
    "token_name_bytes_max": token_name_bytes_max,
    "decimals_max": decimals_max,
    "amount_max": amount_max,
    "memo_bytes_max": memo_bytes_max,
    "asset_id_chars_max": asset_id_chars_max,
    "asset_history_entries_max": asset_history_entries_max,
    "page_items_max": page_items_max,
    "genesis_tokens_max": genesis_tokens_max,
    "genesis_balances_max": genesis_balances_max,
    "genesis_assets_max": genesis_assets_max,
}

__all__ = [
    "LIMITS",
    "amount_max",
    "asset_history_entries_max",
    "asset_id_chars_max",
    "decimals_max",
    "genesis_assets_max",
    "genesis_balances_max",
    "genesis_tokens_max",
    "memo_bytes_max",
    "page_items_max",
    "symbol_chars_max",
    "symbol_chars_min",
    "token_name_bytes_max",
]
