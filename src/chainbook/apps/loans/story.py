"""A loan's whole story, checked offline from its transactions' receipts.

The caller verifies each receipt file against the genesis file (client/verify.py: the
transaction, its outcome and its block are final, certified by more than 2/3 of the
validators followed from the genesis validators) and passes what they prove; this checks that
they tell one consistent story of one loan, and recomputes every figure from the agreed terms
with the module's own rules (apps/loans/figures.py), so a reader trusts the rules, not the
numbers the receipts print. Contacts nothing; pure.

Rules kept:
- Exactly one successful creation: a `loans.create` (its action holds the terms both parties
  signed), or a `loans.accept` together with the receipt of the `loans.offer` it accepted
  (which holds the terms). Every receipt given must be of that loan.
- The steps are taken in chain order (height, then position in the block). For each
  successful repayment or forgiveness, what went to interest and to principal and what was
  owed after it must be what the terms give at its height after the steps before it: a
  receipt left out shows as a mismatch at the next one. A default must come at or after the
  default height the schedule gives; a claim after the default. A refused transaction is
  listed with its code and changes nothing.
- A proof of the loan's record (the `loans.loan` query as a state proof file, verified the
  same way) closes the story: its number of history entries and its figures at its height
  must be the replay's, so no step after the last receipt can be missing either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import msgspec

from chainbook.apps.fields import from_json_value
from chainbook.apps.loans.actions import Create, Offer
from chainbook.apps.loans.figures import (
    compute_defaulted,
    compute_new_loan,
    compute_settled,
    compute_standing,
)
from chainbook.apps.loans.state import (
    COLLATERAL_STATE_NAMES,
    STATUS_NAMES,
    CollateralState,
    LoanRecord,
    LoanStatus,
)
from chainbook.apps.loans.terms import compute_due_heights, describe_collateral, get_terms
from chainbook.errors import InvalidInput
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Amount, Hash, Height

STEP_ACTIONS = frozenset({
    "loans.repay", "loans.repay_in_full", "loans.forgive", "loans.declare_default",
    "loans.claim_collateral",
})  # fmt: skip


class StoryError(InvalidInput):
    """The receipts do not tell one consistent story of one loan (the message says where)."""

    code = "loans.story_inconsistent"


class ReceiptFacts(Protocol):
    """What a verified receipt proves (client/verify.py VerifiedReceipt has these)."""

    @property
    def height(self) -> int: ...
    @property
    def index(self) -> int: ...
    @property
    def tx_hash(self) -> bytes: ...
    @property
    def sender(self) -> bytes: ...
    @property
    def action(self) -> dict[str, Any]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def code(self) -> str: ...
    @property
    def events(self) -> list[Event]: ...


class StoryStep(msgspec.Struct, frozen=True):
    height: Height
    tx_hash: Hash
    action: str
    """The action's tag (loans.create, loans.repay, ...)."""
    ok: bool
    code: str
    """The refusal's code (empty for a success)."""
    sender: Address
    amount: Amount = 0
    interest: Amount = 0
    principal: Amount = 0
    outstanding: Amount = 0
    """What was owed after the step (recomputed)."""
    status: str = ""
    """The loan's status after the step."""


class LoanStory(msgspec.Struct, frozen=True):
    loan_id: str
    lender: Address
    borrower: Address
    token: str
    principal: Amount
    rate_bps: int
    period_blocks: int
    due_heights: list[Height]
    collateral: str
    height: Height
    """Of the disbursement."""
    status: str
    """After the last step (at the record's proven height, when a proof was given)."""
    outstanding: Amount
    collateral_state: str
    steps: list[StoryStep]
    proven_height: Height | None
    """The height of the loan's proven record that closed the story (None: none given)."""


def get_attributes(facts: ReceiptFacts, kind: str) -> dict[str, str]:
    for event in facts.events:
        if event.module == "loans" and event.kind == kind:
            return dict(event.attributes)
    raise StoryError(
        f"the receipt of tx {facts.tx_hash.hex()} at height {facts.height} has no loans.{kind} "
        "event"
    )


def verify_figure(facts: ReceiptFacts, attributes: dict[str, str], name: str, value: Any) -> None:
    if attributes.get(name) != str(value):
        raise StoryError(
            f"the receipt of tx {facts.tx_hash.hex()} at height {facts.height} says {name} "
            f"{attributes.get(name)!r}; the terms and the steps before it give {value}: a "
            "receipt before it is missing, or it is not of this loan"
        )


