"""The JSON shapes of the chain-reading routes added beside the core ones (api/views.py has
the rules: hex for bytes, integers for amounts, heights and times): health, genesis, block
pages and results, decoded transactions, searches, the mempool and the dry run."""

from __future__ import annotations

from typing import Any

from chainbook.api.views import EventView, ReceiptView, View


class HealthView(View, frozen=True, forbid_unknown_fields=True):
    status: str
    """"ok" or "not_ready" (then the answer is 503)."""
    height: int
    latest_block_age_ms: int | None
    """How long ago (by this node's clock) the latest block was made; None before block 1."""
    syncing: bool
    reason: str
    """Why not ready; empty when ok."""


class BlockSummaryView(View, frozen=True, forbid_unknown_fields=True):
    height: int
    hash: str
    time_ms: int
    proposer: str
    tx_count: int
    app_hash: str


class BlockPageView(View, frozen=True, forbid_unknown_fields=True):
    blocks: list[BlockSummaryView]
    next_cursor: str | None
    """The `cursor` of the next page (a height); None when this page is the last."""
    latest_height: int


class BlockResultsView(View, frozen=True, forbid_unknown_fields=True):
    height: int
    hash: str
    receipts: list[ReceiptView]
    """One per transaction, in block order."""
    events: list[EventView] | None
    """Block-level events (begin-block hooks: the bank's mint reward); None when the node's
    index has not recorded them (index off, or not there yet)."""


class TxSummaryView(View, frozen=True, forbid_unknown_fields=True):
    hash: str
    height: int
    index: int
    sender: str
    nonce: int
    module: str
    action: str
    ok: bool
    code: str
    """The refusal's stable code, empty when ok."""
    error: str


class TxPageView(View, frozen=True, forbid_unknown_fields=True):
    txs: list[TxSummaryView]
    next_cursor: str | None
    """Give it as `cursor` for the next page; None when this page is the last."""
    indexed_height: int
    """The height the index has reached (results cover heights up to it)."""


class MempoolView(View, frozen=True, forbid_unknown_fields=True):
    txs: int
    bytes: int
    senders: int
    hashes: list[str]
    """The first pending transactions in proposal order (at most `limit`)."""


class UnsignedTxRequest(View, frozen=True, forbid_unknown_fields=True):
    sender: str
    """40 hex: whose account the action runs as."""
    action: dict[str, Any]
    """The action as JSON: {"type": "<module>.<action>", ...fields} (GET /apps lists them)."""
    nonce: int | None = None
    """Default: the sender's pending nonce (committed + this node's mempool)."""


class DryRunRequest(View, frozen=True, forbid_unknown_fields=True):
    """Either `tx` (a signed transaction, hex; its signature is checked) or `unsigned`."""

    tx: str | None = None
    unsigned: UnsignedTxRequest | None = None


class DryRunView(View, frozen=True, forbid_unknown_fields=True):
    """What executing the transaction now would do; nothing was committed."""

    ok: bool
    error: str
    events: list[EventView]
    height: int
    """The height it would be executed at (the latest + 1)."""
    sender: str
    nonce: int
    signed: bool


__all__ = [
    "BlockPageView",
    "BlockResultsView",
    "BlockSummaryView",
    "DryRunRequest",
    "DryRunView",
    "HealthView",
    "MempoolView",
    "TxPageView",
    "TxSummaryView",
    "UnsignedTxRequest",
]
