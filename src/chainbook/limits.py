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
tx_signatures_max = 8
"""Keys (each with its signature) of one transaction: enough for a 2-party deal between two
3-of-5 accounts and more; each costs its ~57 us check on every node, and ~98 bytes that the
fee per byte prices."""
tx_accounts_max = 8
"""Accounts one transaction acts for (the sender and its co-signers)."""

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
"""Inbound peers that are not reserved (validators and configured peers are never refused for
capacity: p2p TransportConfig.reserved_peer_ids)."""
peer_send_queue_max = 10_000
unauthenticated_connections_max = 16
"""Inbound connections in their TLS or Hello handshake at once, apart from peers_max; a new one
pushes out the oldest idle one (p2p/peer_table.py). Each is cut off after the transport's
handshake_timeout_ms (3 s)."""
peer_bans_max = 1024
"""Peers banned at once (Transport.ban); beyond it the ban closest to expiry is forgotten."""
refusal_log_lines_max = 10
"""p2p refusal (and disconnect) log lines per reason per 10 s; the rest are counted, not written.
Measured before the limit: ~55,000 lines in 15 s from one host reopening idle sockets."""
peer_faults_max = 10
"""Provable protocol faults (core/node.py PEER_FAULT_REFUSALS, malformed frames, bad synced
blocks) one peer may make within CoreSettings.peer_fault_window_ms; at this many it is
disconnected and banned for CoreSettings.peer_fault_ban_ms. Not 1: a cheap margin against a
fault this node misjudges (say, right at a validator-set change), a peer that keeps sending junk
reaches it within a second."""
peer_fault_peers_tracked_max = 1024
"""Peers whose faults are being counted at once; beyond it the oldest count is forgotten."""
gossip_txs_per_frame_max = 2_000
sync_blocks_per_response_max = 50
sync_response_bytes_max = 6 * 1024 * 1024

# Consensus.
round_max = 1_000
"""A height that needs more rounds than this has a broken network; the node stops loudly."""
validators_max = 150
power_total_max = 10_000
"""Bounded so the proposer schedule (one entry per unit of power) stays small."""
future_rounds_buffered_max = 64
"""Proposals and votes for rounds further ahead of the current round than this are dropped."""
votes_per_signer_per_height_max = 4 * future_rounds_buffered_max
"""Votes of one validator counted at one height: its prevote and precommit plus at most one
conflicting vote of each type (equivocation), for a window of rounds. An honest validator signs
two votes a round, so it reaches this bound only after 128 rounds at one height."""
votes_per_height_max = validators_max * votes_per_signer_per_height_max
"""Votes counted at one height, all validators together (38,400). It follows from the bound per
signer, so no signer can use up the room of another."""
proposals_per_round_max = 2
"""Validly signed proposals of a round's proposer kept. An honest proposer signs one; a second
one is equivocation, and it may be the block that > 2/3 precommit (the paper's line 49)."""
proposal_bytes_per_height_max = 8 * frame_bytes_max
"""Encoded blocks of the proposals held for one height (64 MiB): beyond it, proposals of the
rounds farthest from the current round are dropped first, so the current round always fits."""
proposals_held_for_gossip_max = 4 * proposals_per_round_max
"""Proposals a node core holds, unchecked, while the gossip batch carrying some of their
transactions is in signature checks (a few ms); past it they go to consensus at once. Before
the bound any peer could make a node hold frames for as long as a check took."""
next_height_votes_per_signer_max = 8
"""Votes of one validator kept for the next height (checked, then replayed when the node gets
there): the first rounds of that height; later ones are re-sent by their signers anyway."""
next_height_votes_max = validators_max * next_height_votes_per_signer_max
"""Votes kept for the next height, all validators together (1,200)."""
next_height_proposal_bytes_max = 2 * frame_bytes_max
"""Encoded blocks of the proposals kept for the next height (16 MiB): beyond it, the highest
rounds are dropped first, so junk for late rounds cannot crowd out the round-0 proposal."""

# Evidence of equivocation (chain/evidence.py, core/evidence.py, ledger/evidence.py).
evidence_per_block_max = 32
"""Pieces of evidence one block may carry (a block with more is invalid)."""
evidence_per_message_max = 16
"""Pieces in one gossip frame; a peer sending more is dropped (PeerMisbehaved)."""
evidence_pool_max = 256
"""Verified evidence a node holds before it is committed; beyond it, new pieces are dropped,
counted. Each piece is checked before it is kept, so a peer can only fill it with real
equivocations (which are committed and leave the pool)."""

# API.
api_request_bytes_max = 1 * 1024 * 1024
api_wait_commit_s_max = 30.0
api_batch_txs_max = 2_000
"""Most transactions in one POST /txs/batch (each still admitted one by one)."""
api_block_range_max = 100
api_connections_max = 256
"""HTTP connections (and requests in progress) the API holds at once; beyond, it answers 503.
With api_request_bytes_max this bounds the request bodies a node holds (256 MiB at most)."""
api_connections_per_client_max = 32
"""Connections one client address holds at once (api/server.py); the next is refused with
503, so one client's idle sockets cannot take the slots of everyone (api_connections_max)."""
api_mempool_hashes_max = 1_000
"""Pending hashes listed by one GET /mempool."""


__all__ = [name for name in dir() if name.endswith("_max")]
