"""trace: product types, custody by hand-off and acceptance, events and steps, splits and
merges, and the verdict; every refusal changes nothing but the nonce; limits at their edges."""

from __future__ import annotations

import pytest

from chainbook.apps.trace import (
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
    limits,
)
from tests.apps.trace.helpers import (
    CUSTOMS,
    GREY,
    MAKER,
    MAKER_2,
    RIVAL,
    SHIPPER,
    SHOP,
    create,
    gap_kinds,
    make_ledger,
    move,
    ok,
    refused,
    verdict,
)
from tests.support import ALICE, ask


def full_chain(ledger: object) -> None:
    """lot-1 from the maker through the shipper and customs to the shop, which sells it."""
    create(ledger)  # type: ignore[arg-type]
    move(ledger, "lot-1", MAKER, SHIPPER)  # type: ignore[arg-type]
    ok(ledger, SHIPPER, Record("lot-1", "shipped", "Ningbo port, container MSKU 123"))  # type: ignore[arg-type]
    ok(ledger, CUSTOMS, Record("lot-1", "customs_cleared", "declaration 2025-001"))  # type: ignore[arg-type]
    move(ledger, "lot-1", SHIPPER, SHOP)  # type: ignore[arg-type]
    ok(ledger, SHOP, Record("lot-1", "sold"))  # type: ignore[arg-type]


def test_a_full_chain_is_complete_with_score_zero() -> None:
    ledger = make_ledger()
    full_chain(ledger)
    answer = verdict(ledger)
    assert (answer.verdict, answer.score, answer.gaps) == ("complete", 0, [])
    assert answer.holder == SHOP.address and answer.quantity == 100
    item = ask(ledger.state, "trace", "item", item="lot-1")
    assert (item.handoffs, item.holder_institution) == (2, "tea-shop")
    page = ask(ledger.state, "trace", "history", item="lot-1")
    assert [e.kind for e in page.entries] == [
        "created", "handed_over", "accepted", "recorded", "recorded", "handed_over",
        "accepted", "recorded",
    ]


def test_each_missing_link_adds_one_to_the_score() -> None:
    ledger = make_ledger()
    create(ledger)
    assert verdict(ledger).score == 3  # three required steps missing
    move(ledger, "lot-1", MAKER, GREY, counted=90)  # an unregistered holder who counts 90
    assert sorted(gap_kinds(ledger)) == sorted(
        ["unregistered_holder", "quantity_mismatch"] + ["missing_step"] * 3
    )
    ok(ledger, GREY, HandOver("lot-1", SHOP.address))
    answer = verdict(ledger)
    assert answer.score == 6 and "handoff_not_accepted" in gap_kinds(ledger)
    assert answer.quantity == 90
    ok(ledger, GREY, Cancel("lot-1"))
    assert verdict(ledger).score == 5


def test_an_unknown_item_is_reported_unknown() -> None:
    answer = verdict(make_ledger(), "counterfeit-007")
    assert (answer.found, answer.verdict) == (False, "unknown")


def test_only_the_types_manufacturer_registers_and_creates() -> None:
    ledger = make_ledger()
    refused(ledger, SHIPPER, RegisterProduct("p2", "x"), "trace.not_a_manufacturer")
    refused(ledger, ALICE, RegisterProduct("p2", "x"), "trace.not_a_manufacturer")
    refused(ledger, RIVAL, RegisterProduct("tea", "copy"), "trace.product_exists")
    error = refused(ledger, RIVAL, Create("fake-1", "tea"), "trace.not_a_manufacturer")
    assert "longjing-tea" in error
    ok(ledger, MAKER_2, Create("lot-2", "tea", 5))  # another key of the same manufacturer
    refused(ledger, MAKER, Create("lot-2", "tea"), "trace.item_exists")
    refused(ledger, MAKER, Create("lot-3", "coffee"), "trace.unknown_product")
    refused(ledger, MAKER, Create("lot-3", "tea", 0), "trace.invalid_field")


