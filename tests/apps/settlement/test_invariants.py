"""The commit invariants (process.assert_invariants) hold on real blocks and bite on states
that break them: escrow or an open count that its records do not explain, a record deleted,
reopened, or whose terms changed."""

from __future__ import annotations

import hashlib

import msgspec
import pytest

from chainbook import codec
from chainbook.apps.base import encode_int
from chainbook.apps.settlement import MakeLock, MakeOffer
from chainbook.apps.settlement.process import assert_invariants
from chainbook.apps.settlement.state import (
    OfferRecord,
    OfferStatus,
    escrow_key,
    lock_key,
    offer_key,
    open_offers_key,
)
from tests.apps.settlement.helpers import make_ledger, run
from tests.support import ALICE, BOB

PREFIX = b"settlement/"


def module_keys() -> dict[bytes, bytes]:
    """The settlement keys after Alice made an offer (id 1) and a lock (id 1)."""
    state = make_ledger()
    run(state, ALICE, MakeOffer("CNYT", 40, "HKDT", 44, 9))
    run(state, ALICE, MakeLock(BOB.address, "CNYT", 5, hashlib.sha256(b"s").digest(), 9))
    return {k[len(PREFIX):]: v for k, v in state.kv.items() if k.startswith(PREFIX)}


def check(before: dict[bytes, bytes], after: dict[bytes, bytes]) -> None:
    changed = [k for k in before.keys() | after.keys() if before.get(k) != after.get(k)]
    assert_invariants(before, after, changed)  # type: ignore[arg-type]


def offer(keys: dict[bytes, bytes]) -> OfferRecord:
    return codec.decode(keys[offer_key(1)], OfferRecord)


def test_the_state_of_real_blocks_passes_and_a_fresh_start_too() -> None:
    keys = module_keys()
    check({}, keys)
    check(keys, dict(keys))


def test_escrow_that_the_records_do_not_explain_is_caught() -> None:
    before = module_keys()
    after = {**before, escrow_key("CNYT"): encode_int(46)}
    with pytest.raises(AssertionError, match="escrow/CNYT"):
        check(before, after)
    after = {k: v for k, v in before.items() if k != escrow_key("CNYT")}
    with pytest.raises(AssertionError, match="escrow/CNYT"):
        check(before, after)


def test_a_closed_offer_whose_escrow_stays_is_caught() -> None:
    before = module_keys()
    closed = msgspec.structs.replace(offer(before), status=OfferStatus.CANCELLED)
    after = {**before, offer_key(1): codec.encode(closed),
             open_offers_key(ALICE.address): encode_int(0)}
    with pytest.raises(AssertionError):
        check(before, after)


def test_an_open_count_the_records_do_not_explain_is_caught() -> None:
    before = module_keys()
    after = {**before, open_offers_key(ALICE.address): encode_int(2)}
    with pytest.raises(AssertionError, match="open_offers"):
        check(before, after)


def test_a_record_deleted_reopened_or_changed_is_caught() -> None:
    before = module_keys()
    with pytest.raises(AssertionError, match="lock 1 deleted"):
        check(before, {k: v for k, v in before.items() if k != lock_key(1)})
    with pytest.raises(AssertionError, match="want_amount changed"):
        changed = msgspec.structs.replace(offer(before), want_amount=1)
        check(before, {**before, offer_key(1): codec.encode(changed)})
    closed = msgspec.structs.replace(offer(before), status=OfferStatus.ACCEPTED)
    reopened = msgspec.structs.replace(closed, status=OfferStatus.OPEN)
    with pytest.raises(AssertionError, match="changed after it closed"):
        check({**before, offer_key(1): codec.encode(closed)},
              {**before, offer_key(1): codec.encode(reopened)})
