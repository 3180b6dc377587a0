"""trace against a simple model (hypothesis): whatever the sequence of hand-offs, counts,
splits and merges, units add up (live lots hold what was created plus what receivers counted
over what was handed over), consumed lots hold nothing, and each verdict's score is the
model's count of missing links."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.trace import Accept, HandOver, Merge, Part, Split
from tests.apps.trace.helpers import GREY, MAKER, SHIPPER, SHOP, create, make_ledger
from tests.support import ask

HOLDERS = [MAKER, SHIPPER, SHOP, GREY]
REGISTERED = {MAKER.address, SHIPPER.address, SHOP.address}


@dataclass
class Lot:
    quantity: int
    holder: int
    gaps: set[tuple[str, int]] = field(default_factory=set)
    """(what, where): an ancestor's gap is the same gap in every descendant."""


op_st = st.tuples(
    st.sampled_from(["move", "split", "merge"]),
    st.integers(0, 30),
    st.integers(0, 3),
    st.integers(-2, 2),
)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(op_st, min_size=1, max_size=12))
def test_units_add_up_and_scores_follow_the_model(ops: list[tuple[str, int, int, int]]) -> None:
    ledger = make_ledger()
    create(ledger, "lot-0", 100)
    model = {"lot-0": Lot(100, 0)}
    expected_total = 100
    made = 0
    for kind, pick, other, delta in ops:
        live = sorted(name for name, lot in model.items() if lot.quantity)
        name = live[pick % len(live)]
        lot = model[name]
        giver = HOLDERS[lot.holder]
        if kind == "move":
            receiver = other if other != lot.holder else (other + 1) % len(HOLDERS)
            counted = max(1, lot.quantity + delta)
            ledger.block([ledger.tx(giver, HandOver(name, HOLDERS[receiver].address))])
            receipt = ledger.run(HOLDERS[receiver], Accept(name, counted))
            assert receipt.ok, receipt.error
            if HOLDERS[receiver].address not in REGISTERED:
                lot.gaps.add(("unregistered", made))
            if counted != lot.quantity:
                lot.gaps.add(("count", made))
            expected_total += counted - lot.quantity
            lot.quantity, lot.holder = counted, receiver
        elif kind == "split" and lot.quantity >= 2:
            made += 1
            first = min(lot.quantity, max(1, lot.quantity // 2 + delta))  # never past the lot
            parts = [Part(f"s{made}a", first), Part(f"s{made}b", lot.quantity - first)]
            parts = [p for p in parts if p.quantity > 0]
            assert ledger.run(giver, Split(name, parts)).ok
            for part in parts:
                model[part.item] = Lot(part.quantity, lot.holder, set(lot.gaps))
            lot.quantity -= sum(p.quantity for p in parts)
        elif kind == "merge":
            mates = [n for n in live if n != name and model[n].holder == lot.holder]
            if not mates:
                continue
            made += 1
            inputs = [name, mates[other % len(mates)]]
            assert ledger.run(giver, Merge(inputs, f"m{made}")).ok
            model[f"m{made}"] = Lot(sum(model[n].quantity for n in inputs), lot.holder,
                                    set().union(*(model[n].gaps for n in inputs)))
            for n in inputs:
                model[n].quantity = 0
        made += 1
    assert sum(lot.quantity for lot in model.values()) == expected_total
    for name, lot in model.items():
        item = ask(ledger.state, "trace", "item", item=name)
        assert item.quantity == lot.quantity, name
        assert (item.quantity == 0) == bool(item.consumed_into)
        answer = ask(ledger.state, "trace", "verdict", item=name)
        assert answer.score == len(lot.gaps) + 3, (name, answer.gaps, lot.gaps)  # + 3 steps
