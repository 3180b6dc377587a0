"""royalty queries: read-only, over the committed state (QueryContext.view is the module's keys).

    work(work)                                   a work: split, prices, token, totals
    split_history(work, start)                   its split tables from version `start`, paged
    payments(work, start)                        its payments from number `start`, paged
    payees(work, start)                          every holder ever in its split, with what it
                                                 received and its share now, paged
    work_statement(work, from_height, to_height) its payments, uses and amount in a period
                                                 (to_height 0: up to the latest)
    holder_statement(holder, token, from_height, to_height)
                                                 a holder's payments, uses and amount in one
                                                 token in a period (all works)
    received(holder, token, start)               the payments a holder received in a token,
                                                 each with its work and part, paged
    holder_tokens(holder, start)                 the tokens a holder was ever paid in, with
                                                 its totals in each, paged
    works_of(holder, start)                      the works an account is or was a holder of
    catalogue(institution, start)                the works a rights manager registered
    reference(work, reference)                   the payment that used a reference (a
                                                 licence's proof of payment), or found=false

A page holds at most page_items_max (20) items and says where the next one starts (`next`,
None at the end). A statement is two binary searches over a log with running totals
(apps/royalty/statements.py): its `first` and `end` say which entries of `payments` or
`received` the period holds, to page through them. Every answer is provable (?prove=true: a
page reads at most 61 state keys, a statement at most 59). An id no work can have, or a token
id no token can have, answers found=false (or an empty page), never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import msgspec

from chainbook.apps.base import Query, QueryContext, decode_int
from chainbook.apps.royalty import limits
from chainbook.apps.royalty.actions import AddressBytes, Share, UInt
from chainbook.apps.royalty.rules import INSTITUTION_PATTERN, is_token_id, is_work_id
from chainbook.apps.royalty.state import (
    PaymentEntry,
    WorkRecord,
    catalogue_at_key,
    catalogue_key,
    get_address,
    get_payee,
    get_payment,
    get_received,
    get_received_totals,
    get_split,
    get_text,
    get_uint,
    get_work,
    payee_at_key,
    reference_key,
    token_of_at_key,
    tokens_of_key,
    work_of_at_key,
    works_of_key,
)
from chainbook.apps.royalty.statements import compute_period
from chainbook.types import Address, Amount, Hash, Height, TimeMs

Start = Annotated[int, msgspec.Meta(ge=0)]


# --- requests -------------------------------------------------------------------------------


class WorkRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: str


class WorkPageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: str
    start: Start = 0


class WorkStatementRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: str
    from_height: UInt = 0
    to_height: UInt = 0
    """0: up to the latest height (no payment is at height 0, the genesis)."""


class HolderStatementRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    holder: AddressBytes
    token: str = ""
    from_height: UInt = 0
    to_height: UInt = 0
    """0: up to the latest height."""


class ReceivedRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    holder: AddressBytes
    token: str = ""
    start: Start = 0


class HolderPageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    holder: AddressBytes
    start: Start = 0


class CatalogueRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    institution: str
    start: Start = 0


class ReferenceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: str
    reference: str


# --- answers --------------------------------------------------------------------------------


class ShareView(msgspec.Struct, frozen=True):
    holder: Address
    share: int
    """Basis points (10,000 = 100 %)."""


class PriceView(msgspec.Struct, frozen=True):
    use: str
    price: Amount


class WorkInfo(msgspec.Struct, frozen=True):
    work: str
    found: bool
    title: str = ""
    metadata_hash: Hash = b""
    token: str = ""
    """"" the native coin, else an issued token's symbol."""
    prices: list[PriceView] = []
    split: list[ShareView] = []
    version: int = 0
    institution: str = ""
    registrant: Address = b""
    height: Height = 0
    """Of the registration; 0 for a work the genesis imported."""
    time_ms: TimeMs = 0
    tx_hash: Hash = b""
    payments: int = 0
    uses: int = 0
    paid: Amount = 0
    payees: int = 0
    updated_height: Height = 0


class SplitView(msgspec.Struct, frozen=True):
    version: int
    split: list[ShareView]
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    sender: Address
    signed_by: list[Address]
    """The holders whose share this version lowered (each signed it)."""


class SplitHistoryPage(msgspec.Struct, frozen=True):
    work: str
    found: bool
    total: int
    splits: list[SplitView]
    next: int | None


