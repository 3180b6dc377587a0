"""The ip module's bounds on what a client controls (unit last)."""

title_bytes_max = 256
"""UTF-8 bytes of a work's title (1 at least)."""
author_bytes_max = 256
"""UTF-8 bytes of the author's name as filed (1 at least)."""
metadata_bytes_max = 2048
"""UTF-8 bytes of a filing's metadata (free text, typically JSON; may be empty)."""
scope_bytes_max = 512
"""UTF-8 bytes of a licence's scope (what is licensed: territory, media, exclusivity...)."""
history_entries_max = 1_000
"""Entries in a work's history (its registration, licences and transfers): a work's record
and the cost of reading its history stay bounded whatever its owner does."""
history_page_entries_max = 32
"""Entries one `history` query answers (with the work's record, 33 state keys: a proven query
covers at most 64, chainbook.ledger.proven_query)."""
genesis_works_max = 100_000
"""Registrations imported by the genesis file from an earlier register."""

LIMITS = {
    "title_bytes_max": title_bytes_max,
    "author_bytes_max": author_bytes_max,
    "metadata_bytes_max": metadata_bytes_max,
    "scope_bytes_max": scope_bytes_max,
    "history_entries_max": history_entries_max,
    "history_page_entries_max": history_page_entries_max,
    "genesis_works_max": genesis_works_max,
}

__all__ = [
    "LIMITS",
    "author_bytes_max",
    "genesis_works_max",
    "history_entries_max",
    "history_page_entries_max",
    "metadata_bytes_max",
    "scope_bytes_max",
    "title_bytes_max",
]
