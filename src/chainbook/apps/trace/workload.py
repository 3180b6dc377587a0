"""The trace module's simulated clients: goods from a manufacturer through logistics and
customs to a retailer and a consumer.

Three simulated parties sign as institutions the simulator registers (apps/base.py
InstitutionWorkload): a manufacturer, a logistics operator, and a customs office that is also a
retailer; the outsider account is the consumer, no institution. The workload mirrors what the
chain accepted (products, items, holders, hand-offs waiting, quantities), so a party mostly
sends what is accepted: the manufacturer registers product types and creates lots
(trace.product_registered, trace.created); a holder hands a lot over to the next party along
the chain (trace.handed_over), records events (trace.recorded), splits and merges lots
(trace.split, trace.merged) and now and then withdraws a hand-off (trace.cancelled); the
receiver accepts it (trace.accepted), sometimes counting another quantity, and a consumer's
acceptance is a gap too (trace.gap); the logistics operator and customs record events on goods
they do not hold, customs the customs_cleared step only it may record. Refused, as they must
be: product types and lots from a party that is no active manufacturer (the outsider, one not
yet registered or revoked: trace.not_a_manufacturer), an unknown product type
(trace.unknown_product), hand-offs of goods the sender does not hold (trace.not_holder), an
acceptance nobody offered (trace.no_handoff), a customs step recorded by another
(trace.not_allowed), a split of more than a lot holds (trace.invalid_split), acts on lots that
never existed (trace.unknown_item).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from chainbook.apps.base import Rng, SimInstitution
from chainbook.apps.trace.actions import (
    Accept,
    Cancel,
    Create,
    HandOver,
    Merge,
    Part,
    Record,
    RegisterProduct,
    Split,
    Step,
)
from chainbook.types import Address

PARTIES = (("manufacturer",), ("logistics_operator",), ("customs", "retailer"))
STEPS = [Step("shipped"), Step("customs_cleared", "customs"), Step("sold")]
ALONG_THE_WAY = ["shipped", "received", "sold"]
ITEMS_MAX = 256
"""Lots a run's workload keeps track of (then it stops creating and splitting)."""
LOT_UNITS_MAX = 1_000
PENDING_TURNS_MAX = 40
REFUSED_SHARE = 0.15
"""Of this module's turns, the share that sends what the chain must refuse."""


@dataclass(slots=True)
class SimItem:
    product: str
    holder: Address
    quantity: int
    pending_to: Address | None = None


