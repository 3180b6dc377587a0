"""Every bound on what an outsider controls, named in one place, unit last.

A limit that is hit is an explicit, counted refusal with an error naming the limit,
never a silent truncation. Tests exercise each limit at its edge.
"""

# Transactions and blocks.
tx_bytes_max = 8 * 1024
"""Largest encoded signed transaction."""
block_txs_max = 10_000
"""Most transactions in one block."""
block_bytes_max = 4 * 1024 * 1024
"""Largest sum of transaction bytes in one block."""
chain_id_chars_max = 50

# Mempool.
mempool_txs_max = 100_000
mempool_bytes_max = 64 * 1024 * 1024
mempool_txs_api_max = 20_000
"""Beyond this many pending transactions the API refuses new ones (503, retry later): a node at
capacity keeps committing at its own pace instead of queueing work without bound."""
admission_queue_txs_max = 50_000
"""Gossiped transactions waiting for their signature check; beyond it they are dropped, counted."""
admission_queue_txs_per_peer_max = 20_000
"""Of those, from one peer: a peer flooding the queue cannot lock the others' gossip out."""
recent_committed_txs_max = 200_000
"""Committed transaction hashes remembered to drop late gossip before checking signatures."""
admission_batch_txs_max = 256
"""Gossiped transactions sent to the signature workers at a time. Small, so that a proposal
carrying some of them waits little for the batch (core/node.py)."""
mempool_txs_per_sender_max = 1_000
"""A sender may queue this many transactions (consecutive nonces) ahead of the chain."""

# Network.
frame_bytes_max = 8 * 1024 * 1024
"""Largest p2p frame: a block proposal plus its envelope fits with room to spare."""
peers_max = 50
peer_send_queue_max = 10_000
gossip_txs_per_frame_max = 2_000
sync_blocks_per_response_max = 50
sync_response_bytes_max = 6 * 1024 * 1024

# Consensus.
round_max = 1_000
"""A height that needs more rounds than this has a broken network; the node stops loudly."""
validators_max = 150
power_total_max = 10_000
"""Bounded so the proposer schedule (one entry per unit of power) stays small."""
votes_per_height_max = 4 * validators_max * 64
"""Votes buffered for one height across all rounds; beyond it, votes for far rounds are dropped."""
future_rounds_buffered_max = 64
"""Votes for rounds further ahead than this are dropped."""

# API.
api_request_bytes_max = 1 * 1024 * 1024
api_wait_commit_s_max = 30.0
api_batch_txs_max = 2_000
"""Most transactions in one POST /txs/batch (each still admitted one by one)."""
api_block_range_max = 100
api_connections_max = 256
"""HTTP connections (and requests in progress) the API holds at once; beyond, it answers 503.
With api_request_bytes_max this bounds the request bodies a node holds (256 MiB at most)."""

__all__ = [name for name in dir() if name.endswith("_max")]
