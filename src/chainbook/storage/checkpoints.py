"""The state checkpoint policy: when save_block is handed the state changes to write.

The state table is a checkpoint, not the book: the state after block `state_height`, which
trails the blocks. The node hands save_block its accumulated state changes only every
STATE_CHECKPOINT_BLOCKS blocks (StateCheckpoints): a running node never reads the table, and
start-up replays every block anyway, so writing it at every block cost ~4 us of CPU per
transaction for nothing (~12 of ~22 ms per 3,000-transfer block, bench_save_block.py).

Rules kept:
- A checkpoint holds every change since the previous one (a key changed by many blocks is
  written once), so the table at its height is exactly the ledger state there.
- `truncate_from` cannot roll the table back (undoing a block would need the old values), so
  after a truncation the state may be ahead of the blocks (`load_state_meta().height >
  latest_height()`) and `save_block` refuses to run until the node rebuilds it with
  `replace_state` (core/book.py does, after its replay).
- Changes pending since the last checkpoint are not durable: a restarted node counts from its
  replayed height with a new StateCheckpoints. A node that stops cleanly writes them
  (`take_pending` and the store's advance_state), so its next start has nothing to replay.
"""

from __future__ import annotations

from collections.abc import Mapping

from chainbook.types import Height

STATE_CHECKPOINT_BLOCKS = 100
"""The node writes the state table every this many blocks (every 15-50 s on the development
machine); start-up replays the blocks after it, as it replays every block."""


class StateCheckpoints:
    """What save_block's `state_changes` should be at each committed block: None, except every
    `interval` heights, when it is everything that changed since the last checkpoint (a key
    changed by many blocks is written once)."""

    def __init__(self, interval: int = STATE_CHECKPOINT_BLOCKS) -> None:
        assert interval >= 1
        self.interval = interval
        self._pending: dict[bytes, bytes | None] = {}

    def changes_to_save(
        self, height: Height, changes: Mapping[bytes, bytes | None]
    ) -> dict[bytes, bytes | None] | None:
        """Record block `height`'s changes; the checkpoint's changes when one is due."""
        self._pending.update(changes)
        if height % self.interval:
            return None
        due, self._pending = self._pending, {}
        return due

    def take_pending(self) -> dict[bytes, bytes | None]:
        """Every change recorded since the last checkpoint (then none): what moves the table
        to the latest height when the node stops."""
        pending, self._pending = self._pending, {}
        return pending


__all__ = ["STATE_CHECKPOINT_BLOCKS", "StateCheckpoints"]
