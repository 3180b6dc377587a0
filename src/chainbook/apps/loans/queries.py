"""Loans queries: read-only, over the committed state (QueryContext.view is the module's keys).

    loan(loan_id)                      a loan: terms, schedule, status and figures now
    outstanding(loan_id, blocks_ahead) what is owed now, or blocks_ahead later if nothing is
                                       paid meanwhile (interest accrues per block)
    history(loan_id, start)            its repayments, forgivenesses, default and claim, paged
    loans_of(address, role, start)     a party's loans as lender or as borrower (its credit
                                       record), with status and figures, paged
    credit(address)                    a party's loans counted by status, in both roles
    offered(loan_id)                   an offer: terms, window, open/expired/accepted/withdrawn

"Now" is the committed height the query reads (its answer says which). An id nobody used is
HTTP 404 (RecordNotFound). A page holds at most page_loans_max (20) loans or
page_payments_max (50) entries and says where the next starts (`next`, None at the end), so
every answer is provable (?prove=true reads at most 41 or 51 state keys, of 64).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.fields import RecordNotFound
from chainbook.apps.loans import limits
from chainbook.apps.loans.actions import AddressBytes, Collateral
from chainbook.apps.loans.figures import compute_standing
from chainbook.apps.loans.state import (
    COLLATERAL_STATE_NAMES,
    ENTRY_KIND_NAMES,
    LoanRecord,
    OfferRecord,
    OfferStatus,
    Role,
    StatusCounts,
    get_entry,
    get_loan,
    get_offer,
    get_party_loan,
    get_stats,
)
from chainbook.apps.loans.terms import compute_due_heights
from chainbook.types import Address, Amount, Hash, Height, TimeMs

Start = Annotated[int, msgspec.Meta(ge=0, le=2**32)]
RoleName = Literal["lender", "borrower"]


class LoanRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    loan_id: str


class OutstandingRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    loan_id: str
    blocks_ahead: Annotated[int, msgspec.Meta(ge=0, le=limits.blocks_ahead_max)] = 0
    """0: at the committed height; n: n heights later, if nothing is paid meanwhile."""


class HistoryRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    loan_id: str
    start: Start = 0


class PartyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: AddressBytes
    role: RoleName
    start: Start = 0


class CreditRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: AddressBytes


class ScheduledInstalment(msgspec.Struct, frozen=True):
    due_height: Height
    principal: Amount
    met: bool
    """The principal settled covers this instalment and every one before it."""


class Figures(msgspec.Struct, frozen=True):
    """What a loan owes at one height (computed: interest accrues block by block)."""

    height: Height
    status: str
    """active, overdue, repaid, forgiven or defaulted."""
    outstanding: Amount
    """principal + interest."""
    principal: Amount
    interest: Amount
    due_now: Amount
    """What brings the loan up to date at this height: its interest and the principal of the
    instalments due by then not yet settled."""
    next_due_height: Height | None
    """The due height of the first instalment not met (None: none left)."""
    overdue_since: Height | None
    """That due height, once `height` is past it (the loan is overdue); None otherwise."""
    default_height: Height | None
    """From this height on the lender may declare a default if that instalment is still not
    met (its due height + grace + 1); None: nothing left to miss."""


class LoanInfo(msgspec.Struct, frozen=True):
    loan_id: str
    lender: Address
    borrower: Address
    token: str
    principal: Amount
    rate_bps: int
    period_blocks: int
    grace_blocks: int
    schedule: list[ScheduledInstalment]
    collateral: Collateral | None
    collateral_state: str
    """none, escrowed (in module_account("loans")), released (to the borrower), claimed."""
    terms_hash: Hash | None
    memo: str
    height: Height
    """Of the disbursement."""
    time_ms: TimeMs
    tx_hash: Hash
    offer_tx_hash: Hash
    """The offer it accepted; empty for an agreement both parties signed in one transaction."""
    closed_height: Height
    principal_repaid: Amount
    interest_repaid: Amount
    principal_forgiven: Amount
    interest_forgiven: Amount
    entries: int
    """History entries (the `history` query)."""
    now: Figures


class EntryInfo(msgspec.Struct, frozen=True):
    number: int
    kind: str
    """repayment, forgiveness, default or claim."""
    payer: Address
    amount: Amount
    interest: Amount
    principal: Amount
    principal_outstanding: Amount
    interest_owed: Amount
    height: Height
    tx_hash: Hash


class HistoryPage(msgspec.Struct, frozen=True):
    loan_id: str
    total: int
    entries: list[EntryInfo]
    next: int | None


class LoanSummary(msgspec.Struct, frozen=True):
    loan_id: str
    lender: Address
    borrower: Address
    token: str
    principal: Amount
    height: Height
    closed_height: Height
    status: str
    outstanding: Amount
    principal_repaid: Amount
    interest_repaid: Amount
    forgiven: Amount
    entries: int


class PartyLoansPage(msgspec.Struct, frozen=True):
    address: Address
    role: str
    height: Height
    counts: StatusCounts
    loans: list[LoanSummary]
    next: int | None


class CreditRecord(msgspec.Struct, frozen=True):
    address: Address
    as_borrower: StatusCounts
    as_lender: StatusCounts


class OfferInfo(msgspec.Struct, frozen=True):
    loan_id: str
    lender: Address
    borrower: Address
    token: str
    principal: Amount
    rate_bps: int
    period_blocks: int
    grace_blocks: int
    due_blocks: list[int]
    """Each instalment's due height, counted from the acceptance."""
    instalment_principals: list[Amount]
    collateral: Collateral | None
    terms_hash: Hash | None
    memo: str
    height: Height
    expires_height: Height
    tx_hash: Hash
    status: str
    """open, expired (open but past expires_height: only a withdrawal is left), accepted,
    withdrawn."""
    closed_height: Height


