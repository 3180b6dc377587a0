"""The ledger state: what a node holds in memory after each commit, and overlays on it.

Rules kept:
- `LedgerState` is the committed state at `height`: a flat map of byte keys to canonical
  MessagePack values (`kv`, what execution reads), the same map as an authenticated state tree
  (`tree`, ledger/state_tree.py) whose root is the `app_hash`, the previous version of that
  tree (the state the latest header's app_hash commits to, which proofs are served from), and
  the time of the block that produced it. Only `apply_block_result` (execute.py) changes it,
  once per committed block; everything else reads it or stacks a `StateView` on it.
- Keys are namespaced: b"acct/" belongs to the ledger (account nonces), b"<module>/" to each app
  module, which sees only its own keys (apps/base.py PrefixedView).
- Everything execution needs is in `kv`, including the issuance parameters (the bank stores them
  under b"bank/params" at genesis). So a state restored from storage executes exactly like one
  rebuilt from genesis, and `execute_block` takes no other input than the state and the block.
- Genesis state is height 0, its time is genesis_time_ms, and its app hash is the root of
  the state tree over the modules' genesis writes (header 1 carries it; header 1 also links
  to the genesis hash through prev_block_hash).
- Account nonces: b"acct/nonce/" + address -> uint, absent means 0; the next transaction of an
  account must carry exactly its nonce.
"""

from __future__ import annotations

from typing import Any

from chainbook.apps.base import (
    KVReader,
    KVStore,
    Module,
    PrefixedView,
    TxContext,
    decode_int,
    encode_int,
)
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.genesis import Genesis
from chainbook.crypto import HASH_BYTES
from chainbook.ledger.genesis import verify_genesis
from chainbook.ledger.governed import get_genesis_param_specs
from chainbook.ledger.state_tree import StateTree
from chainbook.types import Address, Hash, Height, Nonce, TimeMs

NONCE_PREFIX = b"acct/nonce/"

_MISSING: Any = object()


class StateView:
    """An overlay on `base`: writes are recorded in `writes` (None = deleted), reads see them.

    The base is never changed. Overlays stack (a per-transaction view over a per-block view
    over the committed kv); `merge_into_parent` folds a child's writes into its parent.
    """

    __slots__ = ("base", "writes")

    def __init__(self, base: KVReader) -> None:
        self.base = base
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes, /) -> bytes | None:
        value = self.writes.get(key, _MISSING)
        if value is _MISSING:
            return self.base.get(key)
        return value  # type: ignore[no-any-return]

    get_to_update = get
    """The same read; only a TrackedView tells the two apart (apps/base.py KVStore)."""

    def set(self, key: bytes, value: bytes, /) -> None:
        self.writes[key] = value

    def delete(self, key: bytes, /) -> None:
        self.writes[key] = None


class TrackedView(StateView):
    """A StateView that remembers the first value it read from its base for each key.

    The mempool uses it for a sender's speculative state, as an optimistic-concurrency read
    set split in two:
    - `reads`: keys read with `get` (guards). The speculation stays valid as long as every
      one of them holds its recorded value in the base (`is_stale`).
    - `update_reads`: keys read only with `get_to_update` (apps/base.py: the value flows only
      into the same key's new value and decides nothing). A change of one of them in the
      base leaves every decision of the speculation valid; the view's own write of that key
      is then out of date, which nothing reads but a later `get_to_update` of the same key.
    A later `get` of a key first read with `get_to_update` promotes it to a guard with its
    recorded value; if the base no longer holds that value, the value `get` returns (derived
    from the old one) may be wrong, so the view marks itself `outdated` and its owner must
    rebuild it from the base before trusting what it decided.
    """

    __slots__ = ("outdated", "reads", "update_reads")

    def __init__(self, base: KVReader) -> None:
        super().__init__(base)
        self.reads: dict[bytes, bytes | None] = {}
        """Guard key -> the base value it had when first read (insertion order = read order)."""
        self.update_reads: dict[bytes, bytes | None] = {}
        """Key read only to update it -> the base value it had when first read."""
        self.outdated = False
        """True once a guard was promoted from an update read whose base value changed since."""

    def get(self, key: bytes, /) -> bytes | None:
        value = self.writes.get(key, _MISSING)
        if value is _MISSING:
            base_value = self.base.get(key)
            self.reads.setdefault(key, base_value)
            return base_value
        if key in self.update_reads and key not in self.reads:
            self._promote(key)
        return value  # type: ignore[no-any-return]

    def get_to_update(self, key: bytes, /) -> bytes | None:
        value = self.writes.get(key, _MISSING)
        if value is _MISSING:
            base_value = self.base.get(key)
            self.update_reads.setdefault(key, base_value)
            return base_value
        return value  # type: ignore[no-any-return]

    def _promote(self, key: bytes) -> None:
        recorded = self.update_reads[key]
        self.reads[key] = recorded
        if self.base.get(key) != recorded:
            self.outdated = True

    def is_stale(self, base: KVReader) -> bool:
        """True when `base` no longer holds a value this view read as a guard."""
        return any(base.get(key) != value for key, value in self.reads.items())


