"""The workloads of the modules that trust registered institutions, driven on a ledger
directly (seeded, no consensus): the simulator's roster registered at genesis, each client
sending one action a block and learning its outcome, as the simulator's clients do.

Each workload mirrors what the chain accepted, so every refusal must be one it means (a
mirror out of step with the chain would show as another code), its main actions succeed, and
every module's commit invariants hold at every block (run_block asserts them). Fast: the same
workloads under consensus and faults are tests/sim/test_sim_module_successes.py's. (The
invoice workload needs co-signers, which this drive does not add: tests/apps/invoice's own
workload test drives it.)
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from chainbook.apps import assets, bank, evidence, governance, identity, private, royalty, trace
from chainbook.apps.base import Module, get_action_tag
from chainbook.apps.registry import Registry
from chainbook.sim.workload import Workload
from tests.support import CHAIN_ID, make_state, run_block, tx

BLOCKS = 60

CASES: dict[str, tuple[Module, set[str], set[str]]] = {
    "identity": (
        identity.MODULE,
        {"identity.issue", "identity.revoke"},
        {"not_authorised", "not_issuer", "already_revoked", "unknown_credential",
         "already_issued", "invalid_validity"},
    ),
    "private": (
        private.MODULE,
        {"private.create_collection", "private.approve_members", "private.record"},
        {"not_a_member", "invalid_members", "invalid_id", "invalid_purge", "stale_version",
         "record_exists"},
    ),
    "trace": (
        trace.MODULE,
        {"trace.register_product", "trace.create", "trace.hand_over", "trace.accept",
         "trace.record", "trace.split", "trace.merge", "trace.cancel"},
        {"not_a_manufacturer", "unknown_product", "not_holder", "no_handoff", "not_allowed",
         "invalid_split", "unknown_item", "handoff_pending"},
    ),
    "evidence": (
        evidence.MODULE,
        {"evidence.submit", "evidence.endorse"},
        {"not_an_institution", "already_endorsed", "digest_mismatch", "invalid_policy",
         "case_exists"},
    ),
    "assets": (
        assets.MODULE,
        {"assets.mint", "assets.burn", "assets.freeze", "assets.unfreeze", "assets.create_token",
         "assets.transfer", "assets.register_asset", "assets.transfer_asset"},
        {"not_an_issuer", "insufficient_balance", "unknown_token", "asset_exists",
         "invalid_party", "cap_exceeded", "account_frozen"},
    ),
    "royalty": (
        royalty.MODULE,
        {"royalty.pay", "royalty.register", "royalty.set_prices", "royalty.change_split"},
        {"not_a_rights_manager", "reference_used", "amount_mismatch", "unknown_work",
         "signature_missing", "stale_split", "no_change"},
    ),
}
"""Module -> (its manifest, actions that must succeed, the only refusals it may meet)."""


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_workload_succeeds_and_refuses_only_what_it_means(name: str) -> None:
    module, must_succeed, meant = CASES[name]
    registry = Registry([bank.MODULE, governance.MODULE, module])
    workload = Workload(CHAIN_ID, registry, 4, 1, 0)
    assert workload.institutions, "the module's workload asks for institutions"
    workload.register_at_genesis(workload.institutions)
    sections = workload.genesis_sections()
    balances = {address: 10**12 for address in workload.addresses}
    state = make_state(balances, app_state=sections, registry=registry)
    module_workload = workload.modules[name]
    rng = random.Random(11)
    nonces = dict.fromkeys(workload.addresses, 0)
    outcomes: Counter[tuple[str, str]] = Counter()
    for _ in range(BLOCKS):
        sent = []
        for client in workload.clients:
            address = client.key.address
            action = module_workload.next_action(rng, address, workload.addresses)
            if action is None:
                continue
            sent.append((address, action, tx(client.key, nonces[address], action)))
            nonces[address] += 1
        result = run_block(state, [t for _, _, t in sent])
        for (address, action, _), receipt in zip(sent, result.receipts, strict=True):
            module_workload.on_outcome(address, action, receipt.ok)
            outcomes[(get_action_tag(type(action)), receipt.code)] += 1
    succeeded = {tag for (tag, code), _ in outcomes.items() if not code}
    assert must_succeed <= succeeded, (must_succeed - succeeded, outcomes)
    codes = {code.split(".", 1)[1] for (_, code) in outcomes if code}
    assert codes <= meant, (codes - meant, outcomes)
    refused = sum(n for (_, code), n in outcomes.items() if code)
    assert 0 < refused < sum(outcomes.values()) / 2, outcomes
