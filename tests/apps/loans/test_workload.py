"""The loans simulator workload, driven on a ledger directly (seeded): offers are made,
accepted and withdrawn, loans repaid in part and in full, forgiven, declared in default and
their collateral claimed; its one-signature agreements are refused for the reason it means;
the commit invariants hold on every block (the ledger asserts them)."""

from __future__ import annotations

import random
from collections import Counter

from chainbook.apps.loans.workload import LoansWorkload
from chainbook.crypto import PrivateKey
from tests.apps.loans.helpers import nonce
from tests.support import make_state, run_block, supply_of, tx

KEYS = [PrivateKey.from_label(f"loans-workload-{i}") for i in range(4)]


def test_the_workload_mixes_every_step_and_meant_refusals() -> None:
    rng = random.Random(11)
    workload = LoansWorkload()
    addresses = [k.address for k in KEYS]
    assert workload.genesis_section(addresses) is None
    state = make_state(dict.fromkeys(addresses, 10**9))
    supply = supply_of(state)
    outcomes: Counter[tuple[str, str]] = Counter()
    for _ in range(120):
        txs, actions = [], []
        for key in KEYS:
            action = workload.next_action(rng, key.address, addresses)
            if action is None:
                continue
            txs.append(tx(key, nonce(state, key), action))
            actions.append((key, action))
        result = run_block(state, txs)
        for (key, action), receipt in zip(actions, result.receipts, strict=True):
            workload.on_outcome(key.address, action, receipt.ok)
            outcomes[(type(action).__name__, receipt.code)] += 1
    done = {name for (name, code), n in outcomes.items() if code == "" and n}
    assert done >= {"Offer", "Accept", "WithdrawOffer", "Repay", "RepayInFull", "Forgive",
                    "DeclareDefault", "ClaimCollateral"}, outcomes
    assert outcomes[("Create", "loans.not_signed")] > 0
    assert supply_of(state) == supply, "lending changed the supply"
