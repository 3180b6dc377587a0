"""The simulated institutions: who signs as which institution, what a seed changes in the
registry, and that the chain then refuses what the registry no longer allows (and allows what
it newly does), counted by the workload and checked again on the committed chain."""

from __future__ import annotations

import random
from collections.abc import Sequence

import msgspec
import pytest

from chainbook.apps import assets, evidence, identity, invoice, private, royalty, trace
from chainbook.apps.base import InstitutionWorkload, Rng, SimInstitution
from chainbook.apps.governance.limits import institution_roles_max
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.apps.registry import REGISTRY
from chainbook.crypto import PrivateKey
from chainbook.ledger.queries import run_query
from chainbook.sim import Simulation
from chainbook.sim.institutions import build_roster, draw_institution_plan, institution_id
from chainbook.sim.workload import Outcomes, Workload, account_key
from chainbook.types import Address
from tests.sim.focused import add_outcomes, committed, focused_config, most_advanced

AUTHORITY_ACTIONS = frozenset({
    "identity.issue",
    "identity.revoke",
    "private.create_collection",
    "private.approve_members",
    "private.record",
    "trace.register_product",
    "trace.create",
    "evidence.endorse",
    "assets.mint",
    "assets.burn",
    "assets.create_token",
    "assets.freeze",
    "assets.unfreeze",
    "invoice.void",
    "royalty.register",
    "royalty.set_prices",
})
"""Actions only an active registered institution may take (in its role): refused for one the
registry revoked, or has not registered yet."""


class Asking:
    """A module workload that asks for institutions (the InstitutionWorkload part only)."""

    def __init__(self, *parties: Sequence[str]) -> None:
        self.parties = parties
        self.roster: list[SimInstitution] = []

    def institution_roles(self) -> Sequence[Sequence[str]]:
        return self.parties

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        self.roster = list(institutions)

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        return None

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        pass


KEYS = [account_key(i) for i in range(4)]


def test_a_roster_gives_one_modules_parties_distinct_accounts_and_keeps_an_outsider() -> None:
    first = Asking(["manufacturer"], ["logistics_operator"], ["customs", "retailer"])
    second = Asking(["issuer"], ["bank"])
    roster = build_roster({"first": first, "second": second}, KEYS)
    roles = {entry.address: entry.roles for entry in roster}
    assert KEYS[3].address not in roles  # the last account is the outsider
    assert roles == {
        KEYS[0].address: ("issuer", "manufacturer"),
        KEYS[1].address: ("bank", "logistics_operator"),
        KEYS[2].address: ("customs", "retailer"),
    }
    assert [entry.id for entry in roster] == [institution_id(i) for i in range(3)]
    assert all(e.public_key == KEYS[i].public_key for i, e in enumerate(roster))
    # A module with more parties than accounts shares them; one account is no outsider.
    wide = build_roster({"wide": Asking(["court"], ["customs"], ["bank"])}, KEYS[:2])
    assert [entry.roles for entry in wide] == [("bank", "court", "customs")]
    assert build_roster({"first": first}, KEYS[:1])[0].address == KEYS[0].address


def test_the_least_loaded_account_takes_the_next_party() -> None:
    heavy = Asking(["manufacturer", "retailer", "customs"])
    light = Asking(["court"], ["bank"])
    roster = build_roster({"heavy": heavy, "light": light}, KEYS)
    roles = {entry.address: entry.roles for entry in roster}
    assert roles[KEYS[1].address] == ("court",) and roles[KEYS[2].address] == ("bank",)


def test_a_roster_past_the_registrys_role_limit_is_refused_by_name() -> None:
    roles = sorted(["issuer", "bank", "court", "customs", "retailer", "auditor", "regulator",
                    "manufacturer", "university"])
    assert len(roles) > institution_roles_max
    with pytest.raises(ValueError, match=r"simulated account 0 would hold 9 institution roles"):
        build_roster({"greedy": Asking(roles)}, KEYS)


def test_the_default_registry_roster_and_every_workload_told_of_it() -> None:
    workload = Workload("chain", REGISTRY, 4, 2, 800)
    roster = workload.institutions
    assert len(roster) == 3 and all(len(e.roles) <= institution_roles_max for e in roster)
    assert workload.addresses[3] not in {e.address for e in roster}
    asking = [w for w in workload.modules.values() if isinstance(w, InstitutionWorkload)]
    assert {type(w).__module__.split(".")[2] for w in asking} == {
        "assets", "evidence", "identity", "invoice", "private", "royalty", "trace"
    }
    for module_workload in asking:
        wanted = {frozenset(p) for p in module_workload.institution_roles()}
        held = [frozenset(e.roles) for e in roster]
        assert all(any(party <= roles for roles in held) for party in wanted), module_workload


