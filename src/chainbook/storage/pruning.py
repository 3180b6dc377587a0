"""Pruning: old blocks keep their header and commits; their transactions and receipts go.

Off by default (config `prune_keep_blocks = 0`). When a node prunes, every block below the
store's `pruned_below` height (meta, only ever grows, 1 when nothing is pruned) is stored as
its header and its last_commit (a Block with no txs, encoded as any block) with its stored
commit; its receipts and its tx index rows are deleted. What stays proves the chain: the
header links from genesis and every commit certificate, so finality of every past block is
still checked (core/book.py verifies a pruned prefix header by header). What goes: the old
transactions, their receipts and inclusion proofs (the API answers 404 for them), serving them
to a syncing peer (load_blocks_bytes stops below `pruned_below`, the peer asks another), and
re-executing the history from genesis (a pruned node's state descends from its checkpoint; a
consortium keeps at least one node unpruned, an archive, to re-verify and sync from).

Rules kept (every store):
- A pruned block is never handed out as a block: load_block / load_block_bytes return None
  below `pruned_below`, read in the same statement (a reader beside a pruning node never sees
  a pruned row as a whole block); load_header_and_last_commit reads any stored height.
- `prune_blocks` works in batches (one transaction of at most `blocks_max` blocks), never at
  or above the state checkpoint's height, and moves `pruned_below` only over what it pruned.
"""

from __future__ import annotations

from chainbook.chain.block import Block, encode_block
from chainbook.types import Height

PRUNE_BLOCKS_PER_CALL_MAX = 500
"""Blocks pruned in one transaction at most (the node calls it after each commit)."""


def compute_pruned_block(block: Block) -> bytes:
    """What a pruned block's row keeps: its header and its last_commit, no transactions."""
    return encode_block(Block(header=block.header, txs=[], last_commit=block.last_commit))


def compute_prune_range(
    pruned_below: Height, below: Height, state_height: Height, blocks_max: int
) -> range:
    """The heights one prune_blocks call prunes (never the state checkpoint's block or above:
    a start needs that block's header and the blocks after it)."""
    assert blocks_max >= 1
    end = min(below, state_height, pruned_below + blocks_max)
    return range(pruned_below, max(pruned_below, end))


__all__ = ["PRUNE_BLOCKS_PER_CALL_MAX", "compute_prune_range", "compute_pruned_block"]
