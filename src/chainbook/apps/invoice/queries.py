"""invoice queries: read-only, over the committed state (QueryContext.view is the module's keys).

    invoice(id)                                    one invoice (or voided number) by its id
    by_seller(seller, from_height, to_height, cursor)   a seller's invoices and voids
    by_buyer(buyer, from_height, to_height, cursor)     a buyer's invoices
    by_period(from_height, to_height, cursor)           every invoice and void of the chain
    totals(seller, token, from_height, to_height)       a seller's paid invoices in one token
                                                        over a period: count, amount, tax

Heights are inclusive: an invoice belongs to the height of its payment (its issue), a void to
the height of the void; `to_height` 0 (the default) means up to the latest. A page holds at
most page_items_max invoices in height order and gives `next`, the cursor of the next page
(None when the range is done); pass it as `cursor` with the same range (the cursor then
replaces the search for `from_height`; 0, the default, asks for the first page: a `next` is
never 0). Every answer reads a bounded number of state keys (limits.py), so
every query is provable (?prove=true). `totals` counts paid invoices (reimbursed ones
included: a reimbursement moves no tax), never voids.

Who may ask: anyone. The chain's state is public: every node (every validator, every full
node that follows the chain) holds every invoice, so restricting these HTTP queries to tax
authorities would hide nothing from whoever runs a node. A deployment that must keep invoices
from other members needs them off this ledger (the private module keeps only salted hashes);
the tax authority's role ("tax_authority", apps/institutions.py) names who audits, not who can
read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import msgspec

from chainbook.apps.base import KVReader, Query, QueryContext
from chainbook.apps.invoice import limits
from chainbook.apps.invoice.actions import AddressBytes, UInt
from chainbook.apps.invoice.lists import compute_lower_bound
from chainbook.apps.invoice.state import (
    AUTHORISATION_NAMES,
    CHAIN_COUNT_KEY,
    STATUS_NAMES,
    InvoiceRecord,
    ListEntry,
    buyer_at_key,
    buyer_count_key,
    chain_at_key,
    get_list_entry,
    get_record,
    get_sum_entry,
    get_uint,
    is_seller_id,
    is_token_id,
    parse_invoice_id,
    seller_at_key,
    seller_count_key,
    sum_at_key,
    sums_count_key,
)
from chainbook.types import Address, Amount, Hash, Height, TimeMs

InvoiceId = Annotated[str, msgspec.Meta(max_length=128)]


class InvoiceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: InvoiceId
    """"<seller>/<number>", e.g. "sz-shop/2025-000123"."""


class InvoiceInfo(msgspec.Struct, frozen=True):
    id: str
    found: bool
    status: str = ""
    """"paid", "reimbursed" or "voided" (empty when not found)."""
    seller: str = ""
    number: str = ""
    signer: Address = b""
    """The address of the seller's key that authorised it (or voided the number)."""
    authorisation: str = ""
    """"signed_offer" or "cosigned" (empty for a void)."""
    buyer: Address = b""
    pay_to: Address = b""
    token: str = ""
    lines: int = 0
    lines_hash: Hash = b""
    """SHA-256 over the lines of the paying transaction (chainbook.apps.invoice.offer)."""
    amount: Amount = 0
    tax: Amount = 0
    total: Amount = 0
    """What the buyer paid, in its paying transaction `tx_hash`."""
    height: Height = 0
    time_ms: TimeMs = 0
    tx_hash: Hash = b""
    """The paying transaction (the invoice's issue), or the void's."""
    reason: str = ""
    claimant: Address = b""
    claimant_institution: str = ""
    reimbursed_amount: Amount = 0
    reimbursed_height: Height = 0
    reimbursed_tx: Hash = b""


class SellerPageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seller: str
    """The seller institution's id."""
    from_height: UInt = 0
    to_height: UInt = 0
    cursor: UInt = 0


class BuyerPageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    buyer: AddressBytes
    from_height: UInt = 0
    to_height: UInt = 0
    cursor: UInt = 0


class PeriodPageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    from_height: UInt = 0
    to_height: UInt = 0
    cursor: UInt = 0


class InvoicePage(msgspec.Struct, frozen=True):
    found: bool
    """The list holds anything (whatever the range)."""
    entries: int
    """The list's length, every height included."""
    invoices: list[InvoiceInfo]
    next: int | None
    """The cursor of the next page of this range (never 0); None when it is done."""


class TotalsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seller: str
    token: str = ""
    """"" the native coin, else an assets token id."""
    from_height: UInt = 0
    to_height: UInt = 0


class Totals(msgspec.Struct, frozen=True):
    seller: str
    token: str
    from_height: Height
    to_height: Height
    """0: up to the latest height."""
    invoices: int
    """Paid invoices of the seller in the token at heights from_height..to_height."""
    amount: Amount
    tax: Amount
    total: Amount
    """amount + tax: what their buyers paid."""


# --- answers --------------------------------------------------------------------------------


