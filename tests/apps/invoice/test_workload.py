"""The invoice simulator workload, driven on a ledger directly (seeded), its shop a simulated
account registered as a taxpayer as the simulator registers it (sim/institutions.py roster,
governance's genesis), its transactions co-signed as the simulator signs them: the shop's
payments, voids and claims succeed, its deliberate refusals are refused for the reason it
means, and the commit invariants hold on every block."""

from __future__ import annotations

import random
from collections import Counter

from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.apps.invoice.workload import InvoiceWorkload
from chainbook.crypto import PrivateKey
from chainbook.sim import simulator
from chainbook.sim.institutions import build_roster
from tests.apps.invoice.helpers import nonce
from tests.support import CHAIN_ID, ask, balance_of, make_state, run_block, tx

KEYS = [PrivateKey.from_label(f"invoice-workload-{i}") for i in range(5)]
BY_ADDRESS = {k.address: k for k in KEYS}


def test_the_workload_signs_for_the_simulators_chain() -> None:
    assert InvoiceWorkload().chain_id == simulator.CHAIN_ID


def test_the_workload_mixes_successes_and_meant_refusals() -> None:
    rng = random.Random(5)
    workload = InvoiceWorkload(CHAIN_ID)
    roster = build_roster({"invoice": workload}, KEYS)
    workload.on_institutions(roster)
    [shop] = roster
    assert shop.roles == ("taxpayer",)
    addresses = [k.address for k in KEYS]
    registry = GovernanceGenesis(institutions=[
        GenesisInstitution(shop.id, shop.name, list(shop.roles), [shop.public_key.hex()])])
    state = make_state({a: 10**12 for a in addresses}, app_state={"governance": registry})
    outcomes: Counter[tuple[str, str]] = Counter()
    for _ in range(40):
        txs, actions = [], []
        for key in KEYS:
            action = workload.next_action(rng, key.address, addresses)
            if action is None:
                continue
            keys = [key, *(BY_ADDRESS[a] for a in workload.cosigners(key.address, action))]
            txs.append(tx(keys, nonce(state, key), action, accounts=[k.address for k in keys]))
            actions.append((key, action))
        result = run_block(state, txs)  # asserts every module's commit invariants
        for (key, action), receipt in zip(actions, result.receipts, strict=True):
            workload.on_outcome(key.address, action, receipt.ok)
            outcomes[(type(action).__name__, receipt.code)] += 1
    for kind in ("Pay", "Void", "Reimburse"):
        assert outcomes[(kind, "")] > 0, (kind, sorted(outcomes.items()))
    for code in ("already_paid", "voided", "already_reimbursed", "not_cosigned"):
        assert outcomes[("Reimburse" if code == "already_reimbursed" else "Pay",
                         f"invoice.{code}")] > 0, (code, sorted(outcomes.items()))
    meant = {"", "invoice.already_paid", "invoice.voided", "invoice.already_reimbursed",
             "invoice.wrong_buyer", "invoice.offer_expired", "invoice.not_cosigned",
             "invoice.not_a_taxpayer", "invoice.bad_signature", "invoice.invalid_party",
             "invoice.unknown_invoice"}
    assert {code for _, code in outcomes} <= meant, sorted(outcomes.items())
    assert len({code for _, code in outcomes}) >= 10, sorted(outcomes.items())
    paid = outcomes[("Pay", "")]
    totals = ask(state, "invoice", "totals", seller=shop.id)
    assert totals.invoices == paid
    # The shop only voids (it is the one shop) and receives: exactly every total.
    assert balance_of(state, shop.address) == 10**12 + totals.total
