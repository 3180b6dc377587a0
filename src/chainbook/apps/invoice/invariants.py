"""What holds of the invoice module's state at every commit (asserted; a violation stops the
node).

- A record is never deleted. It changes only from paid to reimbursed, once, and keeps
  everything its payment recorded.
- Every paid invoice has exactly its payment: total == amount + tax, 1 <= total <=
  amount_max, a buyer, a receiving account, its paying transaction's hash (its own), at least
  one line and their hash; a reimbursement pays back at most its total. A void holds no
  buyer, no payment, no amounts.
- Every list grows only by appending, one entry per position, in height order, each entry
  naming a record that agrees with it (the seller's list holds the seller's records, the
  buyer's the buyer's, a seller's sums in a token only its paid invoices in that token).
- Totals equal the sum of invoices: each running-sum entry is the previous one plus its own
  invoice's amount and tax, so the sums of any period are those of its invoices.
- Each new record joins exactly its lists in the same block: a payment the seller's, the
  buyer's, the chain's and the seller's sums in its token; a void the seller's and the
  chain's.

That the payment itself moved the total from the buyer to `pay_to` spans the bank's or the
assets module's keys, which this check does not see: the property tests compare every balance
with a model (tests/apps/invoice/test_properties.py).
"""

from __future__ import annotations

from collections import Counter

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.apps.invoice import limits
from chainbook.apps.invoice.state import (
    BUYER_AT_PREFIX,
    BUYER_COUNT_PREFIX,
    CHAIN_AT_PREFIX,
    CHAIN_COUNT_KEY,
    RECORD_PREFIX,
    SELLER_AT_PREFIX,
    SELLER_COUNT_PREFIX,
    SUM_AT_PREFIX,
    SUMS_COUNT_PREFIX,
    InvoiceRecord,
    ListEntry,
    Status,
    SumEntry,
    get_uint,
    parse_invoice_id,
)
from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES

LIST_PREFIXES = {
    SELLER_AT_PREFIX: "seller",
    BUYER_AT_PREFIX: "buyer",
    CHAIN_AT_PREFIX: "chain",
    SUM_AT_PREFIX: "sums",
}
COUNT_PREFIXES = (SELLER_COUNT_PREFIX, BUYER_COUNT_PREFIX, SUMS_COUNT_PREFIX)


def _record(view: KVReader, invoice_id: str) -> InvoiceRecord | None:
    raw = view.get(RECORD_PREFIX + invoice_id.encode())
    return None if raw is None else codec.decode(raw, InvoiceRecord)


def assert_paid(invoice_id: str, record: InvoiceRecord) -> None:
    assert record.total == record.amount + record.tax, (invoice_id, record)
    assert 1 <= record.total <= limits.amount_max, (invoice_id, record.total)
    assert len(record.buyer) == ADDRESS_BYTES and len(record.pay_to) == ADDRESS_BYTES, invoice_id
    assert record.buyer != record.pay_to, (invoice_id, "paid to its buyer")
    assert len(record.tx_hash) == HASH_BYTES and len(record.lines_hash) == HASH_BYTES, invoice_id
    assert 1 <= record.lines <= limits.lines_max, (invoice_id, record.lines)
    assert record.height >= 1, (invoice_id, "an invoice is paid in a block")
    reimbursed = record.status is Status.REIMBURSED
    assert reimbursed == bool(record.claimant), (invoice_id, record)
    assert record.reimbursed_amount <= record.total, (invoice_id, record)
    if reimbursed:
        assert record.reimbursed_height >= record.height, (invoice_id, record)
        assert record.claimant != record.buyer, (invoice_id, "claimed by its buyer")


def assert_void(invoice_id: str, record: InvoiceRecord) -> None:
    assert not record.buyer and not record.pay_to and not record.lines, (invoice_id, record)
    assert record.amount == record.tax == record.total == 0, (invoice_id, record)
    assert not record.claimant and not record.reimbursed_amount, (invoice_id, record)


def assert_record(
    invoice_id: str, record: InvoiceRecord, before: InvoiceRecord | None
) -> None:
    parsed = parse_invoice_id(invoice_id)
    assert parsed == (record.seller, record.number), (invoice_id, record.seller, record.number)
    if record.status is Status.VOIDED:
        assert_void(invoice_id, record)
    else:
        assert_paid(invoice_id, record)
    if before is None:
        return  # paid in this block (and perhaps reimbursed in it too)
    assert before.status is Status.PAID and record.status is Status.REIMBURSED, (
        invoice_id, before.status, record.status,
    )
    paid = ("seller", "number", "signer", "authorisation", "buyer", "pay_to", "token", "lines",
            "lines_hash", "amount", "tax", "total", "height", "time_ms", "tx_hash")
    for name in paid:
        assert getattr(before, name) == getattr(record, name), (invoice_id, name)