def view_invoice(invoice_id: str, record: InvoiceRecord) -> InvoiceInfo:
    return InvoiceInfo(
        id=invoice_id,
        found=True,
        status=STATUS_NAMES[record.status],
        seller=record.seller,
        number=record.number,
        signer=record.signer,
        authorisation=AUTHORISATION_NAMES[record.authorisation],
        buyer=record.buyer,
        pay_to=record.pay_to,
        token=record.token,
        lines=record.lines,
        lines_hash=record.lines_hash,
        amount=record.amount,
        tax=record.tax,
        total=record.total,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
        reason=record.reason,
        claimant=record.claimant,
        claimant_institution=record.claimant_institution,
        reimbursed_amount=record.reimbursed_amount,
        reimbursed_height=record.reimbursed_height,
        reimbursed_tx=record.reimbursed_tx,
    )


def compute_page(
    view: KVReader,
    count_key: bytes,
    key_at: Callable[[int], bytes],
    from_height: Height,
    to_height: Height,
    cursor: int,
) -> InvoicePage:
    """One page of a list over a height range (the module docstring's rules). A next page
    starts after a full one, so its cursor is at least page_items_max: 0 is free to mean
    "the first page"."""
    count = get_uint(view, count_key)
    last_height = to_height or None

    def entry_at(n: int) -> ListEntry:
        return get_list_entry(view, key_at(n))

    if cursor:
        position = cursor
    elif from_height == 0:
        position = 0
    else:
        position = compute_lower_bound(count, lambda n: entry_at(n).height, from_height)
    invoices: list[InvoiceInfo] = []
    next_cursor: int | None = None
    while position < count:
        entry = entry_at(position)
        if last_height is not None and entry.height > last_height:
            break
        if len(invoices) == limits.page_items_max:
            next_cursor = position
            break
        record = get_record(view, entry.invoice)
        assert record is not None, f"listed invoice {entry.invoice!r} has no record"
        invoices.append(view_invoice(entry.invoice, record))
        position += 1
    return InvoicePage(count > 0, count, invoices, next_cursor)


def query_invoice(ctx: QueryContext, request: InvoiceRequest) -> InvoiceInfo:
    """One invoice, or a voided number, by its id "<seller>/<number>"."""
    if parse_invoice_id(request.id) is None:
        return InvoiceInfo(request.id, False)
    record = get_record(ctx.view, request.id)
    if record is None:
        return InvoiceInfo(request.id, False)
    return view_invoice(request.id, record)


def query_by_seller(ctx: QueryContext, request: SellerPageRequest) -> InvoicePage:
    """A seller's invoices and voided numbers over a height range, a page at a time."""
    if not is_seller_id(request.seller):
        return InvoicePage(False, 0, [], None)
    return compute_page(
        ctx.view,
        seller_count_key(request.seller),
        lambda n: seller_at_key(request.seller, n),
        request.from_height,
        request.to_height,
        request.cursor,
    )


def query_by_buyer(ctx: QueryContext, request: BuyerPageRequest) -> InvoicePage:
    """A buyer's invoices over a height range, a page at a time."""
    return compute_page(
        ctx.view,
        buyer_count_key(request.buyer),
        lambda n: buyer_at_key(request.buyer, n),
        request.from_height,
        request.to_height,
        request.cursor,
    )


def query_by_period(ctx: QueryContext, request: PeriodPageRequest) -> InvoicePage:
    """Every invoice and voided number of the chain over a height range, a page at a time."""
    return compute_page(
        ctx.view,
        CHAIN_COUNT_KEY,
        chain_at_key,
        request.from_height,
        request.to_height,
        request.cursor,
    )


def query_totals(ctx: QueryContext, request: TotalsRequest) -> Totals:
    """A seller's paid invoices in one token over a height range: count, amount and tax."""
    empty = Totals(request.seller, request.token, request.from_height, request.to_height,
                   0, 0, 0, 0)
    if not is_seller_id(request.seller) or not is_token_id(request.token):
        return empty
    count = get_uint(ctx.view, sums_count_key(request.seller, request.token))

    def height_at(n: int) -> Height:
        return get_sum_entry(ctx.view, sum_at_key(request.seller, request.token, n)).height

    end = count if request.to_height == 0 else compute_lower_bound(
        count, height_at, request.to_height + 1
    )
    start = compute_lower_bound(end, height_at, request.from_height)
    if start >= end:
        return empty
    last = get_sum_entry(ctx.view, sum_at_key(request.seller, request.token, end - 1))
    amount, tax = last.amount, last.tax
    if start > 0:
        before = get_sum_entry(ctx.view, sum_at_key(request.seller, request.token, start - 1))
        amount, tax = amount - before.amount, tax - before.tax
    return Totals(request.seller, request.token, request.from_height, request.to_height,
                  end - start, amount, tax, amount + tax)


QUERIES = (
    Query("invoice", InvoiceRequest, InvoiceInfo, query_invoice),
    Query("by_seller", SellerPageRequest, InvoicePage, query_by_seller),
    Query("by_buyer", BuyerPageRequest, InvoicePage, query_by_buyer),
    Query("by_period", PeriodPageRequest, InvoicePage, query_by_period),
    Query("totals", TotalsRequest, Totals, query_totals, is_lookup=False),
)

__all__ = [
    "QUERIES",
    "BuyerPageRequest",
    "InvoiceInfo",
    "InvoicePage",
    "InvoiceRequest",
    "PeriodPageRequest",
    "SellerPageRequest",
    "Totals",
    "TotalsRequest",
    "compute_page",
    "query_by_buyer",
    "query_by_period",
    "query_by_seller",
    "query_invoice",
    "query_totals",
]
