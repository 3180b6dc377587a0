"""The assets simulator workload, driven on a ledger directly (seeded): its genesis tokens load,
its transfers and asset registrations succeed, its deliberate refusals are refused for the
reason it means, and the commit invariants hold on every block."""

from __future__ import annotations

import random
from collections import Counter

from chainbook.apps.assets import AssetsGenesis
from chainbook.apps.assets.workload import ACCOUNT_TOKENS, TOKENS, AssetsWorkload
from chainbook.crypto import PrivateKey
from tests.apps.assets.helpers import balance, nonce
from tests.support import ask, make_state, run_block, tx

KEYS = [PrivateKey.from_label(f"assets-workload-{i}") for i in range(4)]


def test_the_workload_mixes_successes_and_meant_refusals() -> None:
    rng = random.Random(7)
    workload = AssetsWorkload()
    addresses = [k.address for k in KEYS]
    section = workload.genesis_section(addresses)
    assert isinstance(section, AssetsGenesis)
    state = make_state(app_state={"assets": section})
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
    assert outcomes[("Transfer", "")] > 0 and outcomes[("RegisterAsset", "")] > 0
    assert outcomes[("TransferAsset", "")] > 0
    assert outcomes[("Mint", "assets.not_an_issuer")] > 0
    assert outcomes[("CreateToken", "assets.not_an_issuer")] > 0
    meant = {"", "assets.not_an_issuer", "assets.insufficient_balance", "assets.unknown_token",
             "assets.asset_exists", "assets.not_owner", "assets.invalid_party"}
    assert {code for _, code in outcomes} <= meant, outcomes
    for token in TOKENS:
        info = ask(state, "assets", "token", token=token)
        assert info.supply == ACCOUNT_TOKENS * len(KEYS)
        assert sum(balance(state, token, k) for k in KEYS) == info.supply
