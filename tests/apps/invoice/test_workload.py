"""The invoice simulator workload, driven on a ledger directly (seeded): its shop is registered
at genesis (through the simulator's merge of the workloads' institutions), its buyers' payments
succeed, its deliberate refusals are refused for the reason it means, and the commit
invariants hold on every block."""

from __future__ import annotations

import random
from collections import Counter

from chainbook.apps.bank import BankGenesis, GenesisAccount
from chainbook.apps.governance import GovernanceGenesis
from chainbook.apps.invoice.workload import SHOP, SHOP_KEY, TILL, InvoiceWorkload
from chainbook.apps.registry import REGISTRY
from chainbook.crypto import PrivateKey
from chainbook.sim import simulator
from chainbook.sim.workload import Workload, with_institutions
from tests.support import CHAIN_ID, ask, balance_of, make_state, run_block, tx

KEYS = [PrivateKey.from_label(f"invoice-workload-{i}") for i in range(4)]


def test_the_workload_signs_for_the_simulators_chain() -> None:
    assert InvoiceWorkload().chain_id == simulator.CHAIN_ID


def test_the_simulator_registers_the_workloads_shop_in_governance() -> None:
    sections = Workload(simulator.CHAIN_ID, REGISTRY, 3, 4, 1_000).genesis_sections()
    governance = sections["governance"]
    assert isinstance(governance, GovernanceGenesis)
    assert [(i.id, i.roles, i.public_keys) for i in governance.institutions] == [
        (SHOP, ["taxpayer"], [SHOP_KEY.public_key.hex()])]
    assert len(governance.proposers) == 3, "the governance workload's own section is kept"


def test_the_workload_mixes_successes_and_meant_refusals() -> None:
    rng = random.Random(11)
    workload = InvoiceWorkload(CHAIN_ID)
    addresses = [k.address for k in KEYS]
    governance = with_institutions(None, workload.genesis_institutions())
    bank = BankGenesis(accounts=[GenesisAccount(a.hex(), 10**12) for a in addresses])
    state = make_state(app_state={"governance": governance, "bank": bank})
    outcomes: Counter[tuple[str, str]] = Counter()
    nonces = dict.fromkeys(addresses, 0)
    paid = 0
    for _ in range(40):
        txs, actions = [], []
        for key in KEYS:
            action = workload.next_action(rng, key.address, addresses)
            assert action is not None
            txs.append(tx(key, nonces[key.address], action))
            nonces[key.address] += 1
            actions.append((key, action))
        result = run_block(state, txs)  # asserts every module's commit invariants
        for (key, action), receipt in zip(actions, result.receipts, strict=True):
            workload.on_outcome(key.address, action, receipt.ok)
            outcomes[(type(action).__name__, receipt.code)] += 1
            if receipt.ok:
                paid += int(dict(receipt.events[0].attributes)["total"])
    assert outcomes[("Pay", "")] > 20
    meant = {("Pay", ""), ("Pay", "invoice.already_paid"), ("Pay", "invoice.wrong_buyer"),
             ("Pay", "invoice.offer_expired"), ("Pay", "invoice.bad_signature"),
             ("Pay", "invoice.not_cosigned"), ("Void", "invoice.not_a_taxpayer"),
             ("Reimburse", "invoice.not_cosigned"), ("Reimburse", "invoice.invalid_party"),
             ("Reimburse", "invoice.unknown_invoice")}
    assert set(outcomes) <= meant, outcomes
    assert len(outcomes) >= 8, outcomes
    assert balance_of(state, TILL) == paid
    totals = ask(state, "invoice", "totals", seller=SHOP)
    assert (totals.invoices, totals.total) == (outcomes[("Pay", "")], paid)
