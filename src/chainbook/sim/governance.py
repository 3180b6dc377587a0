"""The simulated consortium: validators propose and vote on random validator-set changes.

Rules kept:
- The driver holds every validator's keys (the simulator plays all organisations). At random
  intervals before heal it submits one validator-set change at a time, signed by an honest
  validator of the current set: add a node that is not a validator (booting a spare node
  first, which then joins by block sync from genesis), remove one (sometimes the proposer of
  the next height), change one's power, rotate one's consensus key (the node is given the new
  key at once and switches at the activation height), so a run grows from n towards
  n + spare_nodes and shrinks back. Sometimes the change breaks a rule of governance (removing
  below a safe set, a power that would give one validator a third): the proposal is refused,
  the run goes on.
- Every honest validator votes on each proposal it learns of from the agreed chain (mostly
  yes, sometimes no or abstain), so proposals pass, get rejected or expire.
- A Byzantine validator is never a target, a proposer or a voter: its fate is the evidence
  policy's.
- The faulty budget: a change is proposed only if the guarded validators
  (config.FaultPlan.power_guarded: the Byzantine and a clock past the bound, or the liars in
  a safety-only run) keep less than a third of the power of the latest named set (the set of
  the agreed height + 2) with the change applied; otherwise it is skipped and counted
  (skipped_faulty_budget). The driver has one change under way at a time and stops waiting
  for it only after its activation height, so no other change of its own is pending then.
- Institution changes (sim/institutions.py InstitutionPlan): once the agreed height passes the
  plan's height, an honest validator proposes registering the late institution, or revoking
  the one to revoke, apart from the validator change under way (they never touch the set);
  the validators vote on them like on any proposal. A proposal refused (at admission or in a
  block), rejected, expired or failed at activation is proposed again, INSTITUTION_PROPOSALS_MAX
  times in all; one that executed is told to the workload (`on_registry_change`) before the
  receipts of its height are counted.
- Every transaction goes through the workload (sim/workload.py: nonces, resubmission), and
  everything the driver learns comes from the agreed chain (receipts and block events of the
  first honest commit of each height), never from one node's view.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from chainbook.apps.base import SimInstitution
from chainbook.apps.governance.actions import (
    AddValidator,
    CastVote,
    Change,
    Propose,
    RegisterInstitution,
    RemoveValidator,
    RevokeInstitution,
    RotateValidatorKey,
    SetValidatorPower,
)
from chainbook.chain.tx import tx_hash
from chainbook.chain.validators import ValidatorSet
from chainbook.crypto import PrivateKey, address_from_public_key
from chainbook.ledger.receipts import Event, Receipt
from chainbook.sim.institutions import InstitutionPlan
from chainbook.sim.node import SimNode
from chainbook.sim.workload import Workload
from chainbook.types import Address, Hash, Height, TimeMs

MODULE = "governance"
VOTING_BLOCKS = 12
"""Deadline of a driver's proposal: this many heights after the agreed height."""
CHOICE_WEIGHTS = (("yes", 0.9), ("no", 0.06), ("abstain", 0.04))
INSTITUTION_PROPOSALS_MAX = 3
"""Times the driver proposes one institution change (after a refusal, rejection or expiry)."""


class Cluster(Protocol):
    """What the driver asks of the simulation."""

    nodes: list[SimNode]

    def agreed_height(self) -> Height: ...

    def agreed_validators(self, height: Height) -> ValidatorSet:
        """The set of `height` (<= agreed height + 2) as the most advanced honest node has it."""
        ...

    def submit(self, tx: bytes, to_most_advanced: bool = False) -> None: ...

    def boot_spare(self, node: SimNode) -> None: ...


@dataclass(slots=True)
class InstitutionChange:
    """One registry change of the plan, and where it stands."""

    kind: str
    """"registered" or "revoked": what the workload is told when it executes."""
    institution: SimInstitution
    after: Height
    """Proposed once the agreed height passes this."""
    tries: int = 0
    tx_hash: Hash | None = None
    """The proposal being decided (None: to propose, or done when `done`)."""
    proposal_id: int | None = None
    done: bool = False

    @property
    def change(self) -> Change:
        entry = self.institution
        if self.kind == "registered":
            return RegisterInstitution(entry.id, entry.name, list(entry.roles), [entry.public_key])
        return RevokeInstitution(entry.id, "simulated revocation")


