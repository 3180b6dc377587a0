"""What holds of the loans module's records at every commit (asserted; a violation stops the
node, apps/base.py InvariantFn).

Of every loan changed in the block:
- the figures are never negative and add up: principal outstanding + repaid + forgiven is the
  principal; unpaid interest never exceeds the principal outstanding (in duplum); the carry
  is less than one unit;
- its terms, parties and disbursement never change; a closed loan (repaid, forgiven, in
  default) stays closed, and repaid or forgiven means nothing is owed, in default that
  something is;
- the collateral is in exactly one place: escrowed while the loan is active or in default and
  not claimed, back with the borrower once repaid or forgiven, with the lender once claimed;
  a loan without collateral has none anywhere;
- its history only grows, within its bound.
Of every offer changed: its terms never change; accepted or withdrawn stays so.
Across records: what the module holds of each token (escrow/<token>) is never negative and
changes by exactly the change of what the changed offers and loans hold in escrow, and an
asset is marked pledged (escrow_asset/<id>) exactly while its loan holds it. (That those
totals are the module account's real balances, and that lending leaves every token's supply
unchanged, is checked against the bank and the assets module by the property tests:
tests/apps/loans.)
"""

from __future__ import annotations

from collections import defaultdict

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.apps.loans import limits
from chainbook.apps.loans.accrual import compute_denominator
from chainbook.apps.loans.actions import TokenCollateral
from chainbook.apps.loans.state import (
    ESCROW_ASSET_PREFIX,
    ESCROW_PREFIX,
    LOAN_PREFIX,
    OFFER_PREFIX,
    CollateralState,
    LoanRecord,
    LoanStatus,
    OfferRecord,
    OfferStatus,
    compute_escrowed_amount,
    compute_escrowed_asset,
    escrow_asset_key,
    get_uint,
)

ESCROWED_STATES = {
    LoanStatus.ACTIVE: {CollateralState.ESCROWED},
    LoanStatus.REPAID: {CollateralState.RELEASED},
    LoanStatus.FORGIVEN: {CollateralState.RELEASED},
    LoanStatus.DEFAULTED: {CollateralState.ESCROWED, CollateralState.CLAIMED},
}
"""Where the collateral of a loan with collateral may be, by status."""


def assert_loan(loan_id: str, record: LoanRecord, old: LoanRecord | None) -> None:
    terms = record.terms
    assert record.principal_outstanding >= 0 and record.interest_owed >= 0, (loan_id, record)
    assert min(record.principal_repaid, record.interest_repaid) >= 0, (loan_id, record)
    assert min(record.principal_forgiven, record.interest_forgiven) >= 0, (loan_id, record)
    assert (
        record.principal_outstanding + record.principal_repaid + record.principal_forgiven
        == terms.principal
    ), (loan_id, record)
    assert record.interest_owed <= record.principal_outstanding, (loan_id, "in duplum")
    assert 0 <= record.interest_carry < compute_denominator(terms.period_blocks), loan_id
    if record.status in (LoanStatus.REPAID, LoanStatus.FORGIVEN):
        assert record.principal_outstanding == record.interest_owed == 0, (loan_id, record)
    else:
        assert record.principal_outstanding > 0, (loan_id, record)
    assert (record.status is LoanStatus.ACTIVE) == (record.closed_height == 0), loan_id
    if terms.collateral is None:
        assert record.collateral_state is CollateralState.NONE, (loan_id, record)
    else:
        assert record.collateral_state in ESCROWED_STATES[record.status], (loan_id, record)
    assert 0 <= record.partial_entries <= limits.payments_per_loan_max, (loan_id, record)
    assert record.partial_entries <= record.entries <= record.partial_entries + 2, loan_id
    if old is None:
        return
    assert (old.lender, old.borrower, old.terms, old.height, old.tx_hash) == (
        record.lender, record.borrower, record.terms, record.height, record.tx_hash,
    ), (loan_id, "a loan's terms changed")  # fmt: skip
    if old.status is not LoanStatus.ACTIVE:
        assert record.status is old.status, (loan_id, "a closed loan reopened")
    assert old.entries <= record.entries, (loan_id, "history shrank")
    assert old.principal_repaid <= record.principal_repaid, loan_id
    assert old.interest_repaid <= record.interest_repaid, loan_id
    assert old.accrued_height <= record.accrued_height, loan_id


