"""The vote module's bounds on what a client controls (unit last)."""

ballot_id_chars_max = 64
"""Characters of a ballot's id (a-z, 0-9, '.', '_', '-'; 1 at least)."""
title_bytes_max = 256
"""UTF-8 bytes of a ballot's title (1 at least)."""
options_min = 2
options_max = 32
"""Options of one ballot."""
option_bytes_max = 64
"""UTF-8 bytes of one option's text (1 at least)."""
voters_per_ballot_max = 10_000
"""Eligible voters of one ballot. One transaction holds about 350 addresses
(chainbook.limits.tx_bytes_max): an equally weighted ballot takes more by vote.add_voters
before it opens; a balance-weighted one has all its voters in its create transaction (one
snapshot, apps/vote/process.py)."""
voting_blocks_max = 1_000_000
"""Heights from a ballot's opening to its close."""
reveal_blocks_max = 100_000
"""Heights of a secret ballot's reveal window."""
closings_per_height_max = 16
"""Ballots that may close (or end their reveal window) at one height: the work the
begin-block hook does per block is at most this many ballots, whatever their size (a tally is
one state key)."""
salt_bytes_min = 16
"""A commitment's salt: shorter would let anyone try every option against a commitment."""
salt_bytes_max = 64
creators_max = 64
"""Accounts of the genesis allow-list of ballot creators."""

LIMITS = {
    "ballot_id_chars_max": ballot_id_chars_max,
    "title_bytes_max": title_bytes_max,
    "options_min": options_min,
    "options_max": options_max,
    "option_bytes_max": option_bytes_max,
    "voters_per_ballot_max": voters_per_ballot_max,
    "voting_blocks_max": voting_blocks_max,
    "reveal_blocks_max": reveal_blocks_max,
    "closings_per_height_max": closings_per_height_max,
    "salt_bytes_min": salt_bytes_min,
    "salt_bytes_max": salt_bytes_max,
    "creators_max": creators_max,
}

__all__ = [
    "LIMITS",
    "ballot_id_chars_max",
    "closings_per_height_max",
    "creators_max",
    "option_bytes_max",
    "options_max",
    "options_min",
    "reveal_blocks_max",
    "salt_bytes_max",
    "salt_bytes_min",
    "title_bytes_max",
    "voters_per_ballot_max",
    "voting_blocks_max",
]