# --- answers --------------------------------------------------------------------------------


def verify_known_loan(ctx: QueryContext, loan_id: str) -> LoanRecord:
    record = get_loan(ctx.view, loan_id)
    if record is None:
        raise RecordNotFound(f"no loan has id {loan_id!r}")
    return record


def compute_figures(record: LoanRecord, height: Height) -> Figures:
    standing = compute_standing(record, max(height, record.accrued_height))
    return Figures(
        height=standing.height,
        status=standing.status,
        outstanding=standing.owed,
        principal=standing.principal,
        interest=standing.interest,
        due_now=standing.due_now,
        next_due_height=standing.unmet_due_height,
        overdue_since=standing.unmet_due_height if standing.status == "overdue" else None,
        default_height=standing.default_height,
    )


def compute_schedule(record: LoanRecord) -> list[ScheduledInstalment]:
    settled = record.principal_settled
    schedule = []
    cumulative = 0
    heights = compute_due_heights(record.terms, record.height)
    for height, instalment in zip(heights, record.terms.instalments, strict=True):
        cumulative += instalment.principal
        schedule.append(ScheduledInstalment(height, instalment.principal, cumulative <= settled))
    return schedule


def query_loan(ctx: QueryContext, request: LoanRequest) -> LoanInfo:
    """A loan: its terms and schedule, its status and what it owes now."""
    record = verify_known_loan(ctx, request.loan_id)
    terms = record.terms
    return LoanInfo(
        loan_id=request.loan_id,
        lender=record.lender,
        borrower=record.borrower,
        token=terms.token,
        principal=terms.principal,
        rate_bps=terms.rate_bps,
        period_blocks=terms.period_blocks,
        grace_blocks=terms.grace_blocks,
        schedule=compute_schedule(record),
        collateral=terms.collateral,
        collateral_state=COLLATERAL_STATE_NAMES[record.collateral_state],
        terms_hash=terms.terms_hash,
        memo=terms.memo,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
        offer_tx_hash=record.offer_tx_hash,
        closed_height=record.closed_height,
        principal_repaid=record.principal_repaid,
        interest_repaid=record.interest_repaid,
        principal_forgiven=record.principal_forgiven,
        interest_forgiven=record.interest_forgiven,
        entries=record.entries,
        now=compute_figures(record, ctx.height),
    )


def query_outstanding(ctx: QueryContext, request: OutstandingRequest) -> Figures:
    """What a loan owes at the committed height (or blocks_ahead later, if nothing is paid)."""
    record = verify_known_loan(ctx, request.loan_id)
    return compute_figures(record, ctx.height + request.blocks_ahead)


def query_history(ctx: QueryContext, request: HistoryRequest) -> HistoryPage:
    """A loan's repayment history: repayments, forgivenesses, its default and claim."""
    record = verify_known_loan(ctx, request.loan_id)
    end = min(record.entries, request.start + limits.page_payments_max)
    entries = []
    for number in range(request.start, end):
        entry = get_entry(ctx.view, request.loan_id, number)
        entries.append(
            EntryInfo(
                number=number,
                kind=ENTRY_KIND_NAMES[entry.kind],
                payer=entry.payer,
                amount=entry.amount,
                interest=entry.interest,
                principal=entry.principal,
                principal_outstanding=entry.principal_outstanding,
                interest_owed=entry.interest_owed,
                height=entry.height,
                tx_hash=entry.tx_hash,
            )
        )
    return HistoryPage(
        loan_id=request.loan_id,
        total=record.entries,
        entries=entries,
        next=end if end < record.entries else None,
    )


