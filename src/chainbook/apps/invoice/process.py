"""Invoice state transitions: an invoice comes into existence with its payment.

Rules kept:
- **No invoice without its payment; no payment claims a missing invoice.** `invoice.pay` is
  the only way an invoice is recorded, and it records it in the same action that moves its
  total from the buyer (the transaction's sender, who signed it) to the seller's `pay_to`
  through apps/tokens.py. If the payment is refused (funds, a frozen account, an unknown
  token) the action is refused with all its writes; if the invoice is refused, nothing is
  paid. A paid invoice's record names its paying transaction: its own.
- **Authorised by the seller**: the offer (the invoice's draft, actions.py) names the seller
  institution and one of its keys, which either signed the offer's sign bytes (offer.py;
  every node checks the signature) or co-signs this very transaction (`ctx.signers`, the
  multi-signer transaction of docs/PROTOCOL.md). That key must belong, then, to that
  institution, registered in governance, active and holding the role "taxpayer"
  (apps/institutions.py). The buyer is the sender: the offer may name it, or leave it empty
  for whoever pays first; never one of the seller's keys, nor the account it pays.
- **Issuing unpaid**: an offer is the seller's invoice issued and not yet paid. It lives off
  chain (the seller hands it over as a file, a QR code, an e-mail) until it is paid, at most
  at `valid_until_height`; the chain holds no unpaid invoice, so every invoice it holds has
  its payment, and a tax authority's list holds exactly what was paid.
- **Voided before payment**: a key of the seller voids a number (`invoice.void`); the record
  of the void (who, when, why) keeps any offer of that number from ever being paid. A paid
  number cannot be voided (the refusal names the payment; a refund is a payment back), and a
  number is used once: paid or voided, never both, never twice.
- **Reimbursed once**: the claimant (an employer, an insurer) sends `invoice.reimburse` and
  the buyer co-signs it (so nobody claims someone else's invoice to block its real claim); the
  claimant may pay the buyer back up to the total in the same transaction. A second claim is
  refused and names the first: who, at which height, in which transaction.
- Lists by seller, buyer and the whole chain, and running sums per seller and token, are
  appended by each payment (voids: the seller's list and the chain's), in height order
  (lists.py), so the queries answer any height range in a bounded number of reads.
- Every refusal raises before any write (the ledger also discards a refused action's writes);
  the checks are checks.py's.
- Events: `invoice.paid` (invoice, seller, number, buyer, pay_to, token, amount, tax, total,
  authorisation), `invoice.voided` (invoice, seller, signer), `invoice.reimbursed` (invoice,
  seller, buyer, claimant, amount).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps import tokens
from chainbook.apps.base import KVStore, TxContext, TxView
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.apps.invoice import limits
from chainbook.apps.invoice.actions import Offer, Pay, Reimburse, Void
from chainbook.apps.invoice.checks import (
    GOVERNANCE,
    TAXPAYER_ROLE,
    compute_utf8_bytes,
    verify_buyer,
    verify_not_expired,
    verify_number,
    verify_number_free,
    verify_offer_form,
    verify_paid,
    verify_parties,
    verify_seller_authorised,
    verify_taxpayer,
    verify_token,
)
from chainbook.apps.invoice.errors import (
    InvalidAmount,
    InvalidParty,
    InvalidReason,
    ListFull,
    NotCosigned,
)
from chainbook.apps.invoice.lists import process_append, verify_room
from chainbook.apps.invoice.offer import Amounts, compute_invoice_id, compute_lines_hash
from chainbook.apps.invoice.state import (
    CHAIN_COUNT_KEY,
    MODULE_NAME,
    Authorisation,
    InvoiceRecord,
    ListEntry,
    Status,
    SumEntry,
    buyer_at_key,
    buyer_count_key,
    chain_at_key,
    get_sum_entry,
    record_key,
    seller_at_key,
    seller_count_key,
    sum_at_key,
    sums_count_key,
)
from chainbook.crypto import address_from_public_key
from chainbook.ledger.receipts import Event
from chainbook.types import Address

# --- the lists a record joins -----------------------------------------------------------------


class Rooms(msgspec.Struct, frozen=True):
    """The lengths of the lists an invoice is appended to (checked to have room)."""

    seller: int
    chain: int
    buyer: int = 0
    sums: int = 0
    sum_entry: SumEntry | None = None
    """The new running-sum entry (paid invoices only)."""


def verify_rooms_for_void(view: TxView, seller: str) -> Rooms:
    seller_count = verify_room(
        view, seller_count_key(seller), limits.party_entries_max, f"seller {seller!r}'s list"
    )
    chain = verify_room(view, CHAIN_COUNT_KEY, limits.chain_entries_max, "the chain's list")
    return Rooms(seller_count, chain)


def verify_rooms_for_payment(
    view: TxView, ctx: TxContext, offer: Offer, invoice_id: str, amounts: Amounts
) -> Rooms:
    rooms = verify_rooms_for_void(view, offer.seller)
    buyer = verify_room(
        view, buyer_count_key(ctx.sender), limits.party_entries_max,
        f"buyer {ctx.sender.hex()}'s list",
    )
    what = f"seller {offer.seller!r}'s sums in token {offer.token!r}"
    count_key = sums_count_key(offer.seller, offer.token)
    sums = verify_room(view, count_key, limits.party_entries_max, what)
    amount, tax = amounts.amount, amounts.tax
    if sums:
        last = get_sum_entry(view, sum_at_key(offer.seller, offer.token, sums - 1))
        amount, tax = last.amount + amount, last.tax + tax
    if amount + tax > limits.amount_max:
        raise ListFull(
            f"{what} would pass {limits.amount_max} (amount {amount} + tax {tax}): its next "
            "invoice in that token is refused (a running sum stays a MessagePack integer)"
        )
    entry = SumEntry(invoice_id, ctx.height, amount, tax)
    return msgspec.structs.replace(rooms, buyer=buyer, sums=sums, sum_entry=entry)


def process_lists(
    view: KVStore, ctx: TxContext, record: InvoiceRecord, invoice_id: str, rooms: Rooms
) -> None:
    entry = codec.encode(ListEntry(invoice_id, ctx.height))
    seller = record.seller
    process_append(
        view, seller_count_key(seller), seller_at_key(seller, rooms.seller), rooms.seller, entry
    )
    process_append(view, CHAIN_COUNT_KEY, chain_at_key(rooms.chain), rooms.chain, entry)
    if rooms.sum_entry is None:
        return
    buyer = record.buyer
    process_append(
        view, buyer_count_key(buyer), buyer_at_key(buyer, rooms.buyer), rooms.buyer, entry
    )
    process_append(
        view,
        sums_count_key(seller, record.token),
        sum_at_key(seller, record.token, rooms.sums),
        rooms.sums,
        codec.encode(rooms.sum_entry),
    )


# --- the actions ------------------------------------------------------------------------------


def process_pay(view: TxView, ctx: TxContext, action: Pay) -> list[Event]:
    offer = action.offer
    amounts = verify_offer_form(offer, action.signature)
    verify_not_expired(ctx, offer)
    verify_buyer(ctx, offer)
    authorisation = verify_seller_authorised(ctx, offer, action.signature)
    institution = verify_taxpayer(
        view, ctx, offer.seller, InstitutionRequest(public_key=offer.seller_key,
                                                    role=TAXPAYER_ROLE),
        f"the offer's seller key {offer.seller_key.hex()}",
    )
    verify_parties(ctx, offer, institution)
    verify_token(view, ctx, offer.token)
    invoice_id = compute_invoice_id(offer.seller, offer.number)
    verify_number_free(view, invoice_id)
    rooms = verify_rooms_for_payment(view, ctx, offer, invoice_id, amounts)
    tokens.transfer(view, ctx, ctx.sender, offer.pay_to, offer.token, amounts.total)
    record = InvoiceRecord(
        status=Status.PAID,
        seller=offer.seller,
        number=offer.number,
        signer=address_from_public_key(offer.seller_key),
        authorisation=authorisation,
        buyer=ctx.sender,
        pay_to=offer.pay_to,
        token=offer.token,
        lines=len(offer.lines),
        lines_hash=compute_lines_hash(offer.lines),
        amount=amounts.amount,
        tax=amounts.tax,
        total=amounts.total,
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        reason="",
        claimant=b"",
        claimant_institution="",
        reimbursed_amount=0,
        reimbursed_height=0,
        reimbursed_tx=b"",
    )
    view.set(record_key(invoice_id), codec.encode(record))
    process_lists(view, ctx, record, invoice_id, rooms)
    attributes = [
        ("invoice", invoice_id),
        ("seller", offer.seller),
        ("number", offer.number),
        ("buyer", ctx.sender.hex()),
        ("pay_to", offer.pay_to.hex()),
        ("token", offer.token),
        ("amount", str(amounts.amount)),
        ("tax", str(amounts.tax)),
        ("total", str(amounts.total)),
        ("authorisation", "signed_offer" if authorisation is Authorisation.OFFER else "cosigned"),
    ]
    return [Event(MODULE_NAME, "paid", attributes)]


def process_void(view: TxView, ctx: TxContext, action: Void) -> list[Event]:
    verify_number(action.number)
    size = compute_utf8_bytes(action.reason)
    if size > limits.reason_bytes_max:
        raise InvalidReason(
            f"reason is {size} bytes of UTF-8; at most {limits.reason_bytes_max} accepted"
        )
    institution = verify_taxpayer(
        view, ctx, "", InstitutionRequest(address=ctx.sender, role=TAXPAYER_ROLE),
        f"the sender {ctx.sender.hex()}",
    )
    invoice_id = compute_invoice_id(institution.id, action.number)
    verify_number_free(view, invoice_id)
    rooms = verify_rooms_for_void(view, institution.id)
    record = InvoiceRecord(
        status=Status.VOIDED,
        seller=institution.id,
        number=action.number,
        signer=ctx.sender,
        authorisation=Authorisation.NONE,
        buyer=b"",
        pay_to=b"",
        token="",
        lines=0,
        lines_hash=b"",
        amount=0,
        tax=0,
        total=0,
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        reason=action.reason,
        claimant=b"",
        claimant_institution="",
        reimbursed_amount=0,
        reimbursed_height=0,
        reimbursed_tx=b"",
    )
    view.set(record_key(invoice_id), codec.encode(record))
    process_lists(view, ctx, record, invoice_id, rooms)
    attributes = [
        ("invoice", invoice_id),
        ("seller", institution.id),
        ("signer", ctx.sender.hex()),
    ]
    return [Event(MODULE_NAME, "voided", attributes)]


def get_institution_of(view: TxView, ctx: TxContext, address: Address) -> str:
    """The id of the active institution `address` is a key of, else ""."""
    answer: InstitutionAnswer = view.call(
        GOVERNANCE, "institution", ctx, InstitutionRequest(address=address)
    )
    return answer.institution.id if answer.authorised and answer.institution else ""


def process_reimburse(view: TxView, ctx: TxContext, action: Reimburse) -> list[Event]:
    record = verify_paid(view, action.invoice)
    if ctx.sender == record.buyer:
        raise InvalidParty(
            f"the sender {ctx.sender.hex()} is the invoice's buyer: the claimant is who pays the "
            "buyer back (an employer, an insurer), with the buyer co-signing"
        )
    if record.buyer not in ctx.signers:
        raise NotCosigned(
            f"the buyer {record.buyer.hex()} of invoice {action.invoice} does not co-sign the "
            "claim: an invoice is claimed only with its buyer's consent"
        )
    if action.amount > record.total:
        raise InvalidAmount(
            f"a reimbursement of {action.amount} is more than the invoice's total "
            f"{record.total}; accepted 0 to {record.total}"
        )
    if action.amount:
        tokens.transfer(view, ctx, ctx.sender, record.buyer, record.token, action.amount)
    updated = msgspec.structs.replace(
        record,
        status=Status.REIMBURSED,
        claimant=ctx.sender,
        claimant_institution=get_institution_of(view, ctx, ctx.sender),
        reimbursed_amount=action.amount,
        reimbursed_height=ctx.height,
        reimbursed_tx=ctx.tx_hash,
    )
    view.set(record_key(action.invoice), codec.encode(updated))
    attributes = [
        ("invoice", action.invoice),
        ("seller", record.seller),
        ("buyer", record.buyer.hex()),
        ("claimant", ctx.sender.hex()),
        ("amount", str(action.amount)),
    ]
    return [Event(MODULE_NAME, "reimbursed", attributes)]


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The invoice module's entry point: dispatch on the action type."""
    match action:
        case Pay():
            return process_pay(view, ctx, action)
        case Void():
            return process_void(view, ctx, action)
        case Reimburse():
            return process_reimburse(view, ctx, action)
    raise AssertionError(f"invoice received a foreign action {type(action).__name__}")


__all__ = [
    "Rooms",
    "process",
    "process_lists",
    "process_pay",
    "process_reimburse",
    "process_void",
    "verify_rooms_for_payment",
    "verify_rooms_for_void",
]
