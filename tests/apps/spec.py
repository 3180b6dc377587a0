"""Ledger spec vectors: pre-state / block / post-state, per module, replayable anywhere.

Each module folder of the tests (tests/apps/<module>/) that has a `spec_cases.py` declares its
cases there (`build_vectors(make_vector)`, and `REGISTRY` if it needs modules beyond this
build's); the vectors live in tests/apps/<module>/vectors/*.json and tests/apps/test_spec.py
replays every one and checks the files are current. Regenerate them all with

    .venv/bin/python -m tests.apps.spec

A vector is a JSON file that a client in another language can replay: every byte string is
lowercase hex. Format "chainbook/ledger-vector/v1":

    module    the module the vector is about
    pre       {height, app_hash, time_ms, kv: {hex key: hex value}}   the committed state;
              app_hash is the state tree root over kv (docs/PROTOCOL.md "State tree")
    block     {chain_id, height, time_ms, proposer, txs: [hex SignedTx bytes]}
    expected  {invalid_block: null | "substring of the reason",
               events: [[module, kind, [[k, v], ...]], ...]          block-level (mint)
               receipts: [{tx_hash, index, ok, code, error, events}],
               receipts_root: hex, the block header's (docs/PROTOCOL.md "Receipts root"),
               post: {height, app_hash, time_ms, kv} | null}          null when the block is invalid

State values are canonical MessagePack; keys are b"acct/nonce/<addr>" and b"<module>/...".
"""

from __future__ import annotations

import importlib
import json
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.tx import decode_tx
from chainbook.errors import InvalidBlock
from chainbook.ledger.execute import BlockContext, apply_block_result, execute_block
from chainbook.ledger.receipts import Event
from chainbook.ledger.state import LedgerState
from tests.support import CHAIN_ID, VALIDATOR

FORMAT = "chainbook/ledger-vector/v1"
APPS_DIR = pathlib.Path(__file__).parent

MakeVector = Callable[[str, str, LedgerState, list[bytes]], dict[str, Any]]


@dataclass(frozen=True)
class ModuleCases:
    module: str
    registry: Registry
    build: Callable[[MakeVector], list[dict[str, Any]]]

    @property
    def vectors_dir(self) -> pathlib.Path:
        return APPS_DIR / self.module / "vectors"

    def build_vectors(self) -> dict[str, dict[str, Any]]:
        def make(name: str, description: str, state: LedgerState, txs: list[bytes]) -> Any:
            return make_vector(self.module, name, description, state, txs)

        return {v["name"]: v for v in self.build(make)}


def discover() -> list[ModuleCases]:
    """Every tests/apps/<module>/spec_cases.py."""
    found = []
    for path in sorted(APPS_DIR.glob("*/spec_cases.py")):
        module = importlib.import_module(f"tests.apps.{path.parent.name}.spec_cases")
        registry = getattr(module, "REGISTRY", REGISTRY)
        found.append(ModuleCases(path.parent.name, registry, module.build_vectors))
    return found


def state_json(state: LedgerState) -> dict[str, Any]:
    return {
        "height": state.height,
        "app_hash": state.app_hash.hex(),
        "time_ms": state.time_ms,
        "kv": {k.hex(): v.hex() for k, v in sorted(state.kv.items())},
    }


def events_json(events: list[Event]) -> list[Any]:
    return [[e.module, e.kind, [list(a) for a in e.attributes]] for e in events]


def make_vector(
    module: str, name: str, description: str, state: LedgerState, txs: list[bytes]
) -> dict[str, Any]:
    block = {
        "chain_id": CHAIN_ID,
        "height": state.height + 1,
        "time_ms": state.time_ms + 1_000,
        "proposer": VALIDATOR.address.hex(),
        "txs": [t.hex() for t in txs],
    }
    vector: dict[str, Any] = {
        "format": FORMAT,
        "module": module,
        "name": name,
        "description": description,
        "pre": state_json(state),
        "block": block,
    }
    ctx = BlockContext(state.height + 1, state.time_ms + 1_000, VALIDATOR.address)
    try:
        result = execute_block(state, CHAIN_ID, [decode_tx(t) for t in txs], ctx)
    except InvalidBlock as exc:
        vector["expected"] = {
            "invalid_block": str(exc).split(": ", 1)[1],
            "events": [],
            "receipts": [],
            "receipts_root": None,
            "post": None,
        }
        return vector
    post = LedgerState(state.height, state.app_hash, state.time_ms, dict(state.kv), state.registry)
    apply_block_result(post, result, result.height)
    vector["expected"] = {
        "invalid_block": None,
        "events": events_json(result.events),
        "receipts": [
            {
                "tx_hash": r.tx_hash.hex(),
                "index": r.index,
                "ok": r.ok,
                "code": r.code,
                "error": r.error,
                "events": events_json(r.events),
            }
            for r in result.receipts
        ],
        "receipts_root": result.receipts_root.hex(),
        "post": state_json(post),
    }
    return vector


def dump(vector: dict[str, Any]) -> str:
    return json.dumps(vector, indent=2, sort_keys=True) + "\n"


def main() -> None:
    for cases in discover():
        cases.vectors_dir.mkdir(exist_ok=True)
        for name, vector in cases.build_vectors().items():
            (cases.vectors_dir / f"{name}.json").write_text(dump(vector))
            print(f"wrote {cases.module}/vectors/{name}.json")


if __name__ == "__main__":
    main()