def find_creation(receipts: Sequence[ReceiptFacts]) -> tuple[ReceiptFacts, str]:
    created = [r for r in receipts if r.ok and any(
        e.module == "loans" and e.kind == "created" for e in r.events)]  # fmt: skip
    ids = sorted({get_attributes(r, "created")["loan_id"] for r in created})
    if not created:
        raise StoryError(
            "no receipt creates a loan: give the receipt of its loans.create, or of its "
            "loans.accept and of the loans.offer it accepted"
        )
    if len(created) > 1:
        raise StoryError(f"the receipts create {len(created)} loans ({', '.join(ids)}); one story "
                         "is one loan")
    return created[0], ids[0]


def compute_opening(
    receipts: Sequence[ReceiptFacts], creation: ReceiptFacts, loan_id: str
) -> LoanRecord:
    """The loan as its creation disbursed it, its terms from the signed action (or offer)."""
    tag = creation.action.get("type")
    offer_tx_hash = b""
    if tag == "loans.create":
        agreed = from_json_value(creation.action, Create)
        lender, borrower, terms = agreed.lender, agreed.borrower, get_terms(agreed)
    else:
        offers = [r for r in receipts
                  if r.ok and r.action.get("type") == "loans.offer" and r.height < creation.height]
        if not offers:
            raise StoryError(
                f"loan {loan_id!r} was created by accepting an offer: give the receipt of that "
                "loans.offer too (it holds the terms)"
            )
        offered = from_json_value(offers[0].action, Offer)
        lender, borrower, terms = offers[0].sender, offered.borrower, get_terms(offered)
        offer_tx_hash = offers[0].tx_hash
    attributes = get_attributes(creation, "created")
    for name, value in (("lender", lender.hex()), ("borrower", borrower.hex()),
                        ("token", terms.token), ("principal", terms.principal)):
        verify_figure(creation, attributes, name, value)
    return compute_new_loan(
        lender, borrower, terms, creation.height, 0, creation.tx_hash, offer_tx_hash
    )


def compute_step(record: LoanRecord, facts: ReceiptFacts, loan_id: str) -> tuple[LoanRecord,
                                                                                   StoryStep]:
    """The record after one successful step, checked against what its receipt says."""
    tag = str(facts.action.get("type"))
    height = facts.height
    if record.status is not LoanStatus.ACTIVE and tag != "loans.claim_collateral":
        raise StoryError(f"tx {facts.tx_hash.hex()} succeeded on loan {loan_id!r} after it was "
                         f"{STATUS_NAMES[record.status]}: it cannot be of this loan")
    if tag == "loans.claim_collateral":
        if record.status is not LoanStatus.DEFAULTED:
            raise StoryError(f"tx {facts.tx_hash.hex()} claims the collateral of a loan not in "
                             "default: a receipt of its default is missing")
        record = msgspec.structs.replace(
            record, collateral_state=CollateralState.CLAIMED, entries=record.entries + 1
        )
        get_attributes(facts, "collateral_claimed")
        return record, StoryStep(height, facts.tx_hash, tag, True, "", facts.sender,
                                 status=STATUS_NAMES[record.status],
                                 outstanding=record.principal_outstanding + record.interest_owed)
    standing = compute_standing(record, height)
    if tag == "loans.declare_default":
        if standing.default_height is None or height < standing.default_height:
            raise StoryError(f"tx {facts.tx_hash.hex()} declares a default at height {height}, "
                             f"before the schedule allows it ({standing.default_height})")
        attributes = get_attributes(facts, "defaulted")
        verify_figure(facts, attributes, "outstanding", standing.owed)
        record = compute_defaulted(record, standing, height)
        return record, StoryStep(height, facts.tx_hash, tag, True, "", facts.sender,
                                 0, standing.interest, standing.principal, standing.owed,
                                 "defaulted")
    repaid = tag != "loans.forgive"
    amount = facts.action.get("amount")
    if tag == "loans.repay_in_full" or amount is None:
        amount = standing.owed
    record, to_interest, to_principal = compute_settled(
        record, standing, int(amount), repaid, height
    )
    attributes = get_attributes(facts, "repayment" if repaid else "forgiveness")
    outstanding = record.principal_outstanding + record.interest_owed
    status = STATUS_NAMES[record.status]
    for name, value in (("amount", amount), ("interest", to_interest),
                        ("principal", to_principal), ("outstanding", outstanding),
                        ("status", status)):
        verify_figure(facts, attributes, name, value)
    return record, StoryStep(height, facts.tx_hash, tag, True, "", facts.sender, int(amount),
                             to_interest, to_principal, outstanding, status)