class TxOverlay:
    """One action's writes over `parent`, seen through a module's key prefix.

    A StateView and a PrefixedView (apps/base.py) fused into one object: one allocation per
    transaction instead of two, and one call per read instead of two. Keys in `writes` are
    full keys (prefix included), so `merge_into_parent` works as for a StateView.

    `call` (apps/base.py TxView) runs another module's export on a sibling overlay that shares
    this one's `writes`: the whole transaction's writes, every module's, merge into the parent
    together on success and are dropped together on refusal.
    """

    __slots__ = ("module", "parent", "prefix", "registry", "writes")

    def __init__(
        self,
        parent: StateView,
        module: Module,
        registry: Registry,
        writes: dict[bytes, bytes | None] | None = None,
    ) -> None:
        self.parent = parent
        self.module = module
        self.prefix = module.prefix
        self.registry = registry
        self.writes: dict[bytes, bytes | None] = {} if writes is None else writes

    def get(self, key: bytes, /) -> bytes | None:
        full = self.prefix + key
        value = self.writes.get(full, _MISSING)
        if value is _MISSING:
            return self.parent.get(full)
        return value  # type: ignore[no-any-return]

    def get_to_update(self, key: bytes, /) -> bytes | None:
        full = self.prefix + key
        value = self.writes.get(full, _MISSING)
        if value is _MISSING:
            return self.parent.get_to_update(full)
        return value  # type: ignore[no-any-return]

    def set(self, key: bytes, value: bytes, /) -> None:
        self.writes[self.prefix + key] = value

    def delete(self, key: bytes, /) -> None:
        self.writes[self.prefix + key] = None

    def call(self, module: str, export: str, ctx: TxContext, /, *args: Any) -> Any:
        target = self.registry.get_module(module)
        fn = None if target is None else target.exports.get(export)
        assert target is not None and fn is not None, (
            f"{self.module.name} calls {module}.{export}, which does not exist"
        )
        sibling = TxOverlay(self.parent, target, self.registry, self.writes)
        return fn(sibling, ctx, self.module.name, *args)


def merge_into_parent(child: StateView | TxOverlay, parent: StateView) -> None:
    parent.writes.update(child.writes)


class LedgerState:
    """The committed state of the ledger at `height`."""

    __slots__ = ("app_hash", "height", "kv", "previous_tree", "registry", "time_ms", "tree")

    def __init__(
        self,
        height: Height,
        app_hash: Hash,
        time_ms: TimeMs,
        kv: dict[bytes, bytes],
        registry: Registry = REGISTRY,
        tree: StateTree | None = None,
    ) -> None:
        """`tree` None builds the state tree from `kv` (its root must be `app_hash`)."""
        assert height >= 0 and len(app_hash) == HASH_BYTES
        if tree is None:
            tree = StateTree.from_items(kv)
        assert tree.root == app_hash, "app_hash is the root of the state tree over kv"
        self.height: Height = height
        """The height of the last committed block (0 = genesis)."""
        self.app_hash: Hash = app_hash
        """The root of `tree`: commits to the whole of `kv` (ledger/state_tree.py)."""
        self.tree: StateTree = tree
        """`kv` as an authenticated tree (the same keys and values)."""
        self.previous_tree: StateTree | None = None
        """The tree at height - 1, whose root the header at `height` carries (None until a
        block is applied in this process): the state proofs are made from it."""
        self.time_ms: TimeMs = time_ms
        """Time of the last committed block (genesis_time_ms at height 0)."""
        self.kv: dict[bytes, bytes] = kv
        """The state itself; a deleted key is absent, never None."""
        self.registry = registry
        """The modules that interpret this state and execute blocks on it."""

    @classmethod
    def from_genesis(cls, genesis: Genesis, registry: Registry = REGISTRY) -> LedgerState:
        """Height 0: each module writes its initial state from its genesis section; then the
        module that governs the chain takes over the genesis validators and the parameters
        (ledger/governed.py)."""
        verify_genesis(genesis, registry)
        view = StateView({})
        for module in registry.modules:
            if module.genesis is not None:
                module.genesis.init(
                    PrefixedView(view, module.prefix), genesis.app_state[module.name]
                )
        governor = registry.governor
        if governor is not None and governor.governs is not None:
            governor.governs.init(
                PrefixedView(view, governor.prefix),
                genesis.validator_set.validators,
                get_genesis_param_specs(genesis, registry),
            )
        kv = {key: value for key, value in view.writes.items() if value is not None}
        tree = StateTree.from_items(kv)
        return cls(0, tree.root, genesis.genesis_time_ms, kv, registry, tree)

    def __repr__(self) -> str:
        return (
            f"LedgerState(height={self.height}, app_hash={self.app_hash.hex()}, "
            f"keys={len(self.kv)})"
        )


# --- account nonces (owned by the ledger) ---------------------------------------------------


def nonce_key(address: Address) -> bytes:
    return NONCE_PREFIX + address


def get_nonce(view: KVReader, address: Address) -> Nonce:
    raw = view.get(NONCE_PREFIX + address)
    return 0 if raw is None else decode_int(raw)


def process_nonce_increment(view: KVStore, address: Address, nonce: Nonce) -> None:
    view.set(NONCE_PREFIX + address, encode_int(nonce + 1))


__all__ = [
    "NONCE_PREFIX",
    "LedgerState",
    "StateView",
    "TrackedView",
    "TxOverlay",
    "get_nonce",
    "merge_into_parent",
    "nonce_key",
    "process_nonce_increment",
]