def plan_institution_changes(plan: InstitutionPlan) -> list[InstitutionChange]:
    changes = []
    if plan.late is not None:
        changes.append(InstitutionChange("registered", plan.late, plan.register_after))
    if plan.revoked is not None:
        changes.append(InstitutionChange("revoked", plan.revoked, plan.revoke_after))
    return changes


@dataclass(slots=True)
class InFlight:
    """The driver's one validator change under way."""

    kind: str
    tx_hash: Hash
    given_up_at: Height
    """The agreed height after which the driver stops waiting (a refused or lost proposal)."""
    proposal_id: int | None = None


class GovernanceDriver:
    def __init__(
        self,
        rng: random.Random,
        workload: Workload,
        cluster: Cluster,
        byzantine: frozenset[int],
        power_guarded: frozenset[int],
        validators_min: int,
        institution_plan: InstitutionPlan | None = None,
    ) -> None:
        self.rng = rng
        self.workload = workload
        self.cluster = cluster
        self.byzantine = byzantine
        self.power_guarded = power_guarded
        """Nodes that must keep less than a third of the power (module docstring)."""
        self.validators_min = validators_min
        self.in_flight: InFlight | None = None
        self.open_proposals: set[int] = set()
        """Proposals (anyone's) being voted on, learnt from the chain."""
        self.votes_cast: set[tuple[int, Address]] = set()
        self.rotations = 0
        self.spare_count = len(cluster.nodes) - validators_min
        self.growing = True
        self.counts: dict[str, int] = {}
        self.sizes_seen: set[int] = set()
        self.institution_changes = plan_institution_changes(
            institution_plan or InstitutionPlan(at_genesis=())
        )

    # ------------------------------------------------------------------ ticks

    def on_tick(self, now_ms: TimeMs, may_propose: bool) -> None:
        for tx in self.workload.stale_of_signers(now_ms):
            self.cluster.submit(tx, to_most_advanced=True)
        self._vote_on_open(now_ms)
        in_flight = self.in_flight
        if in_flight is not None and self.cluster.agreed_height() > in_flight.given_up_at:
            self._count("given_up")
            self.in_flight = None
        if may_propose and self.in_flight is None:
            self._propose_change(now_ms)

    def _honest_members(self, validators: ValidatorSet) -> list[SimNode]:
        return [
            node
            for node in self.cluster.nodes
            if node.index not in self.byzantine
            and any(validators.is_validator(k.address) for k in node.consensus_keys)
        ]

    def _key_in_set(self, node: SimNode, validators: ValidatorSet) -> PrivateKey:
        for key in node.consensus_keys:
            if validators.is_validator(key.address):
                return key
        return node.consensus_keys[-1]

    def _propose_change(self, now_ms: TimeMs) -> None:
        height = self.cluster.agreed_height()
        validators = self.cluster.agreed_validators(height + 1)
        self.sizes_seen.add(len(validators))
        members = self._honest_members(validators)
        if not members:
            return
        outsiders = [
            node
            for node in self.cluster.nodes
            if node.index not in self.byzantine and node not in members
        ]
        # A random walk with a direction: grow to every node, then shrink to the genesis
        # size, and again; rotations and power changes in between.
        size = len(validators)
        if size >= self.validators_min + self.spare_count or not outsiders:
            self.growing = False
        elif size <= self.validators_min:
            self.growing = True
        draw = self.rng.random()
        if draw < 0.6:
            kind = "add" if self.growing and outsiders else "remove"
        elif draw < 0.85:
            kind = "rotate"
        elif draw < 0.95 and size >= 5:
            kind = "power"
        else:
            kind = "remove"  # may break a safety rule of governance: refused, and counted
        proposer = self.rng.choice(members)
        change = self._make_change(kind, validators, members, outsiders, height)
        if change is None:
            return
        if not self._keeps_guarded_below_a_third(change, height):
            self._count("skipped_faulty_budget")
            return
        deadline = height + VOTING_BLOCKS
        activation = deadline + 2 if self.rng.random() < 0.3 else 0
        action = Propose(
            title=f"sim {kind}",
            change=change,
            deadline_height=deadline,
            activation_height=activation,
        )
        key = self._key_in_set(proposer, validators)
        tx = self.workload.submit_as(key, MODULE, action, now_ms)
        if tx is None:
            return
        self.in_flight = InFlight(kind, tx_hash(tx), given_up_at=deadline + 6)
        self.counts[f"proposed_{kind}"] = self.counts.get(f"proposed_{kind}", 0) + 1
        self.cluster.submit(tx, to_most_advanced=True)

    def _make_change(
        self,
        kind: str,
        validators: ValidatorSet,
        members: list[SimNode],
        outsiders: list[SimNode],
        height: Height,
    ) -> Change | None:
        if kind == "add":
            node = self.rng.choice(outsiders)
            if not node.up and node.boots == 0:
                self.cluster.boot_spare(node)
            key = node.consensus_keys[-1]
            return AddValidator(public_key=key.public_key, power=1, name=node.name)
        if kind == "remove":
            proposer = validators.get_proposer(height + 1, 0).address
            target = None
            if self.rng.random() < 0.3:
                target = next((n for n in members if n.is_own_address(proposer)), None)
                if target is not None:
                    self._count("proposed_remove_of_the_proposer")
            target = target or self.rng.choice(members)
            return RemoveValidator(address=self._key_in_set(target, validators).address)
        if kind == "power":
            target = self.rng.choice(members)
            power = self.rng.randint(1, 3)
            return SetValidatorPower(
                address=self._key_in_set(target, validators).address, power=power
            )
        target = self.rng.choice(members)
        self.rotations += 1
        new_key = PrivateKey.from_label(f"sim-validator-{target.index}-key-{self.rotations}")
        old = self._key_in_set(target, validators)
        target.add_consensus_key(new_key)
        return RotateValidatorKey(address=old.address, new_public_key=new_key.public_key)

    def _keeps_guarded_below_a_third(self, change: Change, height: Height) -> bool:
        """The guarded nodes hold less than a third of the latest named set's power with
        `change` applied (a rotation moves a power between two keys of one node)."""
        validators = self.cluster.agreed_validators(height + 2)
        power = {v.address: v.power for v in validators.validators}
        match change:
            case RemoveValidator(address=address):
                power.pop(address, None)
            case SetValidatorPower(address=address, power=new_power) if address in power:
                power[address] = new_power
            case AddValidator(public_key=public_key, power=new_power):
                power[address_from_public_key(public_key)] = new_power
            case _:
                pass
        guarded = sum(
            power.get(key.address, 0)
            for node in self.cluster.nodes
            if node.index in self.power_guarded
            for key in node.consensus_keys
        )
        return 3 * guarded < sum(power.values())

    def _vote_on_open(self, now_ms: TimeMs) -> None:
        if not self.open_proposals:
            return
        height = self.cluster.agreed_height()
        validators = self.cluster.agreed_validators(height + 1)
        for proposal_id in sorted(self.open_proposals):
            for node in self._honest_members(validators):
                key = self._key_in_set(node, validators)
                if (proposal_id, key.address) in self.votes_cast:
                    continue
                choice = self._draw_choice()
                tx = self.workload.submit_as(
                    key, MODULE, CastVote(proposal_id=proposal_id, choice=choice), now_ms
                )
                if tx is None:
                    continue
                self.votes_cast.add((proposal_id, key.address))
                self.cluster.submit(tx, to_most_advanced=True)

    def _draw_choice(self) -> str:
        draw = self.rng.random()
        for choice, weight in CHOICE_WEIGHTS:
            if draw < weight:
                return choice
            draw -= weight
        return "yes"

    def on_refused(self, signer: Address, action: msgspec.Struct) -> None:
        """A node refused one of the driver's transactions at admission (the workload dropped
        it): a vote is cast again later; a refused proposal frees the driver."""
        match action:
            case CastVote(proposal_id=proposal_id):
                self.votes_cast.discard((proposal_id, signer))
            case Propose(change=RegisterInstitution() | RevokeInstitution() as change):
                for planned in self.institution_changes:
                    if planned.change == change and planned.tx_hash is not None:
                        self._count(f"institution_{planned.kind}_refused")
                        planned.tx_hash = None
            case Propose():
                if self.in_flight is not None:
                    self._count(f"refused_{self.in_flight.kind}")
                    self.in_flight = None
            case _:
                pass

    # ------------------------------------------------------------------ the agreed chain

    def on_committed(
        self, receipts: Sequence[Receipt], events: Sequence[Event], now_ms: TimeMs
    ) -> None:
        """Learn from the first honest commit of a height (receipts and block events); vote
        at once on what was proposed."""
        for receipt in receipts:
            in_flight = self.in_flight
            if in_flight is not None and receipt.tx_hash == in_flight.tx_hash and not receipt.ok:
                self._count(f"refused_{in_flight.kind}")
                self.in_flight = None
            for planned in self.institution_changes:
                if receipt.tx_hash == planned.tx_hash and not receipt.ok:
                    self._count(f"institution_{planned.kind}_refused")
                    planned.tx_hash = None  # proposed again at the next height
            for event in receipt.events:
                self._on_event(event, receipt.tx_hash)
        for event in events:
            self._on_event(event, None)
        self._vote_on_open(now_ms)
        self._propose_institution_changes(now_ms)

    def _propose_institution_changes(self, now_ms: TimeMs) -> None:
        height = self.cluster.agreed_height()
        for planned in self.institution_changes:
            if planned.done or planned.tx_hash is not None or height <= planned.after:
                continue
            if planned.tries >= INSTITUTION_PROPOSALS_MAX:
                planned.done = True
                self._count(f"institution_{planned.kind}_given_up")
                continue
            members = self._honest_members(self.cluster.agreed_validators(height + 1))
            if not members:
                return
            proposer = self.rng.choice(members)
            key = self._key_in_set(proposer, self.cluster.agreed_validators(height + 1))
            action = Propose(title=f"sim institution {planned.kind}", change=planned.change)
            tx = self.workload.submit_as(key, MODULE, action, now_ms)
            if tx is None:
                continue
            planned.tries += 1
            planned.tx_hash, planned.proposal_id = tx_hash(tx), None
            self._count(f"institution_{planned.kind}_proposed")
            self.cluster.submit(tx, to_most_advanced=True)

    def _on_institution_event(self, kind: str, proposal_id: int, tx: Hash | None) -> None:
        for planned in self.institution_changes:
            if kind == "proposed" and tx is not None and tx == planned.tx_hash:
                planned.proposal_id = proposal_id
            if planned.proposal_id != proposal_id or planned.tx_hash is None:
                continue
            if kind == "executed":
                planned.tx_hash, planned.done = None, True
                self._count(f"institution_{planned.kind}")
                registered = planned.kind == "registered"
                self.workload.on_registry_change(planned.institution.address, registered)
            elif kind in ("rejected", "expired", "withdrawn", "failed"):
                planned.tx_hash = None  # proposed again at the next height
                self._count(f"institution_{planned.kind}_{kind}")

    def _on_event(self, event: Event, tx: Hash | None) -> None:
        if event.module != MODULE:
            return
        attributes = dict(event.attributes)
        proposal_id = int(attributes.get("proposal_id", "0"))
        if self.institution_changes:
            self._on_institution_event(event.kind, proposal_id, tx)
        match event.kind:
            case "proposed":
                self.open_proposals.add(proposal_id)
                if self.in_flight is not None and tx == self.in_flight.tx_hash:
                    self.in_flight.proposal_id = proposal_id
            case "passed":
                self.open_proposals.discard(proposal_id)
            case "rejected" | "expired" | "withdrawn" | "failed" | "executed":
                self.open_proposals.discard(proposal_id)
                self._count(event.kind)
                if self.in_flight is not None and self.in_flight.proposal_id == proposal_id:
                    self.in_flight = None
            case _:
                pass

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1


__all__ = ["Cluster", "GovernanceDriver"]
