"""What an app module is, and the only things it may see.

Rules kept:
- A module is data (`Module`): a name, its action types, a pure `process`, read-only `queries`
  and optional hooks. Adding a module is one line in apps/registry.py.
- An action is a msgspec Struct declared `array_like=True, frozen=True,
  forbid_unknown_fields=True, tag="<module>.<action>"`, so it encodes as [tag, ...fields].
- A module sees state only through a key-value view (`KVStore`) whose keys are relative to its
  own prefix `<name>/`: the ledger hands it a `PrefixedView` (or the equivalent fused overlay
  of ledger/state.py), so a module can neither read nor clobber another module's keys or the
  ledger's account nonces. It never touches storage, the
  network, a clock or a random source: everything it may depend on is in `TxContext` or
  `BlockContext`, which makes execution deterministic on every node.
- `process(view, ctx, action)` returns the events of a successful action, or raises an
  `InvalidTransaction` subclass to refuse it. The ledger then discards every write the action
  made (it ran on a per-transaction overlay) and records a failed receipt; the nonce still
  advances. Any other exception is a bug and stops the node.
- Values are canonical MessagePack (see `encode_int` / `decode_int`); no floats.
- Two ways to read: `get` for a value that may decide whether the action succeeds (a *guard*,
  e.g. the sender's balance before a debit), and `get_to_update` for a value read only to
  write the new value of that same key (e.g. the recipient's balance before a credit). The
  contract of `get_to_update`: the value flows into no other key and into no decision (no
  raise, no branch that changes which keys are written). Both return the same value; the
  mempool uses the difference to re-check a pending transaction only when a guard changed
  (core/mempool.py explains why that is sound). When in doubt, use `get`: it is always correct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from chainbook.chain.genesis import Genesis
from chainbook.errors import DecodeError, InvalidTransaction
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Hash, Height, Nonce, TimeMs

# --- state access ---------------------------------------------------------------------------


class KVReader(Protocol):
    """Read access to state: `get` returns None for an absent key."""

    def get(self, key: bytes, /) -> bytes | None: ...


class KVStore(KVReader, Protocol):
    """Read and write access to state (an overlay; nothing is committed by a module)."""

    def get_to_update(self, key: bytes, /) -> bytes | None:
        """Like `get`, for a value used only to compute this key's new value (not a guard)."""
        ...

    def set(self, key: bytes, value: bytes, /) -> None: ...

    def delete(self, key: bytes, /) -> None: ...


class PrefixedReader:
    """A read-only window on `target` restricted to the keys under `prefix`."""

    __slots__ = ("prefix", "target")

    def __init__(self, target: KVReader, prefix: bytes) -> None:
        self.target = target
        self.prefix = prefix

    def get(self, key: bytes, /) -> bytes | None:
        return self.target.get(self.prefix + key)


class PrefixedView(PrefixedReader):
    """A read-write window on `target` restricted to the keys under `prefix`."""

    __slots__ = ()
    target: KVStore

    def __init__(self, target: KVStore, prefix: bytes) -> None:
        # No super().__init__ call: this is built on every module call of a block.
        self.target = target
        self.prefix = prefix

    def get_to_update(self, key: bytes, /) -> bytes | None:
        return self.target.get_to_update(self.prefix + key)

    def set(self, key: bytes, value: bytes, /) -> None:
        self.target.set(self.prefix + key, value)

    def delete(self, key: bytes, /) -> None:
        self.target.delete(self.prefix + key)


_int_decoder = msgspec.msgpack.Decoder(int)
_int_encoder = msgspec.msgpack.Encoder()


def encode_int(value: int) -> bytes:
    """Canonical MessagePack of an integer (msgspec's shortest form); the state value format."""
    return _int_encoder.encode(value)


def decode_int(data: bytes) -> int:
    """Decode a state value written by `encode_int`. Bad bytes here mean a corrupt state."""
    try:
        return _int_decoder.decode(data)
    except msgspec.DecodeError as exc:  # ValidationError is a subclass
        raise DecodeError(f"state value is not an integer: {exc}") from None


# --- contexts -------------------------------------------------------------------------------


class BlockContext(msgspec.Struct, frozen=True, gc=False):
    """What the block being executed tells the ledger; the only source of time."""

    height: Height
    time_ms: TimeMs
    proposer: Address


class TxContext(msgspec.Struct, frozen=True, gc=False):
    """What a module may know about the transaction it processes.

    gc=False (here and on BlockContext): only bytes, str and int inside, so never in a cycle.
    """

    chain_id: str
    height: Height
    """The height of the block being executed (committed height + 1 in the mempool)."""
    time_ms: TimeMs
    """The block time (the last committed block's time in the mempool)."""
    sender: Address
    nonce: Nonce
    tx_hash: Hash


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What a read-only query sees: its module's keys, the height, and account nonces."""

    view: KVReader
    height: Height
    get_nonce: Callable[[Address], Nonce]


# --- errors ---------------------------------------------------------------------------------


class InvalidAction(InvalidTransaction):
    """An action broke a rule of its module (bad amount, too many outputs, memo too long...).

    The message names the field, the value and what is accepted.
    """

    code = "invalid_action"


# --- the module type ------------------------------------------------------------------------

ProcessFn = Callable[[KVStore, TxContext, Any], list[Event]]
"""process(view, ctx, action) -> events; raises an InvalidTransaction subclass to refuse."""
QueryFn = Callable[..., Any]
"""query(ctx: QueryContext, **params) -> a msgspec Struct or a builtin value."""
GenesisFn = Callable[[KVStore, Genesis], None]
"""init_genesis(view, genesis): write the module's initial state."""
BeginBlockFn = Callable[[KVStore, BlockContext], list[Event]]
"""begin_block(view, ctx) -> events: runs once per block, before its transactions."""
InvariantFn = Callable[[KVReader, KVReader, list[bytes]], None]
"""assert_invariants(before, after, changed_keys): `assert`s facts that must hold at commit."""


@dataclass(frozen=True, slots=True)
class Module:
    """An app module. `actions` are its tagged Structs; each tag starts with `<name>.`."""

    name: str
    actions: tuple[type[msgspec.Struct], ...]
    process: ProcessFn
    queries: Mapping[str, QueryFn] = field(default_factory=dict)
    init_genesis: GenesisFn | None = None
    begin_block: BeginBlockFn | None = None
    assert_invariants: InvariantFn | None = None
    prefix: bytes = field(init=False, repr=False, compare=False)
    """The module's key prefix in the ledger state: `<name>/` (computed once, read per tx)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", self.name.encode() + b"/")


def get_action_tag(action_type: type[msgspec.Struct]) -> str:
    """The tag an action type is declared with (its first array element on the wire)."""
    tag = action_type.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"action {action_type.__name__} must be declared with a string tag")
    return tag


__all__ = [
    "BeginBlockFn",
    "BlockContext",
    "GenesisFn",
    "InvalidAction",
    "InvariantFn",
    "KVReader",
    "KVStore",
    "Module",
    "PrefixedReader",
    "PrefixedView",
    "ProcessFn",
    "QueryContext",
    "QueryFn",
    "TxContext",
    "decode_int",
    "encode_int",
    "get_action_tag",
]
