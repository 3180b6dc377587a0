"""What the index keeps of a committed block, computed from the block and its outcomes alone.

Rules kept:
- Pure: `compute_block_entries(block, receipts, events, registry)` decodes each transaction
  (no signature check: the block is committed) and reads nothing else, so every index backend
  (SQLite, PostgreSQL) and the event stream store and match exactly the same entries.
- The accounts of a transaction are its signer, every 20-byte value in its action's fields
  (recipients, owners: any module's, found by type, not by field name), and every event
  attribute whose value is 40 hex characters. Searching an account finds what it signed and
  what named it.
- The event types of a transaction are "<module>.<kind>" of its receipt's events, each once.
- A transaction whose action no longer decodes (a module removed from the registry) is still
  indexed, with module "" and action "": the book holds it, so the index must too.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from chainbook.apps.base import get_action_tag
from chainbook.apps.fields import to_json_value
from chainbook.apps.registry import Registry
from chainbook.chain.block import Block
from chainbook.chain.tx import decode_tx
from chainbook.crypto import ADDRESS_BYTES
from chainbook.errors import InvalidInput
from chainbook.ledger.receipts import Event, Receipt
from chainbook.types import Address, Hash, Height, Nonce, TimeMs

_ADDRESS_HEX = re.compile(r"[0-9a-f]{40}")


class IndexedTx(msgspec.Struct, frozen=True):
    height: Height
    index: int
    hash: Hash
    sender: Address
    nonce: Nonce
    module: str
    action: str
    """The action's tag, "<module>.<action>"."""
    ok: bool
    error: str
    accounts: list[Address]
    """Sorted, each once; the sender among them."""
    event_types: list[str]
    """Sorted "<module>.<kind>", each once."""
    fields: dict[str, Any]
    """The action as JSON (apps/fields.py to_json_value), for the stream's decoded view."""
    events: list[Event]


class IndexedBlock(msgspec.Struct, frozen=True):
    height: Height
    hash: Hash
    time_ms: TimeMs
    proposer: Address
    txs: list[IndexedTx]
    block_events: list[Event]
    """Begin-block events (the bank's mint), not tied to a transaction."""


def compute_block_entries(
    block: Block, receipts: list[Receipt], events: list[Event], registry: Registry
) -> IndexedBlock:
    assert len(receipts) == len(block.txs), (len(receipts), len(block.txs))
    txs = [
        compute_tx_entry(block.height, index, tx_bytes, receipt, registry)
        for index, (tx_bytes, receipt) in enumerate(zip(block.txs, receipts, strict=True))
    ]
    header = block.header
    return IndexedBlock(
        height=block.height,
        hash=block.hash,
        time_ms=header.time_ms,
        proposer=header.proposer,
        txs=txs,
        block_events=list(events),
    )


def compute_tx_entry(
    height: Height, index: int, tx_bytes: bytes, receipt: Receipt, registry: Registry
) -> IndexedTx:
    decoded = decode_tx(tx_bytes, hash_=receipt.tx_hash)
    accounts = {decoded.sender}
    module = tag = ""
    fields: dict[str, Any] = {}
    try:
        action = registry.decode_action(decoded.action_bytes)
    except InvalidInput:
        pass
    else:
        module = registry.module_for(action).name
        tag = get_action_tag(type(action))
        collect_addresses(action, accounts)
        json_value = to_json_value(action)
        fields = {k: v for k, v in json_value.items() if k != "type"}
    for event in receipt.events:
        for _, value in event.attributes:
            if _ADDRESS_HEX.fullmatch(value):
                accounts.add(bytes.fromhex(value))
    return IndexedTx(
        height=height,
        index=index,
        hash=receipt.tx_hash,
        sender=decoded.sender,
        nonce=decoded.nonce,
        module=module,
        action=tag,
        ok=receipt.ok,
        error=receipt.error,
        accounts=sorted(accounts),
        event_types=sorted({f"{e.module}.{e.kind}" for e in receipt.events}),
        fields=fields,
        events=list(receipt.events),
    )


def collect_addresses(value: Any, found: set[Address]) -> None:
    """Every 20-byte value inside an action (fields, lists, nested structs)."""
    if isinstance(value, bytes):
        if len(value) == ADDRESS_BYTES:
            found.add(value)
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            collect_addresses(getattr(value, name), found)
    elif isinstance(value, list | tuple):
        for item in value:
            collect_addresses(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            collect_addresses(item, found)


__all__ = [
    "IndexedBlock",
    "IndexedTx",
    "collect_addresses",
    "compute_block_entries",
    "compute_tx_entry",
]
