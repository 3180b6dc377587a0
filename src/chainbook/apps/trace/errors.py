"""The trace module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidField(ModuleError):
    """An id, name, step, note, metadata or quantity outside its rules or limits."""

    code = "trace.invalid_field"


class NotAManufacturer(ModuleError):
    """Product types and items are registered by an active institution with the manufacturer
    role; items of a type only by the manufacturer that registered it."""

    code = "trace.not_a_manufacturer"


class ProductExists(ModuleError):
    code = "trace.product_exists"


class UnknownProduct(ModuleError):
    code = "trace.unknown_product"


class ItemExists(ModuleError):
    code = "trace.item_exists"


class UnknownItem(ModuleError):
    code = "trace.unknown_item"


class NotHolder(ModuleError):
    """Only the holder hands over, splits or merges an item; the message names the holder."""

    code = "trace.not_holder"


class HandoffPending(ModuleError):
    """An item with a hand-off waiting for its receiver neither moves nor splits."""

    code = "trace.handoff_pending"


class NoHandoff(ModuleError):
    """Accept or cancel of an item with no hand-off to the sender (or none at all)."""

    code = "trace.no_handoff"


class NotAllowed(ModuleError):
    """An event by someone who is neither the holder nor a registered logistics operator or
    customs office, or a step by an institution lacking the role the product type states."""

    code = "trace.not_allowed"


class Consumed(ModuleError):
    """A lot wholly split or merged into another records nothing more."""

    code = "trace.consumed"


class InvalidSplit(ModuleError):
    """Parts that exceed the lot, a part of 0, too many parts, or a merge that mixes product
    types or holds fewer than 2 or more than merge_inputs_max lots."""

    code = "trace.invalid_split"


class HistoryFull(ModuleError):
    code = "trace.history_full"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidField,
    NotAManufacturer,
    ProductExists,
    UnknownProduct,
    ItemExists,
    UnknownItem,
    NotHolder,
    HandoffPending,
    NoHandoff,
    NotAllowed,
    Consumed,
    InvalidSplit,
    HistoryFull,
)

__all__ = [
    "ERRORS",
    "Consumed",
    "HandoffPending",
    "HistoryFull",
    "InvalidField",
    "InvalidSplit",
    "ItemExists",
    "NoHandoff",
    "NotAManufacturer",
    "NotAllowed",
    "NotHolder",
    "ProductExists",
    "UnknownItem",
    "UnknownProduct",
]
