"""The run's trace: a digest of every line, and the last few lines kept for a failure report.

Two runs of one seed produce the same digest, line for line (tests/sim checks it), so a
replay that diverges from the original run is itself detected.
"""

from __future__ import annotations

import hashlib
from collections import deque

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


__all__ = ["Trace"]
