"""The modules that trust registered institutions succeed in the simulator, not only refuse.

Each module's workload signs as the simulated institutions (sim/institutions.py) and mixes
what must be accepted with what must be refused. Over three focused seeds of each module
(tests/sim/focused.py: the real cluster with drawn faults, its clients' turns given to the
module), each main action commits at least a few ok receipts, the module's typical refusals
happen too, and its assert_invariants hold over the whole final state of every honest node
(they also run at every commit of every node during the run). The thresholds sit well below
what the seeds give (their counts are in the failure message), so they catch a workload that
stopped succeeding, not a change of timing.
"""

from __future__ import annotations

import pytest

from chainbook.apps import assets, evidence, identity, invoice, private, royalty, trace
from chainbook.apps.base import Module
from chainbook.sim.workload import Outcomes
from tests.sim.focused import (
    add_outcomes,
    assert_module_invariants,
    committed,
    focused_config,
    most_advanced,
    run_focused,
)

SEEDS = range(3)

CASES: dict[str, tuple[Module, dict[str, int], tuple[str, ...]]] = {
    "identity": (
        identity.MODULE,
        {"identity.issue": 20, "identity.revoke": 4},
        ("identity.not_authorised",),
    ),
    "private": (
        private.MODULE,
        {"private.create_collection": 8, "private.approve_members": 3, "private.record": 15},
        ("private.not_a_member",),
    ),
    "trace": (
        trace.MODULE,
        {
            "trace.register_product": 2,
            "trace.create": 4,
            "trace.hand_over": 4,
            "trace.accept": 2,
            "trace.record": 10,
        },
        ("trace.not_a_manufacturer",),
    ),
    "evidence": (
        evidence.MODULE,
        {"evidence.submit": 20, "evidence.endorse": 15},
        ("evidence.not_an_institution",),
    ),
    "assets": (
        assets.MODULE,
        {
            "assets.mint": 3,
            "assets.burn": 2,
            "assets.create_token": 1,
            "assets.freeze": 1,
            "assets.transfer": 20,
            "assets.register_asset": 8,
        },
        ("assets.not_an_issuer",),
    ),
    "royalty": (
        royalty.MODULE,
        {"royalty.pay": 20, "royalty.register": 1, "royalty.set_prices": 3,
         "royalty.change_split": 2},
        ("royalty.not_a_rights_manager",),
    ),
    "invoice": (
        invoice.MODULE,
        {"invoice.pay": 20, "invoice.void": 8, "invoice.reimburse": 2},
        ("invoice.not_a_taxpayer",),
    ),
}
"""Module -> (its manifest, minimum ok receipts per action over SEEDS, refusal codes that
must occur)."""


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_main_action_commits_ok_receipts_and_the_invariants_hold(name: str) -> None:
    module, minimum_ok, refusals_expected = CASES[name]
    config = focused_config(module)
    outcomes: Outcomes = {}
    refusals: dict[str, int] = {}
    events: dict[str, int] = {}
    for seed in SEEDS:
        result, simulation = run_focused(seed, config)
        add_outcomes(outcomes, result.tx_outcomes)
        for code, count in result.refusals.items():
            refusals[code] = refusals.get(code, 0) + count
        if module.assert_invariants is not None:
            assert assert_module_invariants(simulation, module) > 0, seed
        for _, _, receipt in committed(most_advanced(simulation)):
            for event in receipt.events:
                if event.module == name:
                    events[event.kind] = events.get(event.kind, 0) + 1
    ok = {tag: outcomes.get(tag, {}).get("ok", 0) for tag in minimum_ok}
    short = {tag: (ok[tag], least) for tag, least in minimum_ok.items() if ok[tag] < least}
    assert not short, f"ok receipts (got, least) {short}; all outcomes {outcomes}"
    for code in refusals_expected:
        assert refusals.get(code, 0) > 0, (code, refusals)
    if name == "evidence":
        assert events.get("policy_met", 0) >= 3, events
    if name == "private":
        assert events.get("members_changed", 0) >= 1, events