class PaymentView(msgspec.Struct, frozen=True):
    number: int
    payer: Address
    use: str
    uses: int
    amount: Amount
    reference: str
    version: int
    """The split version it was split by (split_history)."""
    height: Height
    time_ms: TimeMs
    tx_hash: Hash


class PaymentsPage(msgspec.Struct, frozen=True):
    work: str
    found: bool
    total: int
    token: str
    payments: list[PaymentView]
    next: int | None


class PayeeView(msgspec.Struct, frozen=True):
    holder: Address
    received: Amount
    """Everything it received from the work, in the work's token."""
    share: int
    """Its share now in basis points (0: no longer in the split)."""


class PayeesPage(msgspec.Struct, frozen=True):
    work: str
    found: bool
    total: int
    token: str
    payees: list[PayeeView]
    next: int | None


class WorkStatement(msgspec.Struct, frozen=True):
    work: str
    found: bool
    token: str
    from_height: Height
    to_height: Height
    """0: up to the latest height."""
    payments: int
    uses: int
    amount: Amount
    first: int
    """The period's payments are numbers first..end - 1 (page `payments` from `first`)."""
    end: int


class HolderStatement(msgspec.Struct, frozen=True):
    holder: Address
    token: str
    from_height: Height
    to_height: Height
    """0: up to the latest height."""
    payments: int
    """Payments the holder had a part in (a part of 0 included)."""
    uses: int
    amount: Amount
    first: int
    """The period's entries are numbers first..end - 1 (page `received` from `first`)."""
    end: int


class ReceivedView(msgspec.Struct, frozen=True):
    number: int
    work: str
    payment: int
    """Its number among the work's payments."""
    uses: int
    amount: Amount
    """The holder's part."""
    height: Height


class ReceivedPage(msgspec.Struct, frozen=True):
    holder: Address
    token: str
    total: int
    received: list[ReceivedView]
    next: int | None


class HolderTokenView(msgspec.Struct, frozen=True):
    token: str
    payments: int
    uses: int
    amount: Amount


class HolderTokensPage(msgspec.Struct, frozen=True):
    holder: Address
    total: int
    tokens: list[HolderTokenView]
    next: int | None


class HeldWork(msgspec.Struct, frozen=True):
    work: str
    share: int
    """Its share now (0: no longer in the split)."""
    received: Amount
    """Everything it received from the work."""
    token: str


class WorksOfPage(msgspec.Struct, frozen=True):
    holder: Address
    total: int
    works: list[HeldWork]
    next: int | None


class CataloguePage(msgspec.Struct, frozen=True):
    institution: str
    found: bool
    """The institution registered at least one work."""
    total: int
    works: list[str]
    next: int | None


class ReferenceAnswer(msgspec.Struct, frozen=True):
    work: str
    reference: str
    found: bool
    payment: PaymentView | None = None


# --- helpers --------------------------------------------------------------------------------


def compute_page(start: int, total: int) -> tuple[range, int | None]:
    end = min(total, start + limits.page_items_max)
    numbers = range(start, end) if start < total else range(0)
    return numbers, (end if end < total else None)


def view_shares(split: Sequence[Share]) -> list[ShareView]:
    return [ShareView(line.holder, line.share) for line in split]


def view_payment(number: int, entry: PaymentEntry) -> PaymentView:
    return PaymentView(number, entry.payer, entry.use, entry.uses, entry.amount, entry.reference,
                       entry.version, entry.height, entry.time_ms, entry.tx_hash)


def find_work(ctx: QueryContext, work: str) -> WorkRecord | None:
    return get_work(ctx.view, work) if is_work_id(work) else None


def compute_share(record: WorkRecord, holder: Address) -> int:
    return next((line.share for line in record.split if line.holder == holder), 0)


# --- handlers -------------------------------------------------------------------------------


def query_work(ctx: QueryContext, request: WorkRequest) -> WorkInfo:
    """A work: its split table, prices, token, rights manager and totals paid."""
    record = find_work(ctx, request.work)
    if record is None:
        return WorkInfo(request.work, False)
    return WorkInfo(
        work=request.work,
        found=True,
        title=record.title,
        metadata_hash=record.metadata_hash,
        token=record.token,
        prices=[PriceView(line.use, line.price) for line in record.prices],
        split=view_shares(record.split),
        version=record.version,
        institution=record.institution,
        registrant=record.registrant,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
        payments=record.payments,
        uses=record.uses,
        paid=record.paid,
        payees=record.payees,
        updated_height=record.updated_height,
    )


