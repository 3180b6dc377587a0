"""Running a module's query on the committed state: the one path every interface uses.

    answer = run_query(state, "bank", "balance", BalanceRequest(address=...))

The API (GET /apps/<module>/<query>), the CLI and the client all end here through the node.
A query sees its module's keys only; it reads another module through `ctx.ask`, which runs
that module's query on the same state (never its keys).
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.base import KVReader, PrefixedReader, Query, QueryContext
from chainbook.apps.registry import Registry
from chainbook.errors import InvalidInput
from chainbook.ledger.state import LedgerState, get_nonce
from chainbook.types import Address, Height, Nonce


class UnknownQuery(InvalidInput):
    """No such module, or no such query in it; the message lists what exists."""

    code = "unknown_query"


def get_query(state: LedgerState, module_name: str, query_name: str) -> Query:
    return find_query(state.registry, module_name, query_name)


def find_query(registry: Registry, module_name: str, query_name: str) -> Query:
    module = registry.get_module(module_name)
    if module is None:
        known = ", ".join(m.name for m in registry.modules)
        raise UnknownQuery(f"unknown module {module_name!r}; modules: {known}")
    query = module.get_query(query_name)
    if query is None:
        known = ", ".join(q.name for q in module.queries) or "none"
        raise UnknownQuery(f"unknown query {module_name}.{query_name}; its queries: {known}")
    return query


def run_query(
    state: LedgerState, module_name: str, query_name: str, request: msgspec.Struct
) -> Any:
    """The answer of `module_name.query_name` to `request` on `state` (read-only)."""
    return run_query_on(state.kv, state.height, state.registry, module_name, query_name, request)


def run_query_on(
    kv: KVReader,
    height: Height,
    registry: Registry,
    module_name: str,
    query_name: str,
    request: msgspec.Struct,
) -> Any:
    """The same over any reader of the whole state (full keys): what a proven query runs on,
    recording the keys it reads (ledger/proven_query.py), and what its verifier re-runs."""
    query = find_query(registry, module_name, query_name)
    if not isinstance(request, query.request):
        raise TypeError(
            f"{module_name}.{query_name} takes {query.request.__name__}, "
            f"got {type(request).__name__}"
        )
    module = registry.get_module(module_name)
    assert module is not None

    def nonce_of(address: Address) -> Nonce:
        return get_nonce(kv, address)

    def ask(other: str, name: str, other_request: msgspec.Struct) -> Any:
        return run_query_on(kv, height, registry, other, name, other_request)

    ctx = QueryContext(
        view=PrefixedReader(kv, module.prefix),
        height=height,
        get_nonce=nonce_of,
        ask=ask,
    )
    return query.handler(ctx, request)


__all__ = ["UnknownQuery", "find_query", "get_query", "run_query", "run_query_on"]
