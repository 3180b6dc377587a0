"""What an app module is, and the only things it may see.

Rules kept:
- A module is one folder under apps/ whose __init__.py declares a manifest (`Module`): its
  actions, a pure `process`, typed queries, its genesis section, its errors (codes
  `<module>.<reason>`), its limits and a simulator workload. Adding a module is that folder and
  one line in apps/registry.py; nothing else in the tree is edited (docs/APPS.md).
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

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import msgspec

from chainbook.chain.evidence import DuplicateVoteEvidence
from chainbook.errors import DecodeError, InvalidTransaction
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Hash, Height, Nonce, TimeMs

if TYPE_CHECKING:
    from chainbook.apps.account_policy import PolicyFn
    from chainbook.apps.chain_governance import ChainGovernance, ParamSpec
    from chainbook.apps.fee_rule import FeeRule
    from chainbook.crypto import PrivateKey

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


class TxView(KVStore, Protocol):
    """What an action's `process` sees: its module's keys, and the other modules' exports.

    `call(module, export, ctx, *args)` runs `export` of `module` (Module.exports) on that
    module's own keys, within the same transaction: if the action is then refused, every write
    of every module it called is discarded with its own (all or nothing). The exporting module
    is told who called it (`caller`, the calling module's name), so it can refuse what that
    caller may not do (e.g. the bank moves coins only from the transaction's signers or from
    the caller's own module account).
    """

    def call(self, module: str, export: str, ctx: TxContext, /, *args: Any) -> Any: ...


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
    evidence: tuple[DuplicateVoteEvidence, ...] = ()
    """The block's evidence of equivocation, already verified by the ledger (ledger/evidence.py);
    the governing module applies its policy to it in begin_block."""


class TxContext(msgspec.Struct, frozen=True, gc=False):
    """What a module may know about the transaction it processes.

    gc=False (here and on BlockContext): only bytes, str, int and frozen structs of them
    inside, so never in a cycle.
    """

    chain_id: str
    height: Height
    """The height of the block being executed (committed height + 1 in the mempool)."""
    time_ms: TimeMs
    """The block time (the last committed block's time in the mempool)."""
    sender: Address
    """The account whose nonce the transaction uses and who pays its fee (signers[0])."""
    nonce: Nonce
    tx_hash: Hash
    signers: tuple[Address, ...]
    """The accounts that authorized this transaction, the sender first, then its co-signers:
    the ledger checked, before `process` ran, that the transaction's keys speak for every one
    of them under its policy (apps/account_policy.py). A module asks "did this counterparty
    agree?" as `counterparty in ctx.signers`."""
    key_addresses: tuple[Address, ...]
    """The addresses of the keys that signed. Not accounts: a key whose account rotated it away
    still signs validly. Only the module that keeps policies needs these (to count a new
    policy's signers); every other module uses `signers`."""


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What a read-only query sees: its module's keys, the height, account nonces, and the
    other modules' queries (the only way a module reads another module's state)."""

    view: KVReader
    height: Height
    get_nonce: Callable[[Address], Nonce]
    ask: Callable[[str, str, msgspec.Struct], Any]
    """ask(module, query, request) -> the other module's answer, on the same state."""


# --- errors ---------------------------------------------------------------------------------


class ModuleError(InvalidTransaction):
    """A module refused an action. Subclasses set `code = "<module>.<reason>"` and are listed
    in their module's manifest (`Module.errors`); the registry checks the prefix.

    The message names the field, the value and what is accepted.
    """

    code = "module_error"


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """A read-only question a module answers: a request Struct in, a response value out.

    The HTTP API serves it at GET /apps/<module>/<name> (request fields as query parameters),
    the CLI as `chainbook <module> <name> --field value`, the client as a method; all three
    are generated from the types, so a query is declared once, here.
    """

    name: str
    request: type[msgspec.Struct]
    response: Any
    """The type of the answer (a msgspec Struct, or a builtin type)."""
    handler: QueryFn
    is_lookup: bool = True
    """False for a computation that answers any value (a fee for a size): GET /search and the
    explorer's search box offer only lookups, queries that find a record by its key."""

    @property
    def summary(self) -> str:
        doc = (self.handler.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else self.name


QueryFn = Callable[[QueryContext, Any], Any]
"""handler(ctx, request) -> response."""


# --- genesis --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GenesisSection:
    """A module's section of the genesis file (`app_state.<module>`), typed.

    `type` is a msgspec Struct decoded from the JSON section (unknown fields refused); a
    missing section is `type()` (so every field needs a default). `verify` refuses a section
    that could not run, with a ConfigError naming the field; `init` writes the module's initial
    state from it. The genesis hash commits to every module's section (defaults included).
    """

    type: type[msgspec.Struct]
    init: Callable[[KVStore, Any], None]
    verify: Callable[[Any], None] | None = None


# --- the simulator's workload ---------------------------------------------------------------


class Rng(Protocol):
    """The seeded random source a workload draws from (the simulator's random.Random)."""

    def random(self) -> float: ...

    def randint(self, a: int, b: int) -> int: ...

    def randbytes(self, n: int) -> bytes: ...

    def choice(self, seq: Sequence[Any]) -> Any: ...


class ModuleWorkload(Protocol):
    """What a module asks of the simulated clients (one instance per simulated run).

    `genesis_section` may fund or register the simulated accounts at genesis (None: the
    module's default section). `next_action` is the action one client sends next (None: it has
    nothing to do now); it learns outcomes through `on_outcome`.
    """

    def genesis_section(self, accounts: Sequence[Address]) -> msgspec.Struct | None: ...

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None: ...

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None: ...


@runtime_checkable
class SigningWorkload(Protocol):
    """What a module workload that changes how a client's transactions are signed (account
    policies) also offers; the simulator asks it for every transaction it signs."""

    def signing_keys(
        self, own_key: PrivateKey, nonce: Nonce, action: msgspec.Struct
    ) -> Sequence[PrivateKey] | None:
        """The keys that sign the transaction of nonce `nonce` of the account of `own_key`
        (which carries `action`), in order; None: its own key alone. Called once per signed
        transaction in the account's nonce order, except that after a refusal the client signs
        again from an earlier nonce: whatever was signed from that nonce on is then void."""
        ...


@runtime_checkable
class CosigningWorkload(Protocol):
    """What a module workload whose actions need co-signers (a swap both parties sign) also
    offers; the simulator asks it for every transaction it signs."""

    def cosigners(self, sender: Address, action: msgspec.Struct) -> Sequence[Address]:
        """The simulated accounts that co-sign `sender`'s transaction carrying `action`, in
        order after the sender (none: empty). Each signs with its own key."""
        ...


@runtime_checkable
class FeeWorkload(Protocol):
    """What a module workload that makes the simulated clients pay fees also offers."""

    def fee_per_byte(self) -> int:
        """The fee per byte of signed transaction the clients pay."""
        ...


@dataclass(frozen=True, slots=True)
class SimInstitution:
    """An institution of the simulated chain, whose key is a simulated account's: the
    simulator (sim/institutions.py) registers it in the institution registry, at genesis or
    by a governance proposal during the run, and may revoke it during the run."""

    id: str
    name: str
    roles: tuple[str, ...]
    """Sorted: the union of the roles the module workloads asked of this institution."""
    public_key: bytes
    address: Address
    """The simulated account that signs as it (the address of `public_key`)."""


@runtime_checkable
class InstitutionWorkload(Protocol):
    """What a module workload whose clients act as registered institutions also offers.

    `institution_roles` lists the institutions it wants, each as the roles one institution
    holds (distinct entries go to distinct institutions while there are enough simulated
    accounts); the simulator gives each to one simulated account, merging the roles other
    modules asked of that account, and tells every such workload the whole roster through
    `on_institutions` before it asks any genesis section. The roster does not say which
    institutions the registry holds at which height: a client acts as its roster entry and
    the chain refuses what it may not do (not yet registered, revoked), as a real one would.
    """

    def institution_roles(self) -> Sequence[Sequence[str]]: ...

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None: ...


@runtime_checkable
class RegistryWorkload(Protocol):
    """What the workload of the module that keeps the institution registry also offers: the
    institutions its genesis section registers (called before `genesis_section`)."""

    def register_at_genesis(self, institutions: Sequence[SimInstitution]) -> None: ...


# --- the module manifest --------------------------------------------------------------------

ProcessFn = Callable[[TxView, TxContext, Any], list[Event]]
"""process(view, ctx, action) -> events; raises an InvalidTransaction subclass to refuse."""
ExportFn = Callable[..., Any]
"""export(view, ctx, caller, *args) -> anything: an operation a module offers the others, run
on its own keys (`view`) for the calling module `caller` (TxView.call). It raises a
ModuleError to refuse, which refuses the calling action."""
BeginBlockFn = Callable[[KVStore, BlockContext], list[Event]]
"""begin_block(view, ctx) -> events: runs once per block, before its transactions."""
InvariantFn = Callable[[KVReader, KVReader, list[bytes]], None]
"""assert_invariants(before, after, changed_keys): `assert`s facts that must hold at commit."""


@dataclass(frozen=True, slots=True)
class Module:
    """An app module: one folder under apps/, and this manifest in its __init__.py.

    Everything generic (HTTP routes, CLI commands, client methods, the docs' tables, the
    simulator's workload mix, the layer test) is derived from it; adding a module edits nothing
    outside its folder but the registry line (apps/registry.py).
    """

    name: str
    summary: str
    """One line for people: what the module is for."""
    actions: tuple[type[msgspec.Struct], ...]
    """Its tagged action Structs; each tag starts with `<name>.`."""
    process: ProcessFn
    queries: tuple[Query, ...] = ()
    genesis: GenesisSection | None = None
    errors: tuple[type[ModuleError], ...] = ()
    """Every refusal it raises; each code is `<name>.<reason>`."""
    limits: Mapping[str, int] = field(default_factory=dict)
    """Its bounds on what a client controls (name unit-last -> value), for the docs."""
    workload: Callable[[], ModuleWorkload] | None = None
    exports: Mapping[str, ExportFn] = field(default_factory=dict)
    """Operations other modules may call during an action (TxView.call): the only way a
    module acts on another's state (it reads another's state through queries or exports)."""
    begin_block: BeginBlockFn | None = None
    assert_invariants: InvariantFn | None = None
    account_policy: PolicyFn | None = None
    """Set by at most one module (apps/accounts): the policy of an account, which the ledger
    counts the transaction's keys against (apps/account_policy.py)."""
    charges_fees: FeeRule | None = None
    """Set by at most one module (apps/fees): the minimum fee and how the sender pays it
    (apps/fee_rule.py)."""
    params: tuple[ParamSpec, ...] = ()
    """Its parameters governance may change at run time (apps/chain_governance.py), each
    named `<name>.<param>`; other modules read a value with the governing module's query."""
    genesis_params: Callable[[Any], Mapping[str, int]] | None = None
    """genesis_params(its genesis section) -> the genesis values of some of its `params`
    (the others start at their declared default): a parameter a chain sets in its genesis
    file (fees.min_fee_per_byte) and governance changes later."""
    governs: ChainGovernance | None = None
    """Set only by the module that governs the chain (validator sets, parameters, evidence)."""
    prefix: bytes = field(init=False, repr=False, compare=False)
    """The module's key prefix in the ledger state: `<name>/` (computed once, read per tx)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", self.name.encode() + b"/")

    def get_query(self, name: str) -> Query | None:
        for query in self.queries:
            if query.name == name:
                return query
        return None


MODULE_ACCOUNT_TAG = b"chainbook/module-account/v1\x00"


def module_account(name: str) -> Address:
    """The address of module `name`'s own account (escrow, collected fees, ...): no key
    controls it, so only the module's code moves what it holds (through other modules'
    exports, which check that the caller is that module)."""
    return hashlib.sha256(MODULE_ACCOUNT_TAG + name.encode()).digest()[:20]


def get_action_tag(action_type: type[msgspec.Struct]) -> str:
    """The tag an action type is declared with (its first array element on the wire)."""
    tag = action_type.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"action {action_type.__name__} must be declared with a string tag")
    return tag


__all__ = [
    "BeginBlockFn",
    "BlockContext",
    "CosigningWorkload",
    "ExportFn",
    "FeeWorkload",
    "GenesisSection",
    "InstitutionWorkload",
    "InvariantFn",
    "KVReader",
    "KVStore",
    "Module",
    "ModuleError",
    "ModuleWorkload",
    "PrefixedReader",
    "PrefixedView",
    "ProcessFn",
    "Query",
    "QueryContext",
    "QueryFn",
    "RegistryWorkload",
    "Rng",
    "SimInstitution",
    "SigningWorkload",
    "TxContext",
    "TxView",
    "decode_int",
    "encode_int",
    "get_action_tag",
    "module_account",
]
