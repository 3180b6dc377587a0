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
- Every refusal raises before any write (the ledger also discards a refused action's writes).
- Events: `invoice.paid` (invoice, seller, number, buyer, pay_to, token, amount, tax, total,
  authorisation), `invoice.voided` (invoice, seller, signer), `invoice.reimbursed` (invoice,
  seller, buyer, claimant, amount).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps import tokens
from chainbook.apps.base import KVStore, TxContext, TxView
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest, InstitutionView
from chainbook.apps.invoice import limits
from chainbook.apps.invoice.actions import Line, Offer, Pay, Reimburse, Void
from chainbook.apps.invoice.errors import (
    AlreadyPaid,
    AlreadyReimbursed,
    BadSignature,
    InvalidAmount,
    InvalidLines,
    InvalidNumber,
    InvalidParty,
    InvalidReason,
    ListFull,
    NotATaxpayer,
    NotCosigned,
    OfferExpired,
    UnknownInvoice,
    UnknownToken,
    Voided,
    WrongBuyer,
)
from chainbook.apps.invoice.lists import process_append, verify_room
from chainbook.apps.invoice.offer import (
    Amounts,
    compute_amounts,
    compute_invoice_id,
    compute_lines_hash,
    is_offer_signed,
)
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
    describe_claim,
    describe_record,
    get_record,
    get_sum_entry,
    is_number,
    is_seller_id,
    is_token_id,
    parse_invoice_id,
    record_key,
    seller_at_key,
    seller_count_key,
    sum_at_key,
    sums_count_key,
)
from chainbook.crypto import ADDRESS_BYTES, SIGNATURE_BYTES, address_from_public_key
from chainbook.ledger.receipts import Event
from chainbook.types import Address

TAXPAYER_ROLE = "taxpayer"
GOVERNANCE = "governance"


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


# --- checks of the action alone ---------------------------------------------------------------


def verify_number(number: str) -> None:
    if not is_number(number):
        raise InvalidNumber(
            f"invoice number {number!r}: accepted 1 to {limits.number_chars_max} characters of "
            "A-Z a-z 0-9 . _ -"
        )


def verify_seller_id(seller: str) -> None:
    if not is_seller_id(seller):
        raise InvalidNumber(
            f"seller {seller!r} is not an institution id (a-z 0-9 . _ -, starting with a letter "
            "or digit, at most 64 characters)"
        )


def verify_lines(lines: list[Line]) -> None:
    if not 1 <= len(lines) <= limits.lines_max:
        raise InvalidLines(f"{len(lines)} lines; accepted 1 to {limits.lines_max}")
    for i, line in enumerate(lines):
        size = compute_utf8_bytes(line.description)
        if not 1 <= size <= limits.description_bytes_max:
            raise InvalidLines(
                f"line {i}: description is {size} bytes of UTF-8; accepted 1 to "
                f"{limits.description_bytes_max}"
            )
        if not 1 <= line.quantity <= limits.quantity_max:
            raise InvalidLines(
                f"line {i}: quantity {line.quantity}; accepted 1 to {limits.quantity_max}"
            )
        if line.tax_rate_bps > limits.tax_rate_bps_max:
            raise InvalidLines(
                f"line {i}: tax rate {line.tax_rate_bps} basis points; accepted 0 to "
                f"{limits.tax_rate_bps_max} (100 %)"
            )


def verify_amounts(lines: list[Line]) -> Amounts:
    amounts = compute_amounts(lines)
    if not 1 <= amounts.total <= limits.amount_max:
        raise InvalidAmount(
            f"the invoice's total (amount {amounts.amount} + tax {amounts.tax}) is "
            f"{amounts.total}; accepted 1 to {limits.amount_max}"
        )
    return amounts


def verify_token_form(token: str) -> None:
    if not is_token_id(token):
        raise UnknownToken(
            f"token {token!r} is no token id: \"\" (the native coin) or an assets symbol "
            "(2 to 12 of A-Z 0-9, starting with a letter)"
        )


def verify_offer_form(offer: Offer, signature: bytes) -> Amounts:
    verify_seller_id(offer.seller)
    verify_number(offer.number)
    if len(offer.buyer) not in (0, ADDRESS_BYTES):
        raise InvalidParty(
            f"the offer's buyer is {len(offer.buyer)} bytes; accepted {ADDRESS_BYTES} (an "
            "address) or 0 (whoever pays it)"
        )
    if len(signature) not in (0, SIGNATURE_BYTES):
        raise BadSignature(
            f"the offer's signature is {len(signature)} bytes; accepted {SIGNATURE_BYTES} "
            "(Ed25519) or 0 (the seller's key co-signs the transaction)"
        )
    verify_token_form(offer.token)
    verify_lines(offer.lines)
    return verify_amounts(offer.lines)