def query_split_history(ctx: QueryContext, request: WorkPageRequest) -> SplitHistoryPage:
    """A work's split tables, version by version, with who had to sign each change."""
    record = find_work(ctx, request.work)
    if record is None:
        return SplitHistoryPage(request.work, False, 0, [], None)
    numbers, next_start = compute_page(request.start, record.version + 1)
    splits = []
    for version in numbers:
        split = get_split(ctx.view, request.work, version)
        assert split is not None, f"split {version} of {request.work!r} missing"
        splits.append(SplitView(version, view_shares(split.split), split.height,
                                split.time_ms, split.tx_hash, split.sender, split.signed_by))
    return SplitHistoryPage(request.work, True, record.version + 1, splits, next_start)


def query_payments(ctx: QueryContext, request: WorkPageRequest) -> PaymentsPage:
    """A work's payments in order, from number `start`, a page at a time."""
    record = find_work(ctx, request.work)
    if record is None:
        return PaymentsPage(request.work, False, 0, "", [], None)
    numbers, next_start = compute_page(request.start, record.payments)
    payments = [view_payment(n, get_payment(ctx.view, request.work, n)) for n in numbers]
    return PaymentsPage(request.work, True, record.payments, record.token, payments, next_start)


def query_payees(ctx: QueryContext, request: WorkPageRequest) -> PayeesPage:
    """Every holder ever in a work's split: what it received from the work, its share now."""
    record = find_work(ctx, request.work)
    if record is None:
        return PayeesPage(request.work, False, 0, "", [], None)
    numbers, next_start = compute_page(request.start, record.payees)
    payees = []
    for n in numbers:
        holder = get_address(ctx.view, payee_at_key(request.work, n))
        received = get_payee(ctx.view, request.work, holder)
        assert received is not None, (request.work, holder)
        payees.append(PayeeView(holder, received, compute_share(record, holder)))
    return PayeesPage(request.work, True, record.payees, record.token, payees, next_start)


def query_work_statement(ctx: QueryContext, request: WorkStatementRequest) -> WorkStatement:
    """A work's statement for a period of heights: payments, uses and amount (its token)."""
    record = find_work(ctx, request.work)
    if record is None:
        return WorkStatement(request.work, False, "", request.from_height, request.to_height,
                             0, 0, 0, 0, 0)

    def entry_at(n: int) -> tuple[Height, int, Amount]:
        entry = get_payment(ctx.view, request.work, n)
        return entry.height, entry.uses_total, entry.amount_total

    period = compute_period(entry_at, record.payments, (record.uses, record.paid),
                            request.from_height, request.to_height or None)
    return WorkStatement(request.work, True, record.token, request.from_height,
                         request.to_height, period.payments, period.uses, period.amount,
                         period.first, period.end)


def query_holder_statement(ctx: QueryContext, request: HolderStatementRequest) -> HolderStatement:
    """A holder's statement in one token for a period: payments, uses, amount received."""
    totals = get_received_totals(ctx.view, request.holder, request.token) if is_token_id(
        request.token) else None
    if totals is None:
        return HolderStatement(request.holder, request.token, request.from_height,
                               request.to_height, 0, 0, 0, 0, 0)

    def entry_at(n: int) -> tuple[Height, int, Amount]:
        entry = get_received(ctx.view, request.holder, request.token, n)
        return entry.height, entry.uses_total, entry.amount_total

    period = compute_period(entry_at, totals.entries, (totals.uses, totals.amount),
                            request.from_height, request.to_height or None)
    return HolderStatement(request.holder, request.token, request.from_height,
                           request.to_height, period.payments, period.uses, period.amount,
                           period.first, period.end)


def query_received(ctx: QueryContext, request: ReceivedRequest) -> ReceivedPage:
    """The payments a holder received in one token, each with its work and part, paged."""
    totals = get_received_totals(ctx.view, request.holder, request.token) if is_token_id(
        request.token) else None
    total = 0 if totals is None else totals.entries
    numbers, next_start = compute_page(request.start, total)
    items = []
    for n in numbers:
        entry = get_received(ctx.view, request.holder, request.token, n)
        items.append(ReceivedView(n, entry.work, entry.payment, entry.uses, entry.amount,
                                  entry.height))
    return ReceivedPage(request.holder, request.token, total, items, next_start)


