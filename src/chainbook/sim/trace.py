"""The run's trace: a digest of every line, and the last few lines kept for a failure report.

Two runs of one seed produce the same digest, line for line (tests/sim checks it), so a
replay that diverges from the original run is itself detected. `describe_frame` gives the
one line a delivered frame takes in it.
"""

from __future__ import annotations

import hashlib
from collections import deque

from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.wire import (
    StatusMessage,
    SyncPruned,
    SyncRequest,
    SyncResponse,
    TxsMessage,
    decode_message,
)
from chainbook.errors import PeerMisbehaved
from chainbook.types import TimeMs


class Trace:
    __slots__ = ("_digest", "_recent", "lines_total", "verbose")

    def __init__(self, lines_max: int, verbose: bool = False) -> None:
        self._recent: deque[str] = deque(maxlen=lines_max)
        self._digest = hashlib.sha256()
        self.lines_total = 0
        self.verbose = verbose
        """Print every line as it happens (for `--verbose` replays)."""

    def record(self, now_ms: TimeMs, text: str) -> None:
        line = f"{now_ms:>7} {text}"
        self._recent.append(line)
        self._digest.update(line.encode())
        self._digest.update(b"\n")
        self.lines_total += 1
        if self.verbose:
            print(line)

    @property
    def recent(self) -> list[str]:
        return list(self._recent)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def describe_frame(payload: bytes) -> str:
    """One short line for a wire frame in the trace (a frame that does not decode says so)."""
    try:
        message = decode_message(payload)
    except PeerMisbehaved:
        return f"malformed frame of {len(payload)} bytes"
    match message:
        case VoteMessage(vote=signed):
            v = signed.vote
            target = v.block_hash.hex()[:8] if v.block_hash else "nil"
            voter = signed.validator.hex()[:6]
            return f"{v.type.name.lower()} h{v.height} r{v.round} {target} by {voter}"
        case ProposalMessage(proposal=signed, block=block):
            p = signed.proposal
            return f"proposal h{p.height} r{p.round} pol{p.pol_round} {block.hash.hex()[:8]}"
        case TxsMessage(txs=txs):
            return f"txs {len(txs)}: {hashlib.sha256(txs[0]).hexdigest()[:8]}..."
        case StatusMessage(height=height):
            return f"status h{height}"
        case SyncRequest(from_height=from_height):
            return f"sync request from h{from_height}"
        case SyncResponse(blocks=blocks):
            return f"sync response {len(blocks)} blocks"
        case SyncPruned(from_height=from_height, pruned_below=pruned_below):
            return f"sync pruned below h{pruned_below} (asked from h{from_height})"
    return type(message).__name__


__all__ = ["Trace", "describe_frame"]
