"""The client's view of the app modules: a builder for every action, a method for every query.

Both are derived from the module manifests of a registry (apps/), so a new module appears in
the SDK with no edit here:

    from chainbook.client import Client, Wallet, build_action
    client.apps.bank.balance(address="ab12...")     # -> bank's Balance
    client.query("bank", "supply")                  # the same, by name
    action = build_action("bank", "transfer", to="ab12...", amount=5)
    wallet.send(action, wait=True)

Builders and query methods take Python values or their text/JSON forms (hex for bytes), checked
against the types (apps/fields.py) before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from chainbook.apps.base import Query, get_action_tag
from chainbook.apps.fields import InvalidField, from_json_value, to_json_value
from chainbook.apps.registry import REGISTRY, Registry


def build_action(
    module: str, action: str, registry: Registry = REGISTRY, **fields: Any
) -> msgspec.Struct:
    """The action `<module>.<action>` with these fields (hex strings accepted for bytes)."""
    tag = f"{module}.{action}"
    action_type = registry.get_action_type(tag)
    if action_type is None:
        known = ", ".join(sorted(registry.tags))
        raise InvalidField(f"unknown action {tag!r}; actions: {known}")
    return from_json_value(to_json_value(fields), action_type, tag)


def query_params(query: Query, fields: dict[str, Any]) -> dict[str, str]:
    """A query's fields as URL parameters, checked against its request type first."""
    request = from_json_value(to_json_value(fields), query.request, query.name)
    params = {}
    for name in request.__struct_fields__:
        value = to_json_value(getattr(request, name))
        params[name] = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return params


class ModuleQueries:
    """`client.apps.<module>.<query>(**fields)`: one method per query of the module."""

    def __init__(self, name: str, queries: dict[str, Callable[..., Any]]) -> None:
        self._name = name
        self._queries = queries

    def __getattr__(self, query: str) -> Callable[..., Any]:
        try:
            return self._queries[query]
        except KeyError:
            known = ", ".join(sorted(self._queries)) or "none"
            raise AttributeError(f"module {self._name!r} has no query {query!r}; {known}") from None

    def __dir__(self) -> list[str]:
        return sorted(self._queries)


class AppsNamespace:
    """`client.apps.<module>`: the modules of the client's registry."""

    def __init__(self, run: Callable[[str, str, dict[str, Any]], Any], registry: Registry):
        self._modules = {
            m.name: ModuleQueries(
                m.name,
                {q.name: _query_method(run, m.name, q.name) for q in m.queries},
            )
            for m in registry.modules
        }

    def __getattr__(self, module: str) -> ModuleQueries:
        try:
            return self._modules[module]
        except KeyError:
            known = ", ".join(sorted(self._modules))
            raise AttributeError(f"no module {module!r}; modules: {known}") from None

    def __dir__(self) -> list[str]:
        return sorted(self._modules)


def _query_method(
    run: Callable[[str, str, dict[str, Any]], Any], module: str, query: str
) -> Callable[..., Any]:
    def method(**fields: Any) -> Any:
        return run(module, query, fields)

    method.__name__ = query
    return method


def action_tag(action: msgspec.Struct) -> str:
    return get_action_tag(type(action))


__all__ = ["AppsNamespace", "ModuleQueries", "action_tag", "build_action", "query_params"]