def verify_not_expired(ctx: TxContext, offer: Offer) -> None:
    if ctx.height > offer.valid_until_height:
        raise OfferExpired(
            f"the offer of invoice {compute_invoice_id(offer.seller, offer.number)} was valid "
            f"until height {offer.valid_until_height}; this is height {ctx.height}"
        )


def verify_buyer(ctx: TxContext, offer: Offer) -> None:
    if offer.buyer and offer.buyer != ctx.sender:
        raise WrongBuyer(
            f"the offer is made to buyer {offer.buyer.hex()}; the sender {ctx.sender.hex()} "
            "cannot pay it"
        )


def verify_seller_authorised(ctx: TxContext, offer: Offer, signature: bytes) -> Authorisation:
    """The seller's key signed the offer, or co-signs this transaction."""
    if signature:
        if not is_offer_signed(ctx.chain_id, offer, signature):
            raise BadSignature(
                f"the signature is not seller key {offer.seller_key.hex()}'s over this offer's "
                f"sign bytes on chain {ctx.chain_id!r} (chainbook.apps.invoice.sign_offer)"
            )
        return Authorisation.OFFER
    seller_account = address_from_public_key(offer.seller_key)
    if seller_account not in ctx.signers:
        raise NotCosigned(
            f"the offer carries no signature and the seller's key {offer.seller_key.hex()} "
            f"(account {seller_account.hex()}) does not co-sign the transaction (its signers: "
            f"{', '.join(s.hex() for s in ctx.signers)}); sign the offer or co-sign"
        )
    return Authorisation.COSIGNED


# --- checks against the state -----------------------------------------------------------------


def describe_holder(answer: InstitutionAnswer) -> str:
    institution = answer.institution
    if institution is None:
        return "a key of no institution"
    if institution.status != "active":
        return f"a key of institution {institution.id!r}, {institution.status}"
    return f"a key of institution {institution.id!r} (roles: {', '.join(institution.roles)})"


def verify_taxpayer(
    view: TxView, ctx: TxContext, seller: str, request: InstitutionRequest, who: str
) -> InstitutionView:
    """The key is an active taxpayer institution's; `seller` "" accepts any such one."""
    answer: InstitutionAnswer = view.call(GOVERNANCE, "institution", ctx, request)
    institution = answer.institution
    if not answer.authorised or institution is None or (seller and institution.id != seller):
        wanted = f"of {seller!r}" if seller else "of an institution"
        raise NotATaxpayer(
            f"{who} is {describe_holder(answer)}; only a key {wanted}, registered in "
            f"governance, active and holding the role {TAXPAYER_ROLE!r}, issues its invoices"
        )
    return institution


def verify_parties(ctx: TxContext, offer: Offer, institution: InstitutionView) -> None:
    if ctx.sender in institution.addresses:
        raise InvalidParty(
            f"the buyer {ctx.sender.hex()} is a key of the seller {institution.id!r}: a seller "
            "does not invoice itself"
        )
    if offer.pay_to == ctx.sender:
        raise InvalidParty(
            f"the offer pays {offer.pay_to.hex()}, the buyer itself: a payment to oneself is "
            "no sale"
        )


def verify_token(view: TxView, ctx: TxContext, token: str) -> None:
    if not tokens.token_info(view, ctx, token).found:
        raise UnknownToken(f"token {token!r} was never created (assets.create_token)")


def verify_number_free(view: TxView, invoice_id: str) -> None:
    existing = get_record(view, invoice_id)
    if existing is None:
        return
    if existing.status is Status.VOIDED:
        raise Voided(f"{describe_record(invoice_id, existing)}; a voided number is never paid")
    raise AlreadyPaid(
        f"{describe_record(invoice_id, existing)}; an invoice number is paid once"
    )


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


def verify_paid(view: TxView, invoice_id: str) -> InvoiceRecord:
    if parse_invoice_id(invoice_id) is None:
        raise InvalidNumber(
            f"invoice id {invoice_id!r}: accepted \"<seller>/<number>\" (an institution id, "
            f"then 1 to {limits.number_chars_max} of A-Z a-z 0-9 . _ -)"
        )
    record = get_record(view, invoice_id)
    if record is None:
        raise UnknownInvoice(f"no invoice {invoice_id!r} was paid on this chain")
    if record.status is Status.VOIDED:
        raise Voided(f"{describe_record(invoice_id, record)}; a void is no invoice to claim")
    if record.status is Status.REIMBURSED:
        raise AlreadyReimbursed(
            f"{describe_claim(invoice_id, record)}; an invoice is reimbursed once"
        )
    return record


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
    "TAXPAYER_ROLE",
    "Rooms",
    "process",
    "process_pay",
    "process_reimburse",
    "process_void",
    "verify_amounts",
    "verify_lines",
    "verify_number",
    "verify_offer_form",
    "verify_seller_authorised",
]