class TraceWorkload:
    def __init__(self) -> None:
        self.roles_of: dict[Address, tuple[str, ...]] = {}
        self.institution_of: dict[Address, str] = {}
        self.products: dict[str, str] = {}
        """Product type -> its manufacturer's institution id (committed)."""
        self.items: dict[str, SimItem] = {}
        """Live lots as committed (consumed ones are forgotten)."""
        self.registering: dict[Address, tuple[str, int]] = {}
        """A manufacturer's product type sent, its outcome not known yet, and the turn it was
        sent: its lots follow at once (one sender's transactions execute in nonce order)."""
        self.creating: dict[str, tuple[Address, int]] = {}
        """Lots sent to be created, their outcome not known yet: their creator hands them
        over at once, for the same reason."""
        self.busy: dict[str, int] = {}
        """Lots with a hand-off, acceptance, cancel, split or merge sent and its outcome not
        known yet: not moved again meanwhile."""
        self.sent = 0
        """Turns taken; a pending entry older than PENDING_TURNS_MAX turns is forgotten (a
        transaction refused at admission never has an outcome)."""

    def institution_roles(self) -> Sequence[Sequence[str]]:
        return PARTIES

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        self.roles_of = {entry.address: entry.roles for entry in institutions}
        self.institution_of = {entry.address: entry.id for entry in institutions}

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def _is_recent(self, turn: int) -> bool:
        return self.sent - turn <= PENDING_TURNS_MAX

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        self.sent += 1
        roles = self.roles_of.get(sender, ())
        items = sorted(self.items)
        if rng.random() < REFUSED_SHARE:
            return self._refused(rng, sender, items, accounts)
        free = [i for i in items if i not in self.busy or not self._is_recent(self.busy[i])]
        waiting = [i for i in free if self.items[i].pending_to == sender]
        mine = [i for i in free if self.items[i].holder == sender]
        held = [i for i in mine if self.items[i].pending_to is None]
        created = sorted(
            item for item, (creator, turn) in self.creating.items()
            if creator == sender and self._is_recent(turn) and item not in self.busy
        )
        draw = rng.random()
        if waiting and draw < 0.8:
            return self._mark(Accept(*self._counted(rng, rng.choice(waiting))))
        if created and draw < 0.6:
            to = self._next_holder(rng, sender, accounts)
            return self._mark(HandOver(rng.choice(created), to))
        if "manufacturer" in roles and (not held or draw < 0.3):
            return self._manufacture(rng, sender)
        if held and draw < 0.9:
            return self._mark(self._act_as_holder(rng, sender, rng.choice(held), held, accounts))
        if len(mine) > len(held) and draw < 0.95:
            return self._mark(Cancel(rng.choice([i for i in mine if i not in held])))
        if items and set(roles) & {"customs", "logistics_operator"} and draw < 0.6:
            step = "customs_cleared" if "customs" in roles else rng.choice(ALONG_THE_WAY)
            return Record(rng.choice(items), step, "port of Ningbo")
        return None

    def _mark(self, action: msgspec.Struct) -> msgspec.Struct:
        for item in _items_moved(action):
            self.busy[item] = self.sent
        return action

    def _counted(self, rng: Rng, item: str) -> tuple[str, int]:
        """What a receiver counts: mostly what was handed over, sometimes one unit less."""
        quantity = self.items[item].quantity
        return item, quantity if rng.random() < 0.9 else max(1, quantity - 1)

    def _manufacture(self, rng: Rng, sender: Address) -> msgspec.Struct | None:
        own = sorted(p for p, m in self.products.items() if m == self.institution_of[sender])
        registering = self.registering.get(sender)
        if registering is not None and self._is_recent(registering[1]):
            own.append(registering[0])
        if not own or rng.random() < 0.05:
            product = f"p-{self.sent}"
            self.registering[sender] = (product, self.sent)
            return RegisterProduct(product, "simulated tea", STEPS)
        if len(self.items) + len(self.creating) >= ITEMS_MAX:
            return None
        item = f"i-{self.sent}"
        self.creating[item] = (sender, self.sent)
        return Create(item, rng.choice(own), rng.randint(1, LOT_UNITS_MAX))

    def _act_as_holder(
        self, rng: Rng, sender: Address, item: str, held: list[str], accounts: Sequence[Address]
    ) -> msgspec.Struct:
        lot = self.items[item]
        draw = rng.random()
        if draw < 0.55:
            return HandOver(item, self._next_holder(rng, sender, accounts))
        if draw < 0.7:
            return Record(item, rng.choice(ALONG_THE_WAY), "warehouse 7")
        if draw < 0.85 and lot.quantity >= 2 and len(self.items) < ITEMS_MAX:
            half = lot.quantity // 2
            parts = [Part(f"{item}.{self.sent}a", half), Part(f"{item}.{self.sent}b", 1)]
            return Split(item, parts[: 1 if lot.quantity == 2 else 2])
        same = [i for i in held if i != item and self.items[i].product == lot.product]
        if same:
            return Merge([item, rng.choice(same)], f"m-{self.sent}")
        return Record(item, rng.choice(ALONG_THE_WAY), "")

    def _next_holder(self, rng: Rng, sender: Address, accounts: Sequence[Address]) -> Address:
        """Along the chain: manufacturer -> logistics -> customs and retail -> a consumer."""
        roles = self.roles_of.get(sender, ())
        wanted = (
            "logistics_operator" if "manufacturer" in roles
            else "retailer" if "logistics_operator" in roles
            else None
        )
        parties = sorted(a for a, r in self.roles_of.items() if wanted in r and a != sender)
        consumers = [a for a in accounts if a not in self.roles_of and a != sender]
        others = consumers or [a for a in accounts if a != sender] or [bytes(20)]
        chosen: Address = rng.choice(parties if parties and rng.random() < 0.9 else others)
        return chosen

    def _refused(
        self, rng: Rng, sender: Address, items: list[str], accounts: Sequence[Address]
    ) -> msgspec.Struct:
        draw = rng.random()
        roles = self.roles_of.get(sender, ())
        if draw < 0.2 and "manufacturer" not in roles:
            return RegisterProduct(f"p-{self.sent}", "no manufacturer's", STEPS)
        if draw < 0.35:
            return Create(f"i-{self.sent}", "p-unknown", 1)
        others = [i for i in items if self.items[i].holder != sender]
        if draw < 0.5 and others:
            return HandOver(rng.choice(others), rng.choice(accounts))
        if draw < 0.65 and items:
            return Accept(rng.choice(items), 1)
        if draw < 0.8 and items and "customs" not in roles:
            return Record(rng.choice(items), "customs_cleared", "not customs")
        if draw < 0.9 and items:
            item = rng.choice(items)
            return Split(item, [Part(f"{item}.{self.sent}x", self.items[item].quantity + 1)])
        return Record(f"lot-{rng.randint(1, 50)}", "shipped", "never created")

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        for item in _items_moved(action):
            self.busy.pop(item, None)
        match action:
            case RegisterProduct(product=product) if self.registering.get(sender) is not None:
                if self.registering[sender][0] == product:
                    del self.registering[sender]
            case Create(item=item):
                self.creating.pop(item, None)
            case _:
                pass
        if not ok:
            return
        match action:
            case RegisterProduct(product=product):
                self.products[product] = self.institution_of[sender]
            case Create(item=item, product=product, quantity=quantity):
                self.items[item] = SimItem(product, sender, quantity)
            case HandOver(item=item, to=to):
                self.items[item].pending_to = to
            case Accept(item=item, quantity=quantity):
                lot = self.items[item]
                lot.holder, lot.quantity, lot.pending_to = sender, quantity, None
            case Cancel(item=item):
                self.items[item].pending_to = None
            case Split(item=item, parts=parts):
                lot = self.items[item]
                for part in parts:
                    self.items[part.item] = SimItem(lot.product, sender, part.quantity)
                lot.quantity -= sum(part.quantity for part in parts)
                if lot.quantity == 0:
                    del self.items[item]
            case Merge(items=inputs, into=into):
                product = self.items[inputs[0]].product
                total = sum(self.items[i].quantity for i in inputs)
                for i in inputs:
                    del self.items[i]
                self.items[into] = SimItem(product, sender, total)
            case _:
                pass


def _items_moved(action: msgspec.Struct) -> list[str]:
    """The lots an action moves or changes (those a client waits for before acting again)."""
    match action:
        case HandOver(item=item) | Accept(item=item) | Cancel(item=item) | Split(item=item):
            return [item]
        case Merge(items=items):
            return list(items)
        case _:
            return []


__all__ = ["TraceWorkload"]
