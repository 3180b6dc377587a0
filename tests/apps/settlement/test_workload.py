"""The settlement simulator workload, driven on a ledger directly (seeded): its swaps (signed
by both parties, as the simulator signs them), offers, accepts, locks and claims succeed, its
deliberate refusals are refused for the reason it means, and the commit invariants hold on
every block."""

from __future__ import annotations

import random
from collections import Counter

from chainbook.apps.assets.workload import AssetsWorkload
from chainbook.apps.bank.workload import BankWorkload
from chainbook.apps.settlement.workload import SettlementWorkload
from chainbook.crypto import PrivateKey
from tests.apps.settlement.helpers import nonce
from tests.support import make_state, run_block, tx

KEYS = [PrivateKey.from_label(f"settlement-workload-{i}") for i in range(4)]
BY_ADDRESS = {k.address: k for k in KEYS}


def test_the_workload_mixes_successes_and_meant_refusals() -> None:
    rng = random.Random(1)
    workload = SettlementWorkload()
    addresses = [k.address for k in KEYS]
    state = make_state(
        {a: 10**12 for a in addresses},
        app_state={"assets": AssetsWorkload().genesis_section(addresses),
                   "bank": BankWorkload().genesis_section(addresses)},
    )
    outcomes: Counter[tuple[str, str]] = Counter()
    for _ in range(30):
        txs, actions = [], []
        for key in KEYS:
            action = workload.next_action(rng, key.address, addresses)
            if action is None:
                continue
            cosigners = [BY_ADDRESS[a] for a in workload.cosigners(key.address, action)]
            keys = [key, *cosigners]
            txs.append(tx(keys, nonce(state, key), action, accounts=[k.address for k in keys]))
            actions.append((key, action))
        result = run_block(state, txs)  # asserts every module's commit invariants
        for (key, action), receipt in zip(actions, result.receipts, strict=True):
            workload.on_outcome(key.address, action, receipt.ok)
            outcomes[(type(action).__name__, receipt.code)] += 1
    for kind in ("Swap", "MakeOffer", "Accept", "MakeLock", "Claim", "Refund"):
        assert outcomes[(kind, "")] > 0, (kind, sorted(outcomes.items()))
    assert sum(n for (_, code), n in outcomes.items()
               if code == "settlement.insufficient_funds") > 0
    assert outcomes[("Claim", "settlement.invalid_preimage")] > 0
    assert outcomes[("MakeOffer", "settlement.invalid_height")] > 0
    assert workload.outcomes["swap ok"] == outcomes[("Swap", "")]
