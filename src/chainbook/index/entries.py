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
import msgspec.inspect as mi

from chainbook import codec
from chainbook.apps.base import get_action_tag
from chainbook.apps.fields import to_json_value
from chainbook.apps.registry import Registry
from chainbook.chain.block import Block
from chainbook.chain.tx import SignedTx, TxBody, get_sender
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
    code: str
    """The refusal's stable code (e.g. bank.insufficient_funds), empty when ok."""
    error: str
    accounts: list[Address]
    """Sorted, each once; the sender among them."""
    event_types: list[str]
    """Sorted "<module>.<kind>", each once."""
    action_value: Any
    """The decoded action (None if it does not decode); the stream shows it as JSON."""
    events: list[Event]

    @property
    def fields(self) -> dict[str, Any]:
        """The action's fields as JSON (apps/fields.py to_json_value)."""
        if self.action_value is None:
            return {}
        json_value = to_json_value(self.action_value)
        return {k: v for k, v in json_value.items() if k != "type"}


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
    # Committed bytes were checked (canonical, signed) before the block was: decode only.
    signed = codec.decode(tx_bytes, SignedTx)
    body = codec.decode(signed.body, TxBody)
    sender = get_sender(body.keys[0]) if body.accounts is None else body.accounts[0]
    accounts = {sender, *(body.accounts or ())}  # the co-signers too
    module = tag = ""
    action: Any = None
    try:
        action = registry.decode_action(bytes(body.action))
    except InvalidInput:
        pass
    else:
        action_type = type(action)
        module = registry.module_for(action).name
        tag = get_action_tag(action_type)
        for name in _get_address_fields(action_type):
            collect_addresses(getattr(action, name), accounts)
    for event in receipt.events:
        for _, value in event.attributes:
            if len(value) == 2 * ADDRESS_BYTES and _ADDRESS_HEX.fullmatch(value):
                accounts.add(bytes.fromhex(value))
    return IndexedTx(
        height=height,
        index=index,
        hash=receipt.tx_hash,
        sender=sender,
        nonce=body.nonce,
        module=module,
        action=tag,
        ok=receipt.ok,
        code=receipt.code,
        error=receipt.error,
        accounts=sorted(accounts),
        event_types=sorted({f"{e.module}.{e.kind}" for e in receipt.events}),
        action_value=action,
        events=receipt.events,
    )


_address_fields: dict[type, tuple[str, ...]] = {}
"""Per action type, the fields that may hold a 20-byte value (bytes, or containers that may
hold bytes): found once from the type, so an action is not walked field by field."""


def _get_address_fields(action_type: type) -> tuple[str, ...]:
    names = _address_fields.get(action_type)
    if names is None:
        info = mi.type_info(action_type)
        assert isinstance(info, mi.StructType)
        names = tuple(f.name for f in info.fields if _may_hold_bytes(f.type))
        _address_fields[action_type] = names
    return names


def _may_hold_bytes(info: mi.Type) -> bool:
    match info:
        case mi.BytesType(min_length=low, max_length=high):
            return low is None or high is None or low <= ADDRESS_BYTES <= high
        case mi.StrType() | mi.IntType() | mi.BoolType() | mi.NoneType() | mi.EnumType():
            return False
        case mi.UnionType(types=types):
            return any(_may_hold_bytes(t) for t in types)
    return True  # lists, dicts, nested structs: walked


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