def test_custody_moves_only_with_both_signatures() -> None:
    ledger = make_ledger()
    create(ledger)
    refused(ledger, SHIPPER, HandOver("lot-1", SHOP.address), "trace.not_holder")
    refused(ledger, SHIPPER, Accept("lot-1", 100), "trace.no_handoff")
    refused(ledger, MAKER, HandOver("lot-1", MAKER.address), "trace.invalid_field")
    ok(ledger, MAKER, HandOver("lot-1", SHIPPER.address))
    refused(ledger, SHOP, Accept("lot-1", 100), "trace.no_handoff")
    refused(ledger, MAKER, HandOver("lot-1", SHOP.address), "trace.handoff_pending")
    refused(ledger, MAKER, Split("lot-1", [Part("x", 1)]), "trace.handoff_pending")
    refused(ledger, SHIPPER, Cancel("lot-1"), "trace.no_handoff")
    assert ask(ledger.state, "trace", "item", item="lot-1").holder == MAKER.address
    ok(ledger, SHIPPER, Accept("lot-1", 100))
    assert ask(ledger.state, "trace", "item", item="lot-1").holder == SHIPPER.address
    refused(ledger, MAKER, Cancel("lot-1"), "trace.no_handoff")


def test_who_may_record_events_and_steps() -> None:
    ledger = make_ledger()
    create(ledger)
    ok(ledger, MAKER, Record("lot-1", "packed"))  # the holder: a free event
    ok(ledger, SHIPPER, Record("lot-1", "shipped"))  # a logistics operator, not holding it
    error = refused(ledger, ALICE, Record("lot-1", "shipped"), "trace.not_allowed")
    assert "logistics_operator" in error
    error = refused(ledger, MAKER, Record("lot-1", "customs_cleared"), "trace.not_allowed")
    assert "'customs'" in error  # the step names its role: the holder is not enough
    ok(ledger, CUSTOMS, Record("lot-1", "customs_cleared"))
    assert verdict(ledger).steps_done == ["shipped", "customs_cleared"]
    refused(ledger, MAKER, Record("lot-1", "Bad Step"), "trace.invalid_field")


def test_splits_and_merges_add_up_and_carry_steps_and_gaps() -> None:
    ledger = make_ledger()
    create(ledger, "lot-1", 100)
    create(ledger, "lot-2", 50)
    ok(ledger, SHIPPER, Record("lot-1", "shipped"))
    move(ledger, "lot-2", MAKER, GREY)  # lot-2 passed through an unregistered holder
    move(ledger, "lot-2", GREY, MAKER)
    error = refused(ledger, MAKER, Split("lot-1", [Part("a", 60), Part("b", 41)]),
                    "trace.invalid_split")
    assert "101 units" in error and "holds 100" in error
    refused(ledger, MAKER, Split("lot-1", [Part("a", 0)]), "trace.invalid_field")
    refused(ledger, MAKER, Split("lot-1", [Part("a", 1), Part("a", 1)]), "trace.invalid_split")
    refused(ledger, MAKER, Split("lot-1", [Part("lot-2", 1)]), "trace.item_exists")
    ok(ledger, MAKER, Split("lot-1", [Part("a", 60), Part("b", 40)]))
    assert ask(ledger.state, "trace", "item", item="lot-1").consumed_into == ["a", "b"]
    refused(ledger, MAKER, Record("lot-1", "sold"), "trace.consumed")
    assert verdict(ledger, "a").steps_done == ["shipped"]
    ok(ledger, MAKER, Merge(["a", "lot-2"], "m"))
    merged = ask(ledger.state, "trace", "item", item="m")
    assert (merged.quantity, merged.parents) == (110, ["a", "lot-2"])
    assert merged.steps_done == []  # lot-2 was never shipped
    assert "unregistered_holder" in gap_kinds(ledger, "m")  # inherited from lot-2
    assert ask(ledger.state, "trace", "item", item="b").quantity == 40
    refused(ledger, MAKER, Merge(["m"], "n"), "trace.invalid_split")
    refused(ledger, MAKER, Merge(["m", "m"], "n"), "trace.invalid_split")
    refused(ledger, MAKER, Merge(["m", "a"], "n"), "trace.consumed")


