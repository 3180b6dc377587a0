"""The royalty workload in the simulator, focused (tests/sim/focused.py: the real cluster with
drawn faults, the clients' turns given to royalty, the bank quiet): the simulated rights manager
registers works and changes prices, payments and one-signer split changes commit ok receipts,
the meant refusals happen, and the invariants hold over the whole final state of every honest
node (they also ran at every commit). Thresholds sit well below what the seeds give (the
counts are in the failure message)."""

from __future__ import annotations

from chainbook.apps import royalty
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
MINIMUM_OK = {"royalty.pay": 10, "royalty.register": 1, "royalty.set_prices": 1,
              "royalty.change_split": 2}
REFUSALS = ("royalty.not_a_rights_manager", "royalty.signature_missing")


def test_the_rights_manager_registers_and_everyone_pays_in_the_simulator() -> None:
    config = focused_config(royalty.MODULE)
    outcomes: Outcomes = {}
    refusals: dict[str, int] = {}
    received = 0
    for seed in SEEDS:
        result, simulation = run_focused(seed, config)
        add_outcomes(outcomes, result.tx_outcomes)
        for code, count in result.refusals.items():
            refusals[code] = refusals.get(code, 0) + count
        assert assert_module_invariants(simulation, royalty.MODULE) > 0, seed
        for _, _, receipt in committed(most_advanced(simulation)):
            received += sum(1 for e in receipt.events if e.kind == "received")
    ok = {tag: outcomes.get(tag, {}).get("ok", 0) for tag in MINIMUM_OK}
    short = {tag: (ok[tag], least) for tag, least in MINIMUM_OK.items() if ok[tag] < least}
    assert not short, f"ok receipts (got, least) {short}; all outcomes {outcomes}"
    for code in REFUSALS:
        assert refusals.get(code, 0) > 0, (code, refusals)
    assert received >= 2 * MINIMUM_OK["royalty.pay"]  # every payment split to its holders