def verify_story(
    receipts: Sequence[ReceiptFacts],
    proven_record: dict[str, Any] | None = None,
    proven_height: Height | None = None,
) -> LoanStory:
    """The story the receipts tell, every figure recomputed; StoryError naming the first
    inconsistency. `proven_record` is the verified answer of a loans.loan state proof (JSON
    form) of the state after `proven_height`."""
    creation, loan_id = find_creation(receipts)
    seen: set[bytes] = set()
    for facts in receipts:
        if facts.tx_hash in seen:
            raise StoryError(f"the receipt of tx {facts.tx_hash.hex()} is given twice")
        seen.add(facts.tx_hash)
        if facts.action.get("loan_id") != loan_id:
            raise StoryError(f"the receipt of tx {facts.tx_hash.hex()} is of loan "
                             f"{facts.action.get('loan_id')!r}, not {loan_id!r}")
    record = compute_opening(receipts, creation, loan_id)
    for facts in receipts:
        before = (facts.height, facts.index) < (creation.height, creation.index)
        if before and not (facts.ok and facts.action.get("type") == "loans.offer"):
            raise StoryError(f"tx {facts.tx_hash.hex()} at height {facts.height} comes before "
                             f"loan {loan_id!r} was created, and is not its offer")
    steps = [StoryStep(creation.height, creation.tx_hash, str(creation.action.get("type")),
                       True, "", creation.sender, record.terms.principal, 0, 0,
                       record.terms.principal, "active")]
    later = sorted((r for r in receipts if (r.height, r.index) > (creation.height,
                                                                   creation.index)),
                   key=lambda r: (r.height, r.index))
    for facts in later:
        tag = str(facts.action.get("type"))
        if tag not in STEP_ACTIONS:
            raise StoryError(f"tx {facts.tx_hash.hex()} ({tag}) at height {facts.height} is not "
                             "a step of a loan after its creation")
        if not facts.ok:
            steps.append(StoryStep(facts.height, facts.tx_hash, tag, False, facts.code,
                                   facts.sender))
            continue
        record, step = compute_step(record, facts, loan_id)
        steps.append(step)
    last = steps[-1].height
    if proven_record is not None:
        assert proven_height is not None
        verify_proven_record(record, loan_id, proven_record, proven_height, last)
        last = proven_height
    standing = compute_standing(record, max(last, record.accrued_height))
    return LoanStory(
        loan_id=loan_id,
        lender=record.lender,
        borrower=record.borrower,
        token=record.terms.token,
        principal=record.terms.principal,
        rate_bps=record.terms.rate_bps,
        period_blocks=record.terms.period_blocks,
        due_heights=compute_due_heights(record.terms, record.height),
        collateral=describe_collateral(record.terms.collateral),
        height=record.height,
        status=standing.status,
        outstanding=standing.owed,
        collateral_state=COLLATERAL_STATE_NAMES[record.collateral_state],
        steps=steps,
        proven_height=proven_height if proven_record is not None else None,
    )


def verify_proven_record(
    record: LoanRecord, loan_id: str, proven: dict[str, Any], height: Height, last: Height
) -> None:
    if proven.get("loan_id") != loan_id:
        raise StoryError(f"the proven record is of loan {proven.get('loan_id')!r}, not "
                         f"{loan_id!r}")
    if height < last:
        raise StoryError(f"the proven record is of height {height}, before the last receipt "
                         f"({last}): prove it again now")
    if proven.get("entries") != record.entries:
        raise StoryError(
            f"the chain's record of loan {loan_id!r} after block {height} has "
            f"{proven.get('entries')} history entries; the receipts give {record.entries}: a "
            "receipt is missing (chainbook loans receipts fetches them all)"
        )
    standing = compute_standing(record, max(height, record.accrued_height))
    now = proven.get("now") or {}
    if (now.get("status"), now.get("outstanding")) != (standing.status, standing.owed):
        raise StoryError(
            f"the chain's record says {now.get('status')} owing {now.get('outstanding')} after "
            f"block {height}; the receipts give {standing.status} owing {standing.owed}"
        )


__all__ = ["LoanStory", "ReceiptFacts", "StoryError", "StoryStep", "verify_story"]
