"""Governance's bounds on what a client controls (unit last).

Every list the module keeps in one state value is bounded here, so no value grows with the
age of the chain: open proposals, scheduled changes, votes of a proposal, keys and roles of an
institution. What does grow (proposals, history, institutions, evidence) is kept one record
per key, and read by bounded pages.
"""

title_bytes_max = 200
"""UTF-8 bytes of a proposal title."""
name_bytes_max = 64
"""UTF-8 bytes of a validator's or an institution's name."""
reason_bytes_max = 256
"""UTF-8 bytes of a revocation reason."""
institution_id_chars_max = 64
institution_keys_max = 8
"""Public keys of one institution."""
institution_roles_max = 8
open_proposals_max = 32
"""Proposals being voted on at once, across all proposers."""
open_proposals_per_proposer_max = 4
scheduled_changes_max = 64
"""Passed changes waiting for their activation height."""
votes_per_proposal_max = 300
"""Votes recorded on one proposal (each from a validator of its height; a validator that
rotated its key may vote again under the new key, whose vote alone then counts)."""
proposers_max = 64
"""Accounts that are not validators but may submit proposals."""
page_items_max = 100
"""Items one query page returns."""
page_scan_max = 1_000
"""Records one query page reads while filtering (it then returns where to continue)."""

LIMITS = {
    "title_bytes_max": title_bytes_max,
    "name_bytes_max": name_bytes_max,
    "reason_bytes_max": reason_bytes_max,
    "institution_id_chars_max": institution_id_chars_max,
    "institution_keys_max": institution_keys_max,
    "institution_roles_max": institution_roles_max,
    "open_proposals_max": open_proposals_max,
    "open_proposals_per_proposer_max": open_proposals_per_proposer_max,
    "scheduled_changes_max": scheduled_changes_max,
    "votes_per_proposal_max": votes_per_proposal_max,
    "proposers_max": proposers_max,
    "page_items_max": page_items_max,
    "page_scan_max": page_scan_max,
}

__all__ = [
    "LIMITS",
    "institution_id_chars_max",
    "institution_keys_max",
    "institution_roles_max",
    "name_bytes_max",
    "open_proposals_max",
    "open_proposals_per_proposer_max",
    "page_items_max",
    "page_scan_max",
    "proposers_max",
    "reason_bytes_max",
    "scheduled_changes_max",
    "title_bytes_max",
    "votes_per_proposal_max",
]
