"""A module query with a proof: the answer, and a state proof of every key the query read.

Rules kept:
- "A query's proof" is the proof of the exact keys it read. The query runs over a reader that
  records each key (its own module's keys, account nonces, and other modules' keys read through
  `ctx.ask`); each recorded key gets a membership or non-membership proof from the same state
  tree version the query read. A verifier re-runs the query over the proven keys only, with a
  reader that refuses any other key, and compares the answers: a node cannot answer from keys
  it did not prove, nor prove keys that give another answer.
- The version proven is the state after height L - 1, where L is the latest committed height:
  header L carries its root as app_hash (chain/block.py), and header L's commit certificate is
  what makes it final. The latest state (after L) has no committed header yet.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.base import KVReader
from chainbook.apps.registry import Registry
from chainbook.errors import InvalidInput
from chainbook.ledger.queries import run_query_on
from chainbook.ledger.state import LedgerState
from chainbook.ledger.state_tree import StateProof, StateTree
from chainbook.types import Height

PROVEN_KEYS_MAX = 64
"""Most state keys one proven query may read (a bigger answer is refused, not truncated)."""


class ProofUnavailable(InvalidInput):
    """No committed header commits to a state yet (nothing was committed since genesis)."""

    code = "proof_unavailable"


class UnprovenRead(InvalidInput):
    """A query read a key outside the proven set, or read more keys than allowed."""

    code = "unproven_read"


class ProvenQuery(msgspec.Struct, frozen=True):
    answer: Any
    height: Height
    """The answer and the proofs are of the state after this block."""
    proofs: list[StateProof]
    """One per key read, in first-read order."""


class RecordingReader:
    """Reads `tree`, remembering every key read (at most `keys_max`)."""

    __slots__ = ("keys", "keys_max", "tree")

    def __init__(self, tree: StateTree, keys_max: int = PROVEN_KEYS_MAX) -> None:
        self.tree = tree
        self.keys: dict[bytes, None] = {}
        self.keys_max = keys_max

    def get(self, key: bytes, /) -> bytes | None:
        if key not in self.keys:
            if len(self.keys) >= self.keys_max:
                raise UnprovenRead(
                    f"the query reads more than {self.keys_max} state keys; a proof covers at "
                    "most that many"
                )
            self.keys[key] = None
        return self.tree.get(key)


class ProvenReader:
    """Serves exactly the proven keys (value, or None for a proven absence)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[bytes, bytes | None]) -> None:
        self.values = values

    def get(self, key: bytes, /) -> bytes | None:
        if key not in self.values:
            raise UnprovenRead(f"the query reads key {key.hex()}, which the proof does not cover")
        return self.values[key]


def prove_query(
    state: LedgerState, module: str, query: str, request: msgspec.Struct
) -> ProvenQuery:
    """Run the query on the latest proven version of `state`, with a proof of each key read."""
    tree = state.previous_tree
    if tree is None or state.height < 1:
        raise ProofUnavailable(
            "no block is committed yet: the genesis state is proven by block 1's header"
            if state.height < 1
            else "this node has not applied a block since it started; retry after the next"
        )
    reader = RecordingReader(tree)
    answer = run_query_on(reader, state.height - 1, state.registry, module, query, request)
    return ProvenQuery(
        answer=answer, height=state.height - 1, proofs=[tree.prove(k) for k in reader.keys]
    )


def rerun_query(
    values: dict[bytes, bytes | None],
    height: Height,
    registry: Registry,
    module: str,
    query: str,
    request: msgspec.Struct,
) -> Any:
    """The verifier's side: the query's answer computed from the proven keys alone."""
    reader: KVReader = ProvenReader(values)
    return run_query_on(reader, height, registry, module, query, request)


__all__ = [
    "PROVEN_KEYS_MAX",
    "ProofUnavailable",
    "ProvenQuery",
    "ProvenReader",
    "RecordingReader",
    "UnprovenRead",
    "prove_query",
    "rerun_query",
]
