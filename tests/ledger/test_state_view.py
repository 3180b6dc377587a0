from chainbook.ledger.state import StateView, TrackedView, merge_into_parent


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