def query_holder_tokens(ctx: QueryContext, request: HolderPageRequest) -> HolderTokensPage:
    """The tokens a holder was ever paid royalties in, with its totals in each, paged."""
    total = get_uint(ctx.view, tokens_of_key(request.holder))
    numbers, next_start = compute_page(request.start, total)
    items = []
    for n in numbers:
        token = get_text(ctx.view, token_of_at_key(request.holder, n))
        totals = get_received_totals(ctx.view, request.holder, token)
        assert totals is not None, (request.holder, token)
        items.append(HolderTokenView(token, totals.entries, totals.uses, totals.amount))
    return HolderTokensPage(request.holder, total, items, next_start)


def query_works_of(ctx: QueryContext, request: HolderPageRequest) -> WorksOfPage:
    """The works an account is or was a holder of, with its share now and what it received."""
    total = get_uint(ctx.view, works_of_key(request.holder))
    numbers, next_start = compute_page(request.start, total)
    items = []
    for n in numbers:
        work = get_text(ctx.view, work_of_at_key(request.holder, n))
        record = get_work(ctx.view, work)
        received = get_payee(ctx.view, work, request.holder)
        assert record is not None and received is not None, (work, request.holder)
        items.append(HeldWork(work, compute_share(record, request.holder), received,
                              record.token))
    return WorksOfPage(request.holder, total, items, next_start)


def query_catalogue(ctx: QueryContext, request: CatalogueRequest) -> CataloguePage:
    """The works a rights-manager institution registered, in order, a page at a time."""
    if INSTITUTION_PATTERN.fullmatch(request.institution) is None:
        return CataloguePage(request.institution, False, 0, [], None)
    total = get_uint(ctx.view, catalogue_key(request.institution))
    numbers, next_start = compute_page(request.start, total)
    works = [get_text(ctx.view, catalogue_at_key(request.institution, n)) for n in numbers]
    return CataloguePage(request.institution, total > 0, total, works, next_start)


def query_reference(ctx: QueryContext, request: ReferenceRequest) -> ReferenceAnswer:
    """The payment of a work that used a reference (a licence number): its proof of payment."""
    if not is_work_id(request.work) or not request.reference:
        return ReferenceAnswer(request.work, request.reference, False)
    raw = ctx.view.get(reference_key(request.work, request.reference))
    if raw is None:
        return ReferenceAnswer(request.work, request.reference, False)
    number = decode_int(raw)
    payment = view_payment(number, get_payment(ctx.view, request.work, number))
    return ReferenceAnswer(request.work, request.reference, True, payment)


QUERIES = (
    Query("work", WorkRequest, WorkInfo, query_work),
    Query("split_history", WorkPageRequest, SplitHistoryPage, query_split_history),
    Query("payments", WorkPageRequest, PaymentsPage, query_payments),
    Query("payees", WorkPageRequest, PayeesPage, query_payees),
    Query("work_statement", WorkStatementRequest, WorkStatement, query_work_statement,
          is_lookup=False),
    Query("holder_statement", HolderStatementRequest, HolderStatement, query_holder_statement,
          is_lookup=False),
    Query("received", ReceivedRequest, ReceivedPage, query_received, is_lookup=False),
    Query("holder_tokens", HolderPageRequest, HolderTokensPage, query_holder_tokens,
          is_lookup=False),
    Query("works_of", HolderPageRequest, WorksOfPage, query_works_of, is_lookup=False),
    Query("catalogue", CatalogueRequest, CataloguePage, query_catalogue),
    Query("reference", ReferenceRequest, ReferenceAnswer, query_reference),
)

__all__ = [
    "QUERIES",
    "CataloguePage",
    "CatalogueRequest",
    "HeldWork",
    "HolderPageRequest",
    "HolderStatement",
    "HolderStatementRequest",
    "HolderTokenView",
    "HolderTokensPage",
    "PayeeView",
    "PayeesPage",
    "PaymentView",
    "PaymentsPage",
    "PriceView",
    "ReceivedPage",
    "ReceivedRequest",
    "ReceivedView",
    "ReferenceAnswer",
    "ReferenceRequest",
    "ShareView",
    "SplitHistoryPage",
    "SplitView",
    "WorkInfo",
    "WorkPageRequest",
    "WorkRequest",
    "WorkStatement",
    "WorkStatementRequest",
    "WorksOfPage",
]
