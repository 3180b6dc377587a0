"""The evidence module's bounds on what a client controls (unit last)."""

case_id_chars_max = 64
"""Characters of a case id (a-z, 0-9, '.', '_', '-'; 1 at least)."""
title_bytes_max = 256
"""UTF-8 bytes of a case's title (1 at least)."""
description_bytes_max = 2048
"""UTF-8 bytes of a case's description (free text, may be empty)."""
documents_max = 64
"""Records (contract, chat logs, payment records, ...) of one case file (1 at least)."""
document_name_bytes_max = 128
"""UTF-8 bytes of one record's name (1 at least)."""
policy_entries_max = 16
"""Entries (roles or institutions) of a case's endorsement policy: the n of "k of n"."""
endorsements_max = 16
"""Endorsements one case may hold. With the policy's institutions this bounds the `policy`
query to 1 + 16 endorsement keys + 16 institution records = 33 state keys, inside a proven
query's 64 (chainbook.ledger.proven_query), so every answer can be proven."""
statement_bytes_max = 512
"""UTF-8 bytes of an endorsement's statement (what the institution attests; may be empty)."""

LIMITS = {
    "case_id_chars_max": case_id_chars_max,
    "title_bytes_max": title_bytes_max,
    "description_bytes_max": description_bytes_max,
    "documents_max": documents_max,
    "document_name_bytes_max": document_name_bytes_max,
    "policy_entries_max": policy_entries_max,
    "endorsements_max": endorsements_max,
    "statement_bytes_max": statement_bytes_max,
}

__all__ = [
    "LIMITS",
    "case_id_chars_max",
    "description_bytes_max",
    "document_name_bytes_max",
    "documents_max",
    "endorsements_max",
    "policy_entries_max",
    "statement_bytes_max",
    "title_bytes_max",
]
