"""The chaos checker bites: each check fails on a history or a book that breaks its rule.

Pure: hand-made blocks and histories, no network (the checks are the oracle of the suite; a
check that cannot fail would make every chaos run pass).
"""

from __future__ import annotations

import json
from pathlib import Path

from chainbook.api.views import BlockView, HeaderView
from tests.chaos.checker import (
    Snapshot,
    Verdict,
    check_acked,
    check_agreement,
    check_balances,
    check_no_phantom,
    compute_model,
)
from tests.chaos.workload import Ack, History, SentTx

ALICE = "aa" * 20
BOB = "bb" * 20
PROPOSER = "cc" * 20
REWARD = 1_000


def header(height: int) -> HeaderView:
    return HeaderView(
        chain_id="c",
        height=height,
        time_ms=height,
        prev_block_hash="",
        last_commit_hash="",
        txs_root="",
        tx_count=0,
        receipts_root="",
        app_hash=f"app{height}",
        validators_hash="",
        next_validators_hash="",
        proposer=PROPOSER,
        evidence_hash="",
    )


def block(height: int, txs: list[str], hash_: str | None = None) -> BlockView:
    return BlockView(
        hash=hash_ or f"block{height}",
        header=header(height),
        tx_hashes=txs,
        last_commit=None,
        commit=None,
    )


def genesis(tmp_path: Path, supply_max: int = 10**12) -> Path:
    path = tmp_path / "genesis.json"
    bank = {
        "accounts": [{"address": ALICE, "amount": 500}, {"address": BOB, "amount": 0}],
        "issuance": {
            "block_reward": REWARD,
            "halving_interval_blocks": 2,
            "supply_max": supply_max,
        },
    }
    path.write_text(json.dumps({"app_state": {"bank": bank}}))
    return path


def history(*amounts: int) -> History:
    h = History()
    for index, amount in enumerate(amounts):
        name = f"tx{index}"
        h.sent[name] = SentTx(name, bytes.fromhex(ALICE), bytes.fromhex(BOB), amount)
    return h


def test_the_model_applies_transfers_in_order_refuses_overdrafts_and_halves_rewards(
    tmp_path: Path,
) -> None:
    chain = [block(1, ["tx0"]), block(2, ["tx1"]), block(3, ["tx2"])]
    model = compute_model(genesis(tmp_path), chain, history(300, 300, 100))
    assert model.balances[ALICE] == 500 - 300 - 100  # tx1 overdraws: refused, kept in the block
    assert model.failed == 1
    assert model.balances[PROPOSER] == REWARD + REWARD + REWARD // 2
    assert model.supply == 500 + REWARD * 2 + REWARD // 2


def test_the_supply_cap_clips_the_last_reward(tmp_path: Path) -> None:
    model = compute_model(
        genesis(tmp_path, supply_max=500 + 1_500), [block(1, []), block(2, [])], History()
    )
    assert model.supply == 2_000 and model.balances[PROPOSER] == 1_500


def test_a_fork_is_reported() -> None:
    verdict = Verdict()
    check_agreement(
        {"a": [block(1, []), block(2, [])], "b": [block(1, []), block(2, [], "x")]}, verdict
    )
    assert len(verdict.problems) == 1 and "height 2" in verdict.problems[0]


def test_an_acknowledged_tx_missing_or_moved_is_reported() -> None:
    h = history(1, 1)
    h.acked = [Ack("tx0", 1, 0, "a"), Ack("tx1", 2, 0, "a")]
    ok = Verdict()
    check_acked(h, {"a": [block(1, ["tx0"]), block(2, ["tx1"])]}, ok)
    assert ok.ok
    moved, lost = Verdict(), Verdict()
    check_acked(h, {"a": [block(1, ["tx1"]), block(2, ["tx0"])]}, moved)
    check_acked(h, {"a": [block(1, ["tx0"])]}, lost)
    assert not moved.ok and not lost.ok


def test_a_tx_nobody_sent_or_committed_twice_is_reported() -> None:
    phantom, twice = Verdict(), Verdict()
    check_no_phantom(history(1), [block(1, ["tx0", "forged"])], phantom)
    check_no_phantom(history(1), [block(1, ["tx0"]), block(2, ["tx0"])], twice)
    assert not phantom.ok and not twice.ok


def test_balances_that_differ_from_the_model_are_reported(tmp_path: Path) -> None:
    chain = [block(1, ["tx0"])]
    good = Snapshot(1, {ALICE: 400, BOB: 100, PROPOSER: REWARD}, 500 + REWARD)
    bad = Snapshot(1, {ALICE: 400, BOB: 101, PROPOSER: REWARD}, 500 + REWARD)
    verdicts = [Verdict(), Verdict()]
    check_balances(genesis(tmp_path), chain, history(100), {"a": good}, verdicts[0])
    check_balances(genesis(tmp_path), chain, history(100), {"a": bad}, verdicts[1])
    assert verdicts[0].ok and not verdicts[1].ok