def assert_entry(
    after: KVReader, kind: str, key: bytes, raw: bytes
) -> tuple[str, InvoiceRecord]:
    """An appended list entry names a record that agrees with it; returns (id, record)."""
    entry: SumEntry | ListEntry = (
        codec.decode(raw, SumEntry) if kind == "sums" else codec.decode(raw, ListEntry)
    )
    record = _record(after, entry.invoice)
    assert record is not None, (key, "lists an invoice without a record")
    assert entry.height == record.height, (key, entry.height, record.height)
    rest = key.split(b"/", 1)[1]
    if kind == "seller":
        assert rest[:-9] == record.seller.encode(), (key, record.seller)
    elif kind == "buyer":
        assert rest[:-8] == record.buyer and record.status is not Status.VOIDED, key
    elif kind == "sums":
        assert rest[:-9] == f"{record.seller}/{record.token}".encode(), key
        assert record.status is not Status.VOIDED, (key, "a void in the sums")
    return entry.invoice, record


def _position(key: bytes) -> int:
    return int.from_bytes(key[-8:], "big")


def _count_key(kind: str, key: bytes) -> bytes:
    """The counter of the list whose entry `key` is."""
    rest = key.split(b"/", 1)[1]
    if kind == "chain":
        return CHAIN_COUNT_KEY
    if kind == "buyer":
        return BUYER_COUNT_PREFIX + rest[:-8]
    prefix = SELLER_COUNT_PREFIX if kind == "seller" else SUMS_COUNT_PREFIX
    return prefix + rest[:-9]


def assert_appended(before: KVReader, after: KVReader, kind: str, key: bytes) -> None:
    """The entry is new, at a position the list's counter now covers and did not before, and
    follows its previous entry in height (and, for sums, adds its invoice to it)."""
    assert before.get(key) is None, (key, "a list entry was rewritten")
    raw = after.get(key)
    assert raw is not None, (key, "a list entry was deleted")
    n = _position(key)
    count_key = _count_key(kind, key)
    assert get_uint(before, count_key) <= n < get_uint(after, count_key), (key, n)
    invoice_id, record = assert_entry(after, kind, key, raw)
    if n == 0:
        previous_height, previous_amount, previous_tax = 0, 0, 0
    else:
        previous = after.get(key[:-8] + (n - 1).to_bytes(8, "big"))
        assert previous is not None, (key, "a gap in a list")
        if kind == "sums":
            sums = codec.decode(previous, SumEntry)
            previous_height, previous_amount, previous_tax = sums.height, sums.amount, sums.tax
        else:
            previous_height = codec.decode(previous, ListEntry).height
            previous_amount = previous_tax = 0
    assert previous_height <= record.height, (key, "a list out of height order")
    if kind == "sums":
        entry = codec.decode(raw, SumEntry)
        assert entry.amount == previous_amount + record.amount, (key, invoice_id)
        assert entry.tax == previous_tax + record.tax, (key, invoice_id)


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    new_records: Counter[str] = Counter()
    appended: Counter[str] = Counter()
    appended_to: Counter[bytes] = Counter()
    counters: list[bytes] = []
    for key in changed_keys:
        if key.startswith(RECORD_PREFIX):
            raw = after.get(key)
            assert raw is not None, f"invoice record {key!r} deleted"
            invoice_id = key[len(RECORD_PREFIX):].decode()
            old = _record(before, invoice_id)
            record = codec.decode(raw, InvoiceRecord)
            assert_record(invoice_id, record, old)
            if old is None:
                new_records["voided" if record.status is Status.VOIDED else "paid"] += 1
            continue
        for prefix, kind in LIST_PREFIXES.items():
            if key.startswith(prefix):
                assert_appended(before, after, kind, key)
                appended[kind] += 1
                appended_to[_count_key(kind, key)] += 1
                break
        else:
            if key == CHAIN_COUNT_KEY or key.startswith(COUNT_PREFIXES):
                counters.append(key)
    for key in counters:
        grown = get_uint(after, key) - get_uint(before, key)
        assert grown == appended_to[key], (key, grown, appended_to[key])
    assert set(appended_to) <= set(counters), (sorted(appended_to), sorted(counters))
    paid, voided = new_records["paid"], new_records["voided"]
    assert appended["seller"] == appended["chain"] == paid + voided, (appended, new_records)
    assert appended["buyer"] == appended["sums"] == paid, (appended, new_records)


__all__ = ["assert_invariants"]
