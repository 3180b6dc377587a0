"""What holds of every item record at every commit (asserted; a violation stops the node).

- a lot holds 0..quantity_max units, and 0 exactly when it was consumed into other lots;
- a hand-off waits only for another account than the holder;
- kept gaps are at most gaps_kept_max and never more than counted (gaps_total);
- history entries never exceed entries_per_item_max and never shrink;
- the steps passed are steps of its product type, each once;
- a gap once counted is never forgotten.
Units adding up across splits and merges is checked against a model by the property tests
(tests/apps/trace/test_properties.py): it spans keys a per-record check does not see.
"""

from __future__ import annotations

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.apps.trace import limits
from chainbook.apps.trace.state import ITEM_PREFIX, ItemRecord, get_product


def assert_item(after: KVReader, item: str, record: ItemRecord, before: ItemRecord | None) -> None:
    assert 0 <= record.quantity <= limits.quantity_max, (item, record.quantity)
    assert (record.quantity == 0) == bool(record.consumed_into), (item, record)
    assert record.pending_to != record.holder, (item, "hand-off to its holder")
    assert len(record.gaps) <= min(record.gaps_total, limits.gaps_kept_max), (item, record)
    assert record.entries <= limits.entries_per_item_max, (item, record.entries)
    product = get_product(after, record.product)
    assert product is not None, (item, record.product)
    names = [s.name for s in product.steps]
    assert len(set(record.steps_done)) == len(record.steps_done), (item, record.steps_done)
    assert set(record.steps_done) <= set(names), (item, record.steps_done, names)
    if before is not None:
        assert before.entries <= record.entries, (item, "history shrank")
        assert before.gaps_total <= record.gaps_total, (item, "a gap was forgotten")


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    for key in changed_keys:
        if not key.startswith(ITEM_PREFIX):
            continue
        raw = after.get(key)
        assert raw is not None, f"item record {key!r} deleted"
        item = key[len(ITEM_PREFIX) :].decode()
        old = before.get(key)
        assert_item(
            after,
            item,
            codec.decode(raw, ItemRecord),
            None if old is None else codec.decode(old, ItemRecord),
        )


__all__ = ["assert_invariants", "assert_item"]
