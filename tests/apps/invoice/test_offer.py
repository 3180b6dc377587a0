"""What a seller signs and what an invoice adds up to: docs/PROTOCOL.md's worked example of a
signed offer, rebuilt with plain MessagePack, SHA-256 and libsodium (what a till in another
language does); the sign bytes bound to the chain and to offers alone; the tax rounding
rule."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import msgspec
import nacl.signing
import pytest

from chainbook.apps.invoice import (
    Line,
    Offer,
    compute_amounts,
    compute_line_tax,
    compute_lines_hash,
    compute_offer_sign_bytes,
    is_offer_signed,
    sign_offer,
)
from chainbook.chain.tx import signing_message
from chainbook.crypto import PrivateKey

DOC = Path(__file__).resolve().parents[3] / "docs" / "PROTOCOL.md"
SEED = bytes(range(32))
SELLER = PrivateKey(SEED)
BUYER = PrivateKey(bytes(range(1, 33))).address
TILL = PrivateKey(bytes(range(2, 34))).address
EXAMPLE = Offer("sz-shop", "2025-000123", SELLER.public_key, BUYER, TILL, "",
                [Line("tea", 2, 1500, 1300)], 1000)


def in_doc(hex_text: str) -> None:
    assert hex_text in DOC.read_text(), f"{hex_text} is not in docs/PROTOCOL.md"


def test_the_worked_example_matches_the_doc() -> None:
    plain = msgspec.msgpack.encode([
        "chainbook-local",
        ["sz-shop", "2025-000123", SELLER.public_key, BUYER, TILL, "",
         [["tea", 2, 1500, 1300]], 1000],
    ])
    assert len(plain) == 133
    sign_bytes = b"chainbook/invoice-offer/v1\x00" + plain
    assert compute_offer_sign_bytes("chainbook-local", EXAMPLE) == sign_bytes
    signature = nacl.signing.SigningKey(SEED).sign(sign_bytes).signature
    assert sign_offer(SELLER, "chainbook-local", EXAMPLE) == signature
    in_doc(signature.hex()[:64])
    in_doc(signature.hex()[64:])
    in_doc(BUYER.hex())
    in_doc(TILL.hex())
    lines_hash = hashlib.sha256(
        b"chainbook/invoice-lines/v1\x00" + msgspec.msgpack.encode([["tea", 2, 1500, 1300]])
    ).hexdigest()
    assert compute_lines_hash(EXAMPLE.lines).hex() == lines_hash
    in_doc(lines_hash)
    assert compute_amounts(EXAMPLE.lines) == compute_amounts([Line("x", 1, 3000, 1300)])
    assert (compute_amounts(EXAMPLE.lines).tax, compute_amounts(EXAMPLE.lines).total) == (
        390, 3390)


def test_the_doc_lists_the_offer_fields_in_order() -> None:
    text = DOC.read_text()
    start = text.index("Offer            = [")
    body = text[start: text.index("offer sign bytes", start)]
    names = re.findall(r"([a-z_]+): ", body)
    assert names == [*Offer.__struct_fields__[:7], *Line.__struct_fields__,
                     Offer.__struct_fields__[7]]
    assert Offer.__struct_fields__[6] == "lines"


def test_a_signature_holds_for_one_chain_one_offer_and_offers_only() -> None:
    signature = sign_offer(SELLER, "chainbook-local", EXAMPLE)
    assert is_offer_signed("chainbook-local", EXAMPLE, signature)
    assert not is_offer_signed("another-chain", EXAMPLE, signature)
    for changed in (
        msgspec.structs.replace(EXAMPLE, pay_to=BUYER),
        msgspec.structs.replace(EXAMPLE, number="2025-000124"),
        msgspec.structs.replace(EXAMPLE, lines=[Line("tea", 3, 1500, 1300)]),
        msgspec.structs.replace(EXAMPLE, valid_until_height=1001),
        msgspec.structs.replace(EXAMPLE, buyer=b""),
    ):
        assert not is_offer_signed("chainbook-local", changed, signature)
    # The same key signing a transaction body with the same bytes signs something else.
    body = compute_offer_sign_bytes("chainbook-local", EXAMPLE)
    assert not is_offer_signed("chainbook-local", EXAMPLE, SELLER.sign(signing_message(body)))


@pytest.mark.parametrize(
    ("amount", "rate_bps", "tax"),
    [(100, 1300, 13), (1, 1300, 0), (4, 1250, 1), (3, 1666, 0), (5_000, 1, 1), (4_999, 1, 0),
     (1, 5000, 1), (1, 4999, 0), (10**9, 10_000, 10**9), (7, 0, 0)],
)
def test_a_lines_tax_is_rounded_half_up_to_the_base_unit(amount: int, rate_bps: int,
                                                         tax: int) -> None:
    assert compute_line_tax(amount, rate_bps) == tax


def test_the_invoice_tax_is_the_sum_of_its_rounded_lines() -> None:
    """Two lines of 1 at 50 %: each rounds up to 1, so the invoice's tax is 2 (not
    round(1 x 50 % x 2) = 1): what a VAT invoice prints line by line."""
    amounts = compute_amounts([Line("a", 1, 1, 5000), Line("b", 1, 1, 5000)])
    assert (amounts.amount, amounts.tax, amounts.total) == (2, 2, 4)
