"""The notary's bounds on what a client controls (unit last)."""

title_bytes_max = 256
"""UTF-8 bytes of an anchoring's title (may be empty)."""
metadata_bytes_max = 2048
"""UTF-8 bytes of an anchoring's metadata (free text, typically JSON; may be empty). With the
title it keeps an anchoring well inside one transaction (chainbook.limits.tx_bytes_max)."""
batch_hashes_max = 1 << 20
"""Documents under one batch root: an audit path is then at most 20 hashes (640 bytes)."""
batch_path_hashes_max = (batch_hashes_max - 1).bit_length()
"""The longest audit path of a document in a batch of batch_hashes_max (20)."""
genesis_anchors_max = 100_000
"""Anchorings imported by the genesis file from an earlier register."""

LIMITS = {
    "title_bytes_max": title_bytes_max,
    "metadata_bytes_max": metadata_bytes_max,
    "batch_hashes_max": batch_hashes_max,
    "genesis_anchors_max": genesis_anchors_max,
}

__all__ = [
    "LIMITS",
    "batch_hashes_max",
    "batch_path_hashes_max",
    "genesis_anchors_max",
    "metadata_bytes_max",
    "title_bytes_max",
]
