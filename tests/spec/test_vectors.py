"""Replay every ledger spec vector through execute_block, from its hex bytes alone."""

import json
import pathlib
from typing import Any

import pytest

from chainbook.chain.tx import decode_tx
from chainbook.errors import InvalidBlock
from chainbook.ledger.execute import BlockContext, apply_block_result, execute_block
from chainbook.ledger.state import LedgerState

from .make_vectors import FORMAT, VECTORS_DIR, build_vectors, dump

VECTOR_FILES = sorted(VECTORS_DIR.glob("*.json"))


def load_state(data: dict[str, Any]) -> LedgerState:
    kv = {bytes.fromhex(k): bytes.fromhex(v) for k, v in data["kv"].items()}
    return LedgerState(data["height"], bytes.fromhex(data["app_hash"]), data["time_ms"], kv)


def test_there_are_vectors() -> None:
    assert len(VECTOR_FILES) >= 5


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_vector(path: pathlib.Path) -> None:
    vector = json.loads(path.read_text())
    assert vector["format"] == FORMAT
    state = load_state(vector["pre"])
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
            "error": r.error,
            "events": [[e.module, e.kind, [list(a) for a in e.attributes]] for e in r.events],
        }
        for r in result.receipts
    ]
    assert got_receipts == expected["receipts"]
    events = [[e.module, e.kind, [list(a) for a in e.attributes]] for e in result.events]
    assert events == expected["events"]
    apply_block_result(state, result, block["height"])
    post = expected["post"]
    assert state.height == post["height"] and state.time_ms == post["time_ms"]
    assert {k.hex(): v.hex() for k, v in state.kv.items()} == post["kv"]
    assert state.app_hash.hex() == post["app_hash"]


def test_vector_files_are_up_to_date() -> None:
    """The committed files equal what the generator produces now (rerun make_vectors.py)."""
    for name, vector in build_vectors().items():
        assert (VECTORS_DIR / f"{name}.json").read_text() == dump(vector), name
