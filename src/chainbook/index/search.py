"""A search of committed transactions, and its pages: the one query every index answers.

Rules kept:
- Filters combine with AND: account (signer or named, index/entries.py), module, event type
  ("<module>.<kind>"), action tag, height range [from_height, to_height].
- Results are ordered by position (height, index), ascending or descending, so a page is
  stable: the index only grows at the top, and a cursor names the last position returned;
  the next page starts strictly after it. A page fetched again gives the same items, and
  walking every page visits every match exactly once, even while blocks are being added
  (descending walks start below the top seen on the first page).
- The cursor is "<height>-<index>" in ASCII digits; anything else is refused.
- `limit` is 1 .. index_page_txs_max.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.errors import InvalidInput
from chainbook.types import Address, Hash, Height, Nonce

INDEX_PAGE_TXS_MAX = 100
"""Most transactions in one page of a search."""
INDEX_PAGE_TXS_DEFAULT = 20
ORDERS = ("desc", "asc")
"""Newest first is the default (an account's history)."""

_CURSOR = re.compile(r"([0-9]{1,19})-([0-9]{1,9})")


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


class IndexUnavailable(InvalidInput):
    """The node keeps no transaction index (config `index = "off"`)."""

    code = "index_unavailable"


class Position(msgspec.Struct, frozen=True, order=True):
    height: Height
    index: int

    def encode(self) -> str:
        return f"{self.height}-{self.index}"


def parse_cursor(text: str) -> Position:
    match = _CURSOR.fullmatch(text)
    if match is None:
        raise InvalidCursor(
            f"cursor must be '<height>-<index>' in ASCII digits (from a page's next_cursor), "
            f"got {text[:80]!r}"
        )
    return Position(int(match[1]), int(match[2]))


class TxSearch(msgspec.Struct, frozen=True):
    account: Address | None = None
    module: str | None = None
    event_type: str | None = None
    action: str | None = None
    from_height: Height | None = None
    to_height: Height | None = None
    order: str = "desc"
    after: Position | None = None
    """The cursor: the last position of the previous page."""
    limit: int = INDEX_PAGE_TXS_DEFAULT


class TxHit(msgspec.Struct, frozen=True):
    """One matching transaction as the index holds it."""

    height: Height
    index: int
    hash: Hash
    sender: Address
    nonce: Nonce
    module: str
    action: str
    ok: bool
    code: str
    error: str


class TxPage(msgspec.Struct, frozen=True):
    txs: list[TxHit]
    next_cursor: str | None
    """Give it as `cursor` for the next page; None when this page is the last."""
    indexed_height: Height
    """The height the index had reached when it answered."""


__all__ = [
    "INDEX_PAGE_TXS_DEFAULT",
    "INDEX_PAGE_TXS_MAX",
    "ORDERS",
    "IndexUnavailable",
    "InvalidCursor",
    "Position",
    "TxHit",
    "TxPage",
    "TxSearch",
    "parse_cursor",
]
