"""The benchmark's module mix (bench/mix.py): every component's transactions succeed on the
genesis the mix extends (a mix that only measured refusals would flatter its figure), the
schedule keeps the weights, and a bad --mix is refused naming what is wrong."""

from __future__ import annotations

from collections import Counter

import pytest

from chainbook.apps.registry import REGISTRY
from chainbook.bench.mix import COMPONENTS, build_cycle, extend_genesis, parse_mix, sign_mix
from chainbook.bench.workload import bench_key
from chainbook.chain.tx import decode_tx
from chainbook.ledger.state import LedgerState
from tests.support.chain import CHAIN_ID, make_genesis
from tests.support.ledger import run_block

ACCOUNTS = 12


def module_of(action_bytes: bytes) -> str:
    tag = REGISTRY.decode_action(action_bytes).__struct_config__.tag
    assert isinstance(tag, str)
    return tag.split(".")[0]


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_each_component_commits_ok_receipts_over_several_blocks(component: str) -> None:
    mix = ((component, 1),)
    genesis = make_genesis({bench_key(i).address: 10**9 for i in range(ACCOUNTS)})
    state = LedgerState.from_genesis(extend_genesis(genesis, mix, ACCOUNTS), REGISTRY)
    batch = sign_mix(CHAIN_ID, mix, 3 * ACCOUNTS, 0, ACCOUNTS, ACCOUNTS)
    for block in range(3):  # each sender's nonces 0, 1, 2 in consecutive blocks
        txs = [decode_tx(t) for t in batch.txs[block * ACCOUNTS:(block + 1) * ACCOUNTS]]
        receipts = run_block(state, txs).receipts
        refused = [(r.code, r.error) for r in receipts if not r.ok]
        assert not refused, refused
        assert {module_of(t.action_bytes) for t in txs} == {component}


def test_the_cycle_keeps_the_weights_interleaved() -> None:
    cycle = build_cycle((("bank", 3), ("assets", 1)))
    assert Counter(cycle) == {"bank": 3, "assets": 1}
    assert cycle[:2] == ["bank", "assets"]  # interleaved, not 3 banks then one asset


def test_the_schedule_is_deterministic_and_follows_the_cycle() -> None:
    mix = parse_mix("bank=2,assets=1")
    first = sign_mix(CHAIN_ID, mix, 30, 0, 10, 10)
    assert first.txs == sign_mix(CHAIN_ID, mix, 30, 0, 10, 10).txs
    modules = Counter(module_of(decode_tx(t).action_bytes) for t in first.txs)
    assert modules == {"bank": 20, "assets": 10}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("bank=1,nope=2", "unknown component 'nope'"),
        ("bank=0", "integer 1 to 100"),
        ("bank=x", "integer 1 to 100"),
        ("bank=1,bank=2", "named twice"),
        ("", "at least one"),
    ],
)
def test_a_bad_mix_is_refused_naming_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_mix(text)
