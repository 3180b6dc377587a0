"""The notes module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

from chainbook.ledger.state import LedgerState
from tests.apps.notes import Delete, Post
from tests.apps.notes.registry import REGISTRY
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, make_state, signed

__all__ = ["REGISTRY", "build_vectors"]


def state() -> LedgerState:
    return make_state(registry=REGISTRY)


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "post_and_delete",
            "Alice posts a note, posts the same id again (refused), deletes it; Bob deletes a"
            " note he never posted (refused).",
            state(),
            [
                signed(ALICE, 0, Post(id="hello", text="first")),
                signed(ALICE, 1, Post(id="hello", text="again")),
                signed(ALICE, 2, Delete(id="hello")),
                signed(BOB, 0, Delete(id="nope")),
            ],
        ),
    ]