def test_a_plan_is_drawn_only_with_institutions() -> None:
    rng = random.Random(5)
    before = rng.getstate()
    assert draw_institution_plan(rng, []).at_genesis == ()
    assert rng.getstate() == before  # a registry without institutions draws nothing more
    roster = build_roster({"m": Asking(["court"], ["bank"], ["issuer"])}, KEYS)
    kinds: dict[str, int] = {}
    for seed in range(200):
        plan = draw_institution_plan(random.Random(seed), roster)
        assert plan.late is None or plan.late not in plan.at_genesis
        assert plan.revoked is None or (plan.revoked in plan.at_genesis)
        assert len(plan.at_genesis) + (plan.late is not None) == len(roster)
        for kind in plan.kinds:
            kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds["institution:late"] > 30 and kinds["institution:revoked"] > 60, kinds


def test_the_genesis_registers_the_roster_but_the_late_one() -> None:
    config = focused_config(identity.MODULE, institution_changes=True)
    for seed in range(40):
        simulation = Simulation(seed, config)
        if simulation.institution_plan.late is not None:
            break
    plan = simulation.institution_plan
    assert plan.late is not None
    genesis = simulation.genesis.app_state["governance"]
    registered = {entry.id for entry in genesis.institutions}
    assert registered == {entry.id for entry in plan.at_genesis}
    assert plan.late.id not in registered


# ---------------------------------------------------------------------- registry changes

INSTITUTION_MODULES = (identity.MODULE, private.MODULE, trace.MODULE, evidence.MODULE,
                       assets.MODULE, invoice.MODULE, royalty.MODULE)


def _seeds_with_both_changes(count: int) -> list[int]:
    config = focused_config(*INSTITUTION_MODULES, institution_changes=True)
    seeds = []
    for seed in range(200):
        plan = Simulation(seed, config).institution_plan
        if plan.late is not None and plan.revoked is not None:
            seeds.append(seed)
        if len(seeds) == count:
            return seeds
    raise AssertionError("no seeds draw both a late registration and a revocation")


def _status(simulation: Simulation, entry: SimInstitution) -> InstitutionAnswer:
    node = most_advanced(simulation)
    assert node.core is not None
    answer = run_query(
        node.core.ledger.state, "governance", "institution", InstitutionRequest(id=entry.id)
    )
    assert isinstance(answer, InstitutionAnswer)
    return answer


def test_a_revoked_institution_is_refused_and_a_late_one_accepted_once_registered() -> None:
    """Counted by the workload (registry_outcomes: what its clients sent in each phase), and
    checked again on the committed chain: no ok receipt of an institution action by the
    revoked key from its revocation height on, none by the late key below its registration."""
    config = focused_config(*INSTITUTION_MODULES, institution_changes=True)
    phases: dict[str, Outcomes] = {}
    executed = {"revoked": 0, "registered": 0}
    after_registration_ok = 0
    for seed in _seeds_with_both_changes(3):
        simulation = Simulation(seed, config)
        result = simulation.run()
        for phase, outcomes in result.registry_outcomes.items():
            add_outcomes(phases.setdefault(phase, {}), outcomes)
        executed["revoked"] += result.counters.get("governance_institution_revoked", 0)
        executed["registered"] += result.counters.get("governance_institution_registered", 0)
        plan = simulation.institution_plan
        assert plan.revoked is not None and plan.late is not None
        revoked, late = _status(simulation, plan.revoked), _status(simulation, plan.late)
        chain = committed(most_advanced(simulation))
        for sender, action, receipt in chain:
            tag = type(action).__struct_config__.tag
            if tag not in AUTHORITY_ACTIONS or not receipt.ok:
                continue
            record = revoked.institution
            if sender == plan.revoked.address and record is not None and record.revoked_height:
                assert receipt.height < record.revoked_height, (seed, tag, receipt.height)
            if sender == plan.late.address:
                assert late.institution is not None, (seed, tag, "never registered")
                assert receipt.height >= late.institution.registered_height, (seed, tag)
                after_registration_ok += 1
    assert min(executed.values()) >= 2, executed  # a short seed may end before one executes

    def authority(phase: str, outcome: str) -> int:
        return sum(
            o[outcome] for tag, o in phases.get(phase, {}).items() if tag in AUTHORITY_ACTIONS
        )

    assert authority("revoked", "ok") == 0, phases["revoked"]
    assert authority("revoked", "failed") + authority("revoked", "refused") >= 5, phases
    assert authority("before_registration", "ok") == 0, phases["before_registration"]
    assert authority("before_registration", "refused") >= 3, phases
    assert authority("after_registration", "ok") >= 3, phases
    assert after_registration_ok == authority("after_registration", "ok")


def test_an_institution_key_stays_one_accounts() -> None:
    """The roster's keys are the simulated accounts' own (the bank funds them, their nonces
    are the accounts'): no other key is ever registered for them."""
    workload = Workload("chain", REGISTRY, 4, 2, 800)
    keys = {account_key(i).public_key for i in range(4)}
    assert {entry.public_key for entry in workload.institutions} <= keys
    assert all(
        PrivateKey.from_label(f"sim-account-{i}").address == workload.addresses[i]
        for i in range(4)
    )