def test_lots_of_two_product_types_do_not_merge() -> None:
    ledger = make_ledger()
    ok(ledger, MAKER, RegisterProduct("coffee", "Coffee", [Step("roasted")]))
    create(ledger, "t", 1)
    ok(ledger, MAKER, Create("c", "coffee", 1))
    assert "product type" in refused(ledger, MAKER, Merge(["t", "c"], "tc"),
                                     "trace.invalid_split")


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (RegisterProduct("p" * (limits.id_chars_max + 1), "n"), "trace.invalid_field"),
        (RegisterProduct("p", "n" * (limits.name_bytes_max + 1)), "trace.invalid_field"),
        (RegisterProduct("p", "n", [Step(f"s{i}") for i in range(limits.steps_max + 1)]),
         "trace.invalid_field"),
        (RegisterProduct("p", "n", [Step("s" * (limits.step_chars_max + 1))]),
         "trace.invalid_field"),
        (RegisterProduct("p", "n", [Step("a"), Step("a")]), "trace.invalid_field"),
        (RegisterProduct("p", "n", [Step("a", "judge")]), "trace.invalid_field"),
        (Create("x", "tea", limits.quantity_max + 1), "trace.invalid_field"),
        (Create("x", "tea", 1, "m" * (limits.metadata_bytes_max + 1)), "trace.invalid_field"),
        (Create("bad id!", "tea"), "trace.invalid_field"),
    ],
)
def test_over_the_limit_is_refused(action: object, code: str) -> None:
    refused(make_ledger(), MAKER, action, code)  # type: ignore[arg-type]


def test_at_the_limit_is_accepted() -> None:
    ledger = make_ledger()
    ok(ledger, MAKER, RegisterProduct("p" * limits.id_chars_max, "n" * limits.name_bytes_max,
                                      [Step(f"s{i}") for i in range(limits.steps_max)]))
    ok(ledger, MAKER, Create("x" * limits.id_chars_max, "tea", limits.quantity_max,
                             "m" * limits.metadata_bytes_max))
    item = "x" * limits.id_chars_max
    ok(ledger, MAKER, Record(item, "s" * limits.step_chars_max, "n" * limits.note_bytes_max))
    refused(ledger, MAKER, Record(item, "e", "n" * (limits.note_bytes_max + 1)),
            "trace.invalid_field")
    parts = [Part(f"part-{i}", 1) for i in range(limits.parts_max + 1)]
    refused(ledger, MAKER, Split(item, parts), "trace.invalid_split")
    ok(ledger, MAKER, Split(item, parts[:-1]))
    inputs = [f"part-{i}" for i in range(limits.parts_max)]
    create(ledger, "extra", 1)
    refused(ledger, MAKER, Merge([*inputs, "extra"], "all"), "trace.invalid_split")
    ok(ledger, MAKER, Merge(inputs, "all"))
    assert ask(ledger.state, "trace", "item", item="all").quantity == limits.merge_inputs_max


def test_history_stops_at_its_limit_and_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "entries_per_item_max", 40)
    ledger = make_ledger()
    create(ledger)
    txs = [ledger.tx(MAKER, Record("lot-1", "checked", str(i))) for i in range(39)]
    ledger.block(txs)
    refused(ledger, MAKER, Record("lot-1", "checked"), "trace.history_full")
    first = ask(ledger.state, "trace", "history", item="lot-1")
    assert (len(first.entries), first.total, first.next) == (32, 40, 32)
    rest = ask(ledger.state, "trace", "history", item="lot-1", start=32)
    assert (len(rest.entries), rest.next) == (8, None)


def test_gaps_past_the_kept_limit_still_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "gaps_kept_max", 2)
    ledger = make_ledger()
    create(ledger)
    move(ledger, "lot-1", MAKER, GREY, counted=99)  # two gaps
    move(ledger, "lot-1", GREY, MAKER, counted=98)  # one more (the maker is registered)
    item = ask(ledger.state, "trace", "item", item="lot-1")
    assert (len(item.gaps), item.gaps_total) == (2, 3)
    assert verdict(ledger).score == 3 + 3  # three gaps, three missing steps
