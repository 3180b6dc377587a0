"""An offer: what the seller signs, and the amounts it adds up to.

    offer sign bytes = "chainbook/invoice-offer/v1" 0x00 || MessagePack([chain_id, offer])
    offer            = [seller, number, seller_key, buyer, pay_to, token,
                        [[description, quantity, unit_price, tax_rate_bps], ...],
                        valid_until_height]                      (actions.py, canonical form)
    lines hash       = SHA-256("chainbook/invoice-lines/v1" 0x00 || MessagePack(lines))

    line amount = quantity x unit_price
    line tax    = floor((line amount x tax_rate_bps + 5,000) / 10,000)    half up, base units
    amount      = sum of the line amounts       tax = sum of the line taxes
    total       = amount + tax                  what the buyer pays and the seller receives

Rules kept:
- The domain tag keeps an offer signature from passing as a transaction, a vote or any other
  signed message of chainbook (each has its own tag); the chain id inside keeps it from being
  replayed on another chain; everything the invoice states is inside, so a relay (the buyer's
  wallet, a payment app) can change nothing without breaking the signature. One offer pays
  once: its invoice id "<seller>/<number>" is recorded by its payment (process.py).
- Tax is rounded per line, half up, to the token's base unit (as a VAT invoice rounds each
  line to the fen); the invoice's tax is the sum of its lines'. Rounding decides only what the
  total is: the buyer pays exactly `total` and the seller receives exactly `total`, so no
  unit is created or lost by it.
- Only the lines' hash is kept in the state; the lines themselves are in the paying
  transaction, whose receipt proves them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import msgspec

from chainbook import codec
from chainbook.apps.invoice.actions import Line, Offer
from chainbook.crypto import PrivateKey, verify_signature
from chainbook.types import Amount, Hash, Signature

OFFER_TAG = b"chainbook/invoice-offer/v1\x00"
LINES_TAG = b"chainbook/invoice-lines/v1\x00"
BPS_DENOMINATOR = 10_000


class Amounts(msgspec.Struct, frozen=True):
    amount: Amount
    """Before tax: the sum of the lines' quantity x unit_price."""
    tax: Amount
    total: Amount
    """amount + tax."""


def compute_offer_sign_bytes(chain_id: str, offer: Offer) -> bytes:
    return OFFER_TAG + codec.encode([chain_id, offer])


def sign_offer(key: PrivateKey, chain_id: str, offer: Offer) -> Signature:
    """The seller's signature of an offer (a seller's till does this; here for tools and
    tests). `offer.seller_key` must be `key`'s public key for the chain to accept it."""
    return key.sign(compute_offer_sign_bytes(chain_id, offer))


def is_offer_signed(chain_id: str, offer: Offer, signature: Signature) -> bool:
    """True when `signature` is `offer.seller_key`'s over the offer's sign bytes."""
    return verify_signature(offer.seller_key, compute_offer_sign_bytes(chain_id, offer), signature)


def compute_line_tax(amount: Amount, tax_rate_bps: int) -> Amount:
    """The tax of one line, rounded half up to the base unit."""
    return (amount * tax_rate_bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR


def compute_amounts(lines: Sequence[Line]) -> Amounts:
    """The invoice's amount, tax and total (Python integers: no overflow here; the caller
    checks the total against limits.amount_max)."""
    amount = tax = 0
    for line in lines:
        line_amount = line.quantity * line.unit_price
        amount += line_amount
        tax += compute_line_tax(line_amount, line.tax_rate_bps)
    return Amounts(amount, tax, amount + tax)


def compute_lines_hash(lines: Sequence[Line]) -> Hash:
    return hashlib.sha256(LINES_TAG + codec.encode(list(lines))).digest()


def compute_invoice_id(seller: str, number: str) -> str:
    return f"{seller}/{number}"


__all__ = [
    "BPS_DENOMINATOR",
    "LINES_TAG",
    "OFFER_TAG",
    "Amounts",
    "compute_amounts",
    "compute_invoice_id",
    "compute_line_tax",
    "compute_lines_hash",
    "compute_offer_sign_bytes",
    "is_offer_signed",
    "sign_offer",
]
