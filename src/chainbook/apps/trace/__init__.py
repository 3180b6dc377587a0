"""The trace module: goods from a registered manufacturer to the last holder, hand-off by
hand-off, with the steps each product type requires and a verdict on every item's chain."""

from chainbook.apps.base import Module
from chainbook.apps.trace import process as _process
from chainbook.apps.trace.actions import (
    ACTIONS,
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
from chainbook.apps.trace.errors import ERRORS
from chainbook.apps.trace.invariants import assert_invariants as _assert_invariants
from chainbook.apps.trace.limits import LIMITS
from chainbook.apps.trace.queries import (
    QUERIES,
    HistoryItem,
    HistoryPage,
    HistoryRequest,
    ItemInfo,
    ItemRequest,
    ProductInfo,
    ProductRequest,
)
from chainbook.apps.trace.verdict import GapInfo, Verdict
from chainbook.apps.trace.workload import TraceWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="Traceability: items and lots from a registered manufacturer, hand-offs signed by "
    "giver and receiver, required steps, splits and merges, and a verdict with a score.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    errors=ERRORS,
    limits=LIMITS,
    workload=TraceWorkload,
    assert_invariants=_assert_invariants,
)

__all__ = [
    "MODULE",
    "Accept",
    "Cancel",
    "Create",
    "GapInfo",
    "HandOver",
    "HistoryItem",
    "HistoryPage",
    "HistoryRequest",
    "ItemInfo",
    "ItemRequest",
    "Merge",
    "Part",
    "ProductInfo",
    "ProductRequest",
    "Record",
    "RegisterProduct",
    "Split",
    "Step",
    "TraceWorkload",
    "Verdict",
]
