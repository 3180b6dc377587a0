from chainbook.apps.registry import REGISTRY
from chainbook.ledger.state import StateView, TrackedView, TxOverlay, merge_into_parent

BANK = REGISTRY.get_module("bank")


def test_reads_fall_through_to_base() -> None:
    view = StateView({b"a": b"1"})
    assert view.get(b"a") == b"1"
    assert view.get(b"missing") is None


def test_reads_see_writes_and_deletes_without_touching_base() -> None:
    base = {b"a": b"1", b"b": b"2"}
    view = StateView(base)
    view.set(b"a", b"9")
    view.delete(b"b")
    view.set(b"c", b"3")
    assert (view.get(b"a"), view.get(b"b"), view.get(b"c")) == (b"9", None, b"3")
    assert view.writes == {b"a": b"9", b"b": None, b"c": b"3"}
    assert base == {b"a": b"1", b"b": b"2"}


def test_stacked_views_merge_only_when_asked() -> None:
    parent = StateView({b"a": b"1"})
    child = StateView(parent)
    child.set(b"a", b"2")
    child.delete(b"z")
    assert parent.get(b"a") == b"1"
    assert child.get(b"a") == b"2"
    merge_into_parent(child, parent)
    assert parent.get(b"a") == b"2"
    assert parent.writes == {b"a": b"2", b"z": None}


def test_child_sees_parent_delete() -> None:
    parent = StateView({b"a": b"1"})
    parent.delete(b"a")
    assert StateView(parent).get(b"a") is None


def test_tracked_view_records_first_base_read_and_detects_staleness() -> None:
    base = {b"a": b"1"}
    view = TrackedView(base)
    view.get(b"a")
    view.get(b"b")
    view.set(b"c", b"3")
    view.get(b"c")  # own write: not a base read
    assert view.reads == {b"a": b"1", b"b": None}
    assert not view.is_stale(base)
    assert view.is_stale({b"a": b"2"})
    assert view.is_stale({b"a": b"1", b"b": b"0"})


def test_tracked_view_keeps_update_reads_apart_from_guards() -> None:
    base = {b"g": b"1", b"u": b"5"}
    view = TrackedView(base)
    assert view.get(b"g") == b"1"
    assert view.get_to_update(b"u") == b"5"
    view.set(b"u", b"6")
    assert view.reads == {b"g": b"1"} and view.update_reads == {b"u": b"5"}
    assert not view.is_stale({b"g": b"1", b"u": b"99"})  # an update read is no guard
    assert view.is_stale({b"g": b"2", b"u": b"5"})


def test_tracked_view_promotes_an_update_read_to_a_guard() -> None:
    base = {b"u": b"5"}
    view = TrackedView(base)
    view.get_to_update(b"u")
    view.set(b"u", b"6")
    assert view.get(b"u") == b"6" and view.reads == {b"u": b"5"} and not view.outdated
    assert view.is_stale({b"u": b"7"})


def test_tracked_view_is_outdated_when_a_promoted_key_changed_in_the_base() -> None:
    base = {b"u": b"5"}
    view = TrackedView(base)
    view.get_to_update(b"u")
    view.set(b"u", b"6")
    base[b"u"] = b"100"  # a commit changed it; the view's b"6" derives from the old b"5"
    view.get(b"u")
    assert view.outdated


def test_state_view_get_to_update_is_a_plain_read() -> None:
    view = StateView({b"a": b"1"})
    assert view.get_to_update(b"a") == b"1"
    view.set(b"a", b"2")
    assert view.get_to_update(b"a") == b"2"


def test_tx_overlay_prefixes_keys_and_merges_like_a_state_view() -> None:
    parent = StateView({b"bank/a": b"1", b"other/a": b"x"})
    overlay = TxOverlay(parent, BANK, REGISTRY)
    assert overlay.get(b"a") == b"1" and overlay.get_to_update(b"b") is None
    overlay.set(b"a", b"2")
    overlay.delete(b"c")
    assert overlay.get(b"a") == b"2" and overlay.get(b"c") is None
    assert parent.get(b"bank/a") == b"1"  # untouched until merged
    merge_into_parent(overlay, parent)
    assert parent.writes == {b"bank/a": b"2", b"bank/c": None}


def test_tx_overlay_routes_update_reads_to_a_tracked_parent() -> None:
    parent = TrackedView({b"bank/a": b"1", b"bank/b": b"2"})
    overlay = TxOverlay(parent, BANK, REGISTRY)
    overlay.get(b"a")
    overlay.get_to_update(b"b")
    assert parent.reads == {b"bank/a": b"1"} and parent.update_reads == {b"bank/b": b"2"}
