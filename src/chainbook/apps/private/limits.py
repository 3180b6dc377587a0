"""The private module's bounds on what a client or a peer controls (unit last).

On chain: ids, members, records per block, the purge delay. Off chain (the content, which
never enters the replicated state): its size, and how much unconfirmed content a node holds
for records not committed yet (core/private_data.py).
"""

collection_id_chars_max = 64
"""A collection id: 1..64 of a-z 0-9 . _ -"""
record_id_chars_max = 128
"""A record id: 1..128 of a-z 0-9 . _ - (unique within its collection)."""
members_max = 16
"""Member organisations of one collection (each an institution of the governance registry)."""
records_per_block_max = 1_000
"""Records one block may add (all collections together): what a member node must fetch and
store per block is bounded, whatever the mempool holds."""
purge_after_blocks_max = 100_000_000
"""The longest purge delay a collection may set (0: never purge)."""
content_bytes_max = 64 * 1024
"""Bytes of one record's content: checked by the API, by the wire decoder (a peer over it is
dropped) and before anything is stored. Larger documents go in as their own hash."""
salt_bytes = 32
"""A record's salt: exactly 32 random bytes chosen by the submitter."""
pending_records_max = 1_024
"""Contents a node holds for records not committed yet (pushed ahead of their block)."""
pending_bytes_max = 16 * 1024 * 1024
"""Their bytes together."""
pending_heights_max = 50
"""Heights a pushed content waits for its record's block; dropped after."""
missing_records_max = 4_096
"""Records a member node knows it lacks and fetches from other members."""
pull_attempts_max = 12
"""Fetch attempts for one missing record (each from the next member peer) before giving up."""
pull_interval_ms = 2_000
"""Between two fetch attempts of one record."""
pulls_per_tick_max = 64
"""Fetch requests sent per tick (bounds the bursts after a node was away)."""

LIMITS = {
    "collection_id_chars_max": collection_id_chars_max,
    "record_id_chars_max": record_id_chars_max,
    "members_max": members_max,
    "records_per_block_max": records_per_block_max,
    "purge_after_blocks_max": purge_after_blocks_max,
    "content_bytes_max": content_bytes_max,
    "salt_bytes": salt_bytes,
    "pending_records_max": pending_records_max,
    "pending_bytes_max": pending_bytes_max,
    "pending_heights_max": pending_heights_max,
    "missing_records_max": missing_records_max,
}

__all__ = [
    "LIMITS",
    "collection_id_chars_max",
    "content_bytes_max",
    "members_max",
    "missing_records_max",
    "pending_bytes_max",
    "pending_heights_max",
    "pending_records_max",
    "pull_attempts_max",
    "pull_interval_ms",
    "pulls_per_tick_max",
    "purge_after_blocks_max",
    "record_id_chars_max",
    "records_per_block_max",
    "salt_bytes",
]