def assert_offer(loan_id: str, record: OfferRecord, old: OfferRecord | None) -> None:
    assert record.expires_height > record.height, (loan_id, record)
    assert (record.status is OfferStatus.OPEN) == (record.closed_height == 0), (loan_id, record)
    if old is not None:
        assert (old.lender, old.borrower, old.terms, old.height) == (
            record.lender, record.borrower, record.terms, record.height,
        ), (loan_id, "an offer's terms changed")  # fmt: skip
        if old.status is not OfferStatus.OPEN:
            assert record == old, (loan_id, "a closed offer changed")


def get_pledge(view: KVReader, asset: str) -> str | None:
    raw = view.get(escrow_asset_key(asset))
    return None if raw is None else codec.decode(raw, str)


def compute_tokens(record: LoanRecord | OfferRecord) -> set[str]:
    """The tokens a record may hold in escrow."""
    found = {record.terms.token} if isinstance(record, OfferRecord) else set()
    if isinstance(record.terms.collateral, TokenCollateral):
        found.add(record.terms.collateral.token)
    return found


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    held_delta: dict[str, int] = defaultdict(int)
    holders: dict[str, set[str]] = defaultdict(set)
    """Asset -> the changed loans holding it in escrow after the block."""
    released: set[str] = set()
    """Assets a changed loan held before the block and does not after."""
    for key in changed_keys:
        if key.startswith(LOAN_PREFIX):
            loan_id = key[len(LOAN_PREFIX) :].decode()
            raw, old_raw = after.get(key), before.get(key)
            assert raw is not None, f"loan {loan_id!r} deleted"
            record = codec.decode(raw, LoanRecord)
            old = None if old_raw is None else codec.decode(old_raw, LoanRecord)
            assert_loan(loan_id, record, old)
            for token in compute_tokens(record):
                held_delta[token] += compute_escrowed_amount(record, token)
                if old is not None:
                    held_delta[token] -= compute_escrowed_amount(old, token)
            asset = compute_escrowed_asset(record)
            asset_before = None if old is None else compute_escrowed_asset(old)
            if asset is not None:
                holders[asset].add(loan_id)
            elif asset_before is not None:
                released.add(asset_before)
        elif key.startswith(OFFER_PREFIX):
            loan_id = key[len(OFFER_PREFIX) :].decode()
            raw, old_raw = after.get(key), before.get(key)
            assert raw is not None, f"offer {loan_id!r} deleted"
            offer = codec.decode(raw, OfferRecord)
            old_offer = None if old_raw is None else codec.decode(old_raw, OfferRecord)
            assert_offer(loan_id, offer, old_offer)
            for token in compute_tokens(offer):
                held_delta[token] += compute_escrowed_amount(offer, token)
                if old_offer is not None:
                    held_delta[token] -= compute_escrowed_amount(old_offer, token)
    for key in changed_keys:
        if key.startswith(ESCROW_PREFIX):
            held_delta.setdefault(key[len(ESCROW_PREFIX) :].decode(), 0)
    for token, delta in held_delta.items():
        key = ESCROW_PREFIX + token.encode()
        assert get_uint(after, key) >= 0, (token, "escrow total negative", get_uint(after, key))
        total_delta = get_uint(after, key) - get_uint(before, key)
        assert total_delta == delta, (token, "escrow total", total_delta, "records", delta)
    for asset, loans in holders.items():
        assert len(loans) == 1, (asset, "pledged to several loans", sorted(loans))
        assert get_pledge(after, asset) == next(iter(loans)), (asset, sorted(loans))
    for asset in released - set(holders):
        assert get_pledge(after, asset) is None, (asset, "released but still marked pledged")
    for key in changed_keys:
        if key.startswith(ESCROW_ASSET_PREFIX):
            asset = key[len(ESCROW_ASSET_PREFIX) :].decode()
            assert asset in holders or asset in released, (asset, "marker changed alone")

__all__ = ["assert_invariants", "assert_loan", "assert_offer"]
