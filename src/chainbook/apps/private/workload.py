"""The private module's simulated clients: member institutions create collections, change
their member lists by approvals and record salted hashes.

Three simulated banks sign as institutions the simulator registers (apps/base.py
InstitutionWorkload); a collection's members are drawn among every simulated institution (a
member needs no role, only to be registered and active). The workload mirrors what the chain
accepted (collections, versions, pending approvals: the same rule as apps/private/process.py
compute_approvals), so a member mostly sends what is accepted: a collection of its own
(private.collection_created), an approval of a new member list for the current version
(private.members_approved, private.members_changed at the threshold), a record
(private.recorded). Refused, as they must be: any action of an account that is no member (the
outsider, an institution not yet registered or revoked: private.not_a_member), a member list
naming an institution that is not active or not registered (private.invalid_members), a bad
id (private.invalid_id), a purge delay out of range (private.invalid_purge), a stale version
(private.stale_version), a record id used twice (private.record_exists), a second collection
of an id (private.collection_exists). No content travels in the simulator (it is off chain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from chainbook.apps.base import Rng, SimInstitution
from chainbook.apps.private.actions import ApproveMembers, CreateCollection, Record
from chainbook.types import Address

PARTIES = (("bank",), ("bank",), ("bank",))
COLLECTIONS_MAX = 32
"""Collections a run's workload creates (then it records and approves in those)."""
RECORDS_REMEMBERED_MAX = 64
UNKNOWN_INSTITUTION = "bank-nowhere"
OUTSIDER_SHARE = 0.3
"""Of the turns of an account that is no institution, the share that sends anything (all
refused: it has nothing else to do here, and a refusal frees its turn at once)."""


@dataclass(slots=True)
class SimCollection:
    members: list[str]
    threshold: int
    version: int = 1
    approvals: dict[tuple[tuple[str, ...], int], list[str]] = field(default_factory=dict)
    """(members, threshold) of a proposal of this version -> its approvers, in order."""


class PrivateWorkload:
    def __init__(self) -> None:
        self.institution_of: dict[Address, str] = {}
        self.ids: list[str] = []
        self.collections: dict[str, SimCollection] = {}
        self.records: list[tuple[str, str]] = []
        self.sent = 0

    def institution_roles(self) -> Sequence[Sequence[str]]:
        return PARTIES

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        self.institution_of = {entry.address: entry.id for entry in institutions}
        self.ids = [entry.id for entry in institutions]

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        mine = self.institution_of.get(sender)
        if mine is None and rng.random() >= OUTSIDER_SHARE:
            return None
        self.sent += 1
        names = sorted(self.collections)
        member_of = [n for n in names if mine in self.collections[n].members]
        draw = rng.random()
        if (draw < 0.15 or not names) and len(self.collections) < COLLECTIONS_MAX:
            return self._create(rng, sender, mine)
        if draw < 0.35 and names:
            name: str = rng.choice(member_of) if member_of and draw < 0.32 else rng.choice(names)
            return self._approve(rng, name)
        if draw < 0.38 and self.records:
            collection, record = rng.choice(self.records)
            return Record(collection, record, rng.randbytes(32))
        if not names:
            return None
        name = rng.choice(member_of) if member_of and draw < 0.9 else rng.choice(names)
        return Record(name, f"r-{self.sent}", rng.randbytes(32))

    def _create(self, rng: Rng, sender: Address, mine: str | None) -> CreateCollection:
        members = {rng.choice(self.ids) for _ in range(rng.randint(1, 3))} if self.ids else set()
        if mine is not None and rng.random() < 0.9:
            members.add(mine)
        draw = rng.random()
        if draw < 0.05 or not members:
            members.add(UNKNOWN_INSTITUTION)
        collection = f"c-{sender.hex()[:6]}-{self.sent}" if draw < 0.95 else "Bad Id"
        purge = rng.randint(0, 100) if rng.random() < 0.95 else 10**9
        threshold = rng.randint(1, len(members))
        return CreateCollection(collection, sorted(members), threshold, purge)

    def _approve(self, rng: Rng, name: str) -> ApproveMembers:
        collection = self.collections[name]
        members = set(collection.members)
        other: str = rng.choice(self.ids) if self.ids else UNKNOWN_INSTITUTION
        if other in members and len(members) > 1:
            members.discard(other)
        else:
            members.add(other)
        version = collection.version if rng.random() < 0.9 else collection.version - 1
        return ApproveMembers(name, version, sorted(members), rng.randint(1, len(members)))

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok:
            return
        match action:
            case CreateCollection(collection=name, members=members, threshold=threshold):
                self.collections[name] = SimCollection(sorted(members), threshold)
            case ApproveMembers():
                self._on_approved(self.institution_of[sender], action)
            case Record(collection=collection, record=record):
                if len(self.records) < RECORDS_REMEMBERED_MAX:
                    self.records.append((collection, record))

    def _on_approved(self, approver: str, action: ApproveMembers) -> None:
        """The chain's rule: the approver's earlier approval of this version moves here; the
        new list applies when `threshold` current members approved it."""
        collection = self.collections[action.collection]
        chosen = (tuple(action.members), action.threshold)
        for proposal, approvers in list(collection.approvals.items()):
            if approver in approvers:
                approvers.remove(approver)
            if not approvers:
                del collection.approvals[proposal]
        approvers = collection.approvals.setdefault(chosen, [])
        approvers.append(approver)
        counted = [a for a in approvers if a in collection.members]
        if len(counted) >= collection.threshold:
            collection.members = list(action.members)
            collection.threshold = action.threshold
            collection.version += 1
            collection.approvals = {}


__all__ = ["PrivateWorkload"]