def compute_summary(loan_id: str, record: LoanRecord, height: Height) -> LoanSummary:
    figures = compute_figures(record, height)
    return LoanSummary(
        loan_id=loan_id,
        lender=record.lender,
        borrower=record.borrower,
        token=record.terms.token,
        principal=record.terms.principal,
        height=record.height,
        closed_height=record.closed_height,
        status=figures.status,
        outstanding=figures.outstanding,
        principal_repaid=record.principal_repaid,
        interest_repaid=record.interest_repaid,
        forgiven=record.principal_forgiven + record.interest_forgiven,
        entries=record.entries,
    )


def query_loans_of(ctx: QueryContext, request: PartyRequest) -> PartyLoansPage:
    """A party's loans as lender or as borrower, oldest first: its credit record."""
    role = Role.LENDER if request.role == "lender" else Role.BORROWER
    counts = get_stats(ctx.view, request.address, role)
    end = min(counts.total, request.start + limits.page_loans_max)
    loans = []
    for number in range(request.start, end):
        loan_id = get_party_loan(ctx.view, request.address, role, number)
        record = get_loan(ctx.view, loan_id)
        assert record is not None, (request.address.hex(), number, loan_id)
        loans.append(compute_summary(loan_id, record, ctx.height))
    return PartyLoansPage(
        address=request.address,
        role=request.role,
        height=ctx.height,
        counts=counts,
        loans=loans,
        next=end if end < counts.total else None,
    )


def query_credit(ctx: QueryContext, request: CreditRequest) -> CreditRecord:
    """A party's loans counted by status, as borrower and as lender."""
    return CreditRecord(
        address=request.address,
        as_borrower=get_stats(ctx.view, request.address, Role.BORROWER),
        as_lender=get_stats(ctx.view, request.address, Role.LENDER),
    )


def compute_offer_status(offer: OfferRecord, height: Height) -> str:
    if offer.status is OfferStatus.ACCEPTED:
        return "accepted"
    if offer.status is OfferStatus.WITHDRAWN:
        return "withdrawn"
    return "expired" if height > offer.expires_height else "open"


def query_offered(ctx: QueryContext, request: LoanRequest) -> OfferInfo:
    """An offer: its terms, its acceptance window and whether it is still open."""
    offer = get_offer(ctx.view, request.loan_id)
    if offer is None:
        raise RecordNotFound(f"no offer has id {request.loan_id!r}")
    terms = offer.terms
    # An offer accepted in the committed block is judged at that block's height, the next
    # block's acceptance at the next: "open" means the next block may still accept it.
    return OfferInfo(
        loan_id=request.loan_id,
        lender=offer.lender,
        borrower=offer.borrower,
        token=terms.token,
        principal=terms.principal,
        rate_bps=terms.rate_bps,
        period_blocks=terms.period_blocks,
        grace_blocks=terms.grace_blocks,
        due_blocks=[i.due_blocks for i in terms.instalments],
        instalment_principals=[i.principal for i in terms.instalments],
        collateral=terms.collateral,
        terms_hash=terms.terms_hash,
        memo=terms.memo,
        height=offer.height,
        expires_height=offer.expires_height,
        tx_hash=offer.tx_hash,
        status=compute_offer_status(offer, ctx.height + 1),
        closed_height=offer.closed_height,
    )


QUERIES = (
    Query("loan", LoanRequest, LoanInfo, query_loan),
    Query("outstanding", OutstandingRequest, Figures, query_outstanding),
    Query("history", HistoryRequest, HistoryPage, query_history),
    Query("loans_of", PartyRequest, PartyLoansPage, query_loans_of),
    Query("credit", CreditRequest, CreditRecord, query_credit),
    Query("offered", LoanRequest, OfferInfo, query_offered),
)

__all__ = [
    "QUERIES",
    "CreditRecord",
    "CreditRequest",
    "EntryInfo",
    "Figures",
    "HistoryPage",
    "HistoryRequest",
    "LoanInfo",
    "LoanRequest",
    "LoanSummary",
    "OfferInfo",
    "OutstandingRequest",
    "PartyLoansPage",
    "PartyRequest",
    "ScheduledInstalment",
    "compute_figures",
]
