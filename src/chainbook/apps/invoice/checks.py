"""The invoice module's checks: `verify_*` functions that each refuse one thing, with the
value and what is accepted, and change nothing (process.py calls them before any write).

The checks of an action alone (its number, lines, amounts, the lengths of its addresses and
signature, the offer's signature or the seller's co-signature) come first; then the checks
against the state: the seller's registration (through governance's `institution` export,
apps/institutions.py), the parties, the token (apps/tokens.py) and the number's history.

A co-signature is the seller key's *account* among the transaction's signers (`ctx.signers`):
the ledger has checked that the keys speak for that account under its policy
(apps/account_policy.py), so a seller whose account rotated its key co-signs with its new
one, while the registry (which names the key) is what a signed offer is checked against.
"""

from __future__ import annotations

from chainbook.apps import tokens
from chainbook.apps.base import TxContext, TxView
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest, InstitutionView
from chainbook.apps.invoice import limits
from chainbook.apps.invoice.actions import Line, Offer
from chainbook.apps.invoice.errors import (
    AlreadyPaid,
    AlreadyReimbursed,
    BadSignature,
    InvalidAmount,
    InvalidLines,
    InvalidNumber,
    InvalidParty,
    NotATaxpayer,
    NotCosigned,
    OfferExpired,
    UnknownInvoice,
    UnknownToken,
    Voided,
    WrongBuyer,
)
from chainbook.apps.invoice.offer import (
    Amounts,
    compute_amounts,
    compute_invoice_id,
    is_offer_signed,
)
from chainbook.apps.invoice.state import (
    Authorisation,
    InvoiceRecord,
    Status,
    describe_claim,
    describe_record,
    get_record,
    is_number,
    is_seller_id,
    is_token_id,
    parse_invoice_id,
)
from chainbook.crypto import ADDRESS_BYTES, SIGNATURE_BYTES, address_from_public_key

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


__all__ = [
    "GOVERNANCE",
    "TAXPAYER_ROLE",
    "compute_utf8_bytes",
    "describe_holder",
    "verify_amounts",
    "verify_buyer",
    "verify_lines",
    "verify_not_expired",
    "verify_number",
    "verify_number_free",
    "verify_offer_form",
    "verify_paid",
    "verify_parties",
    "verify_seller_authorised",
    "verify_seller_id",
    "verify_taxpayer",
    "verify_token",
    "verify_token_form",
]
