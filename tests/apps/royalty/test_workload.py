"""The royalty simulator workload, driven on a ledger directly (seeded): its genesis catalogue
loads, its payments, licences and one-signer split changes succeed, its deliberate refusals
are refused for the reason it means, and the commit invariants hold on every block; and in
the simulator, with every other module and its faults."""

from __future__ import annotations

import random
from collections import Counter

from chainbook.apps.royalty import RoyaltyGenesis
from chainbook.apps.royalty.workload import WORKS, RoyaltyWorkload
from chainbook.crypto import PrivateKey
from chainbook.sim import SimConfig, run_seed
from tests.apps.royalty.helpers import nonce
from tests.support import ask, make_state, run_block, tx

KEYS = [PrivateKey.from_label(f"royalty-workload-{i}") for i in range(4)]
FUNDS = 10**9


def test_the_workload_mixes_successes_and_meant_refusals() -> None:
    rng = random.Random(5)
    workload = RoyaltyWorkload()
    addresses = [k.address for k in KEYS]
    section = workload.genesis_section(addresses)
    assert isinstance(section, RoyaltyGenesis) and len(section.works) == len(WORKS)
    state = make_state({a: FUNDS for a in addresses}, app_state={"royalty": section})
    outcomes: Counter[tuple[str, str]] = Counter()
    for _ in range(40):
        txs, actions = [], []
        for key in KEYS:
            action = workload.next_action(rng, key.address, addresses)
            assert action is not None
            txs.append(tx(key, nonce(state, key), action))
            actions.append((key, action))
        result = run_block(state, txs)  # asserts every module's commit invariants
        for (key, action), receipt in zip(actions, result.receipts, strict=True):
            workload.on_outcome(key.address, action, receipt.ok)
            outcomes[(type(action).__name__, receipt.code)] += 1
    assert outcomes[("Pay", "")] > 0 and outcomes[("ChangeSplit", "")] > 0
    for code in ("royalty.reference_used", "royalty.amount_mismatch", "royalty.unknown_work",
                 "royalty.signature_missing"):
        assert outcomes[("Pay" if code != "royalty.signature_missing" else "ChangeSplit",
                         code)] > 0, (code, outcomes)
    assert outcomes[("Register", "royalty.not_a_rights_manager")] > 0
    assert outcomes[("SetPrices", "royalty.not_a_rights_manager")] > 0
    meant = {"", "royalty.reference_used", "royalty.amount_mismatch", "royalty.unknown_work",
             "royalty.signature_missing", "royalty.stale_split", "royalty.no_change",
             "royalty.not_a_rights_manager"}
    assert {code for _, code in outcomes} <= meant, outcomes
    for work in WORKS:
        info = ask(state, "royalty", "work", work=work)
        payees = ask(state, "royalty", "payees", work=work)
        assert sum(p.received for p in payees.payees) == info.paid > 0


def test_the_simulator_commits_royalty_transactions() -> None:
    # Five seeds (~2 s): a short seed of a dozen modules may commit none of one module's.
    committed = 0
    for seed in range(5):
        result = run_seed(seed, SimConfig())  # raises SimulationFailure if a checker bites
        committed += result.txs_by_module.get("royalty", 0)
    assert committed > 0
