"""Replay every module's spec vectors through execute_block, from their hex bytes alone."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from chainbook.apps.registry import Registry
from chainbook.chain.tx import decode_tx
from chainbook.errors import InvalidBlock
from chainbook.ledger.execute import BlockContext, apply_block_result, execute_block
from chainbook.ledger.state import LedgerState
from tests.apps.spec import FORMAT, ModuleCases, discover, dump

CASES = discover()
VECTORS = [(cases, path) for cases in CASES for path in sorted(cases.vectors_dir.glob("*.json"))]


def load_state(data: dict[str, Any], registry: Registry) -> LedgerState:
    kv = {bytes.fromhex(k): bytes.fromhex(v) for k, v in data["kv"].items()}
    return LedgerState(
        data["height"], bytes.fromhex(data["app_hash"]), data["time_ms"], kv, registry
    )


def test_every_module_of_the_build_has_vectors() -> None:
    from chainbook.apps.registry import REGISTRY

    with_vectors = {cases.module for cases in CASES if any(cases.vectors_dir.glob("*.json"))}
    assert {m.name for m in REGISTRY.modules} <= with_vectors


@pytest.mark.parametrize(
    ("cases", "path"), VECTORS, ids=[f"{c.module}/{p.stem}" for c, p in VECTORS]
)
def test_vector(cases: ModuleCases, path: pathlib.Path) -> None:
    vector = json.loads(path.read_text())
    assert vector["format"] == FORMAT and vector["module"] == cases.module
    state = load_state(vector["pre"], cases.registry)
    block = vector["block"]
    txs = [decode_tx(bytes.fromhex(t)) for t in block["txs"]]
    ctx = BlockContext(block["height"], block["time_ms"], bytes.fromhex(block["proposer"]))
    expected = vector["expected"]
    if expected["invalid_block"] is not None:
        with pytest.raises(InvalidBlock) as info:
            execute_block(state, block["chain_id"], txs, ctx)
        assert expected["invalid_block"] in str(info.value)
        return
    result = execute_block(state, block["chain_id"], txs, ctx)
    got_receipts = [
        {
            "tx_hash": r.tx_hash.hex(),
            "index": r.index,
            "ok": r.ok,
            "code": r.code,
            "error": r.error,
            "events": [[e.module, e.kind, [list(a) for a in e.attributes]] for e in r.events],
        }
        for r in result.receipts
    ]
    assert got_receipts == expected["receipts"]
    events = [[e.module, e.kind, [list(a) for a in e.attributes]] for e in result.events]
    assert events == expected["events"]
    assert result.receipts_root.hex() == expected["receipts_root"]
    apply_block_result(state, result, block["height"])
    post = expected["post"]
    assert state.height == post["height"] and state.time_ms == post["time_ms"]
    assert {k.hex(): v.hex() for k, v in state.kv.items()} == post["kv"]
    assert state.app_hash.hex() == post["app_hash"]


@pytest.mark.parametrize("cases", CASES, ids=[c.module for c in CASES])
def test_vector_files_are_up_to_date(cases: ModuleCases) -> None:
    """The committed files equal what the cases produce now (python -m tests.apps.spec)."""
    built = cases.build_vectors()
    on_disk = {p.stem for p in cases.vectors_dir.glob("*.json")}
    assert on_disk == set(built), "stale or missing vector files"
    for name, vector in built.items():
        assert (cases.vectors_dir / f"{name}.json").read_text() == dump(vector), name
