"""Structured logs: one JSON object per line, to a stream, to a size-rotated file, or both.

Rules kept:

- Every line is one JSON object {"ts_ms", "level", "logger", "event", ...fields}; `event` is a
  stable snake_case name, so tools select lines by event instead of parsing prose.
- By default logs go to stderr, where a service manager (systemd's journal, docker) collects
  them; a file is optional and rotated by size with a bounded number of old files
  (logging.handlers.RotatingFileHandler: node.log, node.log.1 .. node.log.N), so a node that
  runs for years has a bounded log footprint.
- Readers are lenient: a line that is not a JSON object (a crash message) is skipped, not fatal.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import Any, Literal

_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: {"ts_ms", "level", "logger", "event", ...fields}.

    `event` is the log message itself, a stable snake_case name (`book_corrupt`,
    `block_committed`), and the fields come from `extra=`:

        log.warning("book_corrupt", extra={"height": 17, "reason": "..."})
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts_ms": int(record.created * 1000),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=_json_default, separators=(",", ":"))


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def make_log_handlers(
    *,
    stream: Literal["stderr", "stdout", "none"],
    log_file: Path | None,
    log_file_bytes_max: int,
    log_files_max: int,
) -> list[logging.Handler]:
    """The handlers a node logs through, each writing JSON lines."""
    handlers: list[logging.Handler] = []
    if stream != "none":
        handlers.append(logging.StreamHandler(sys.stderr if stream == "stderr" else sys.stdout))
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file,
                maxBytes=log_file_bytes_max,
                backupCount=log_files_max,
                encoding="utf-8",
            )
        )
    for handler in handlers:
        handler.setFormatter(JsonLinesFormatter())
    return handlers


def install_log_handlers(handlers: list[logging.Handler], level: str) -> None:
    """Add `handlers` to the root logger and set its level."""
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level.upper())


def remove_log_handlers(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger()
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()


def read_log_lines(path: Path, event: str | None = None) -> list[dict[str, Any]]:
    """The JSON objects of the log file `path` (optionally only those whose "event" is
    `event`); lines that are not JSON objects are skipped."""
    if not path.is_file():
        return []
    events = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict) and (event is None or parsed.get("event") == event):
                events.append(parsed)
    return events


__all__ = [
    "JsonLinesFormatter",
    "install_log_handlers",
    "make_log_handlers",
    "read_log_lines",
    "remove_log_handlers",
]
