"""The registry of app modules and the one decoder for every action.

Adding a module is one line: append it to MODULES. The registry checks at import that names,
prefixes and action tags are unique, that each tag starts with "<module>." and each error code
with "<module>.", each parameter name with "<module>." (the governing module may also declare
"consensus." parameters), that at most one module governs the chain (apps/chain_governance.py),
that at most one module keeps account policies (`Module.account_policy`) and at most one
charges fees (`Module.charges_fees`), that query names are unique within a module, then builds
one msgspec Decoder over the tagged union of every action type. Everything generic (the API's
/apps/<module>/<query> routes, the CLI's `chainbook <module> ...` commands, the client's
methods, the docs' action tables, the simulator's workload mix) reads a Registry; tests build
one with an extra module to show that nothing else needs an edit.

`decode_action` is strict: the bytes must decode to exactly one registered action (wrong types
and extra or missing fields are refused) and must be its canonical encoding (re-encoding gives
the same bytes), so one action has one byte string. An unknown tag raises UnknownAction naming
the tag and the accepted ones. The same check runs at mempool admission and in block execution,
so an honest proposer never includes an action that execution would refuse to decode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

import msgspec

from chainbook import codec
from chainbook.apps import (
    accounts,
    assets,
    bank,
    evidence,
    fees,
    governance,
    identity,
    invoice,
    iot,
    ip,
    loans,
    notary,
    private,
    royalty,
    settlement,
    trace,
    vote,
)
from chainbook.apps.base import Module, get_action_tag
from chainbook.apps.chain_governance import ParamSpec
from chainbook.errors import DecodeError, UnknownAction

MODULES: tuple[Module, ...] = (
    bank.MODULE,
    governance.MODULE,
    notary.MODULE,
    ip.MODULE,
    vote.MODULE,
    evidence.MODULE,
    trace.MODULE,
    private.MODULE,
    identity.MODULE,
    iot.MODULE,
    assets.MODULE,
    accounts.MODULE,
    fees.MODULE,
    royalty.MODULE,
    loans.MODULE,
    settlement.MODULE,
    invoice.MODULE,
    # Add a module here (one line).
)

RESERVED_NAMES = frozenset({"acct"})
"""Key prefixes the ledger keeps for itself (account nonces live under b"acct/")."""

_raw_list_decoder = msgspec.msgpack.Decoder(list[msgspec.Raw])


class Registry:
    """Modules by name and by action type, and the union decoder of their actions."""

    __slots__ = (
        "_by_action_type",
        "_by_name",
        "_decoder",
        "fee_charger",
        "governor",
        "modules",
        "policy_keeper",
        "tags",
    )

    def __init__(self, modules: Sequence[Module]) -> None:
        self.modules: tuple[Module, ...] = tuple(modules)
        self._by_name: dict[str, Module] = {}
        self._by_action_type: dict[type[Any], Module] = {}
        self.tags: dict[str, type[msgspec.Struct]] = {}
        self.policy_keeper: Module | None = None
        """The module that keeps account policies (apps/account_policy.py), if any."""
        self.fee_charger: Module | None = None
        """The module that charges fees (apps/fee_rule.py), if any."""
        self.governor: Module | None = None
        """The module that governs the chain (validator sets, parameters), if any."""
        for module in self.modules:
            self._add(module)
        names = [spec.name for spec in self.param_specs]
        if len(set(names)) != len(names):
            raise ValueError(f"a parameter name is declared twice: {sorted(names)}")
        types = tuple(self._by_action_type)
        if not types:
            raise ValueError("a registry needs at least one action")
        self._decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(
            Union[types]  # noqa: UP007 - a runtime union over a tuple of types
        )

    def _add(self, module: Module) -> None:
        if module.name in self._by_name or module.name in RESERVED_NAMES:
            raise ValueError(f"module name {module.name!r} is taken or reserved")
        if "/" in module.name or not module.name:
            raise ValueError(f"module name {module.name!r} must be non-empty without '/'")
        self._by_name[module.name] = module
        for action_type in module.actions:
            tag = get_action_tag(action_type)
            if not tag.startswith(module.name + "."):
                raise ValueError(f"action tag {tag!r} must start with {module.name + '.'!r}")
            if tag in self.tags:
                raise ValueError(f"action tag {tag!r} registered twice")
            config = action_type.__struct_config__
            if not (config.array_like and config.frozen and config.forbid_unknown_fields):
                raise ValueError(
                    f"action {tag!r} must be array_like, frozen and forbid_unknown_fields"
                )
            self.tags[tag] = action_type
            self._by_action_type[action_type] = module
        for error in module.errors:
            if not error.code.startswith(module.name + "."):
                raise ValueError(
                    f"error {error.__name__} of module {module.name!r} has code {error.code!r}; "
                    f"it must start with {module.name + '.'!r}"
                )
        if module.account_policy is not None:
            if self.policy_keeper is not None:
                raise ValueError(
                    f"modules {self.policy_keeper.name!r} and {module.name!r} both keep account "
                    "policies; at most one may"
                )
            self.policy_keeper = module
        if module.charges_fees is not None:
            if self.fee_charger is not None:
                raise ValueError(
                    f"modules {self.fee_charger.name!r} and {module.name!r} both charge fees; "
                    "at most one may"
                )
            self.fee_charger = module
        if module.governs is not None:
            if self.governor is not None:
                raise ValueError(
                    f"modules {self.governor.name!r} and {module.name!r} both govern the chain; "
                    "at most one may"
                )
            self.governor = module
        prefixes = (module.name + ".",) + (("consensus.",) if module.governs else ())
        for spec in module.params:
            if not spec.name.startswith(prefixes) or not spec.is_allowed(spec.default):
                raise ValueError(
                    f"parameter {spec.name!r} of module {module.name!r} must start with "
                    f"{' or '.join(repr(p) for p in prefixes)} and its default lie in its range"
                )
        names = [query.name for query in module.queries]
        if len(set(names)) != len(names):
            raise ValueError(f"module {module.name!r} declares a query name twice: {names}")
        if module.genesis is not None:
            try:
                module.genesis.type()
            except TypeError as exc:
                raise ValueError(
                    f"genesis section of {module.name!r} needs a default for every field: {exc}"
                ) from None

    @property
    def param_specs(self) -> list[ParamSpec]:
        """Every parameter the modules declare, in registry order."""
        return [spec for module in self.modules for spec in module.params]

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable (the simulator runs seeds in worker processes): rebuilt from its modules."""
        return (Registry, (self.modules,))

    def decode_action(self, action_bytes: bytes) -> msgspec.Struct:
        """Decode one action; DecodeError or UnknownAction (both InvalidTransaction-kin)."""
        try:
            action: msgspec.Struct = self._decoder.decode(action_bytes)
        except msgspec.DecodeError as exc:  # includes ValidationError
            raise self._explain(action_bytes, exc) from None
        if codec.encode(action) != action_bytes:
            raise DecodeError(f"non-canonical encoding of action {get_action_tag(type(action))!r}")
        return action

    def _explain(self, action_bytes: bytes, exc: msgspec.DecodeError) -> Exception:
        """Turn msgspec's error into UnknownAction (bad tag) or DecodeError (bad fields)."""
        try:
            tag = msgspec.msgpack.decode(_raw_list_decoder.decode(action_bytes)[0])
        except (msgspec.DecodeError, IndexError):
            return DecodeError(f"malformed action: expected [tag, ...fields]: {exc}")
        if not isinstance(tag, str) or tag not in self.tags:
            known = ", ".join(sorted(self.tags))
            return UnknownAction(f"unknown action {tag!r}; known actions: {known}")
        return DecodeError(f"invalid action {tag!r}: {exc}")

    def module_for(self, action: msgspec.Struct) -> Module:
        return self._by_action_type[type(action)]

    def get_module(self, name: str) -> Module | None:
        return self._by_name.get(name)

    def get_action_type(self, tag: str) -> type[msgspec.Struct] | None:
        return self.tags.get(tag)


REGISTRY = Registry(MODULES)
"""The registry of this build; every node of a chain must run the same one."""


def decode_action(action_bytes: bytes) -> msgspec.Struct:
    return REGISTRY.decode_action(action_bytes)


__all__ = ["MODULES", "REGISTRY", "RESERVED_NAMES", "Registry", "decode_action"]
