"""The royalty rules one by one, on a ledger: who registers, payments split to every holder
in the paying transaction (native coin and an issued token), references paid once, split
changes co-signed by every holder whose share falls (and refused without), prices set by
the rights manager only; every refusal names the value and changes nothing but the nonce
(run_refused); every limit at its edge."""

from __future__ import annotations

import pytest

from chainbook.apps.assets import Freeze
from chainbook.apps.royalty import ChangeSplit, Pay, Price, SetPrices, Share, limits
from chainbook.ledger.state import LedgerState
from tests.apps.royalty.helpers import (
    AUTHOR,
    BANK,
    COURT,
    FUNDS,
    LABEL,
    LABEL2,
    LISTENER,
    OTHER_LABEL,
    PRICES,
    PRODUCER,
    SINGER,
    SONG,
    SPLIT,
    STRANGER,
    TOKEN,
    balance,
    make_ledger,
    refused,
    run,
    song,
    with_song,
)
from tests.support import ask

NEW_SPLIT = [Share(AUTHOR.address, 4_000), Share(PRODUCER.address, 3_000),
             Share(SINGER.address, 3_000)]
"""The author sells 10 % to the singer: only the author's share falls."""


def attributes(receipt: object, kind: str) -> list[dict[str, str]]:
    return [dict(e.attributes) for e in receipt.events if e.kind == kind]  # type: ignore[attr-defined]


# --- registration ---------------------------------------------------------------------------


def test_a_label_registers_a_song_with_its_split_and_prices() -> None:
    state = make_ledger()
    receipt = run(state, LABEL, song())
    [event] = receipt.events
    assert (event.module, event.kind) == ("royalty", "registered")
    assert [v for k, v in event.attributes if k == "holder"] == [
        AUTHOR.address.hex(), PRODUCER.address.hex(), SINGER.address.hex()]
    assert dict(event.attributes)["institution"] == "sunrise-records"
    info = ask(state, "royalty", "work", work=SONG)
    assert info.found and info.institution == "sunrise-records"
    assert info.registrant == LABEL.address and info.version == 0 and info.payees == 3
    assert [(s.holder, s.share) for s in info.split] == [(s.holder, s.share) for s in SPLIT]
    assert [(p.use, p.price) for p in info.prices] == [("download", 100), ("licence", 50_000)]
    assert ask(state, "royalty", "catalogue", institution="sunrise-records").works == [SONG]
    held = ask(state, "royalty", "works_of", holder=SINGER.address)
    assert [(w.work, w.share, w.received) for w in held.works] == [(SONG, 2_000, 0)]
    assert not ask(state, "royalty", "work", work="nope").found


def test_only_an_active_rights_manager_registers() -> None:
    state = make_ledger()
    error = refused(state, STRANGER, song(), "royalty.not_a_rights_manager")
    assert STRANGER.address.hex() in error and "no registered institution" in error
    error = refused(state, COURT, song(), "royalty.not_a_rights_manager")
    assert "court-1" in error and "not rights_manager" in error
    run(state, LABEL2, song())  # any key of the institution
    assert ask(state, "royalty", "work", work=SONG).registrant == LABEL2.address


def test_a_work_id_is_registered_once() -> None:
    state = with_song()
    error = refused(state, OTHER_LABEL, song(), "royalty.work_exists")
    assert "institution 'sunrise-records'" in error and "height 1" in error
    refused(state, LABEL, song(work="bad id"), "royalty.invalid_work_id")
    run(state, LABEL, song(work="x" * limits.work_id_chars_max))
    refused(state, LABEL, song(work="x" * (limits.work_id_chars_max + 1)),
            "royalty.invalid_work_id")


def test_registration_checks_the_tables_the_title_and_the_token() -> None:
    state = make_ledger()
    refused(state, LABEL, song(split=[Share(AUTHOR.address, 9_999)]), "royalty.invalid_split")
    holders = [Share(bytes([i + 1]) * 20, 625) for i in range(limits.holders_per_work_max)]
    run(state, LABEL, song(work="full", split=holders))
    more = [Share(bytes([i + 1]) * 20, 1) for i in range(limits.holders_per_work_max + 1)]
    refused(state, LABEL, song(work="over", split=more), "royalty.invalid_split")
    refused(state, LABEL, song(prices=[]), "royalty.invalid_prices")
    refused(state, LABEL, song(prices=[Price("download", 0)]), "royalty.invalid_prices")
    error = refused(state, LABEL, song(token="NOPE"), "royalty.unknown_token")
    assert "'NOPE'" in error
    refused(state, LABEL, song(token="nope"), "royalty.unknown_token")
    from chainbook.apps.royalty import Register

    def titled(title: str) -> Register:
        return Register("titled", title, b"\x01" * 32, SPLIT, PRICES)

    refused(state, LABEL, titled(""), "royalty.invalid_text")
    refused(state, LABEL, titled("t" * (limits.title_bytes_max + 1)), "royalty.invalid_text")
    run(state, LABEL, titled("t" * limits.title_bytes_max))
    run(state, LABEL, song(work="in-token", token=TOKEN))


def test_the_catalogue_and_the_works_of_a_holder_are_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = make_ledger()
    monkeypatch.setattr(limits, "catalogue_works_max", 2)
    monkeypatch.setattr(limits, "holder_works_max", 2)
    run(state, LABEL, song(work="one"))
    run(state, LABEL, song(work="two"))
    error = refused(state, LABEL, song(work="three", split=[Share(STRANGER.address, 10_000)]),
                    "royalty.limit_reached")
    assert "sunrise-records" in error and "2 works" in error
    error = refused(state, OTHER_LABEL, song(work="three"), "royalty.limit_reached")
    assert AUTHOR.address.hex() in error
    run(state, OTHER_LABEL, song(work="three", split=[Share(STRANGER.address, 10_000)]))
    change = ChangeSplit("three", 0, [Share(STRANGER.address, 5_000),
                                      Share(AUTHOR.address, 5_000)])
    refused(state, STRANGER, change, "royalty.limit_reached")  # the author holds two already


# --- payments -------------------------------------------------------------------------------


def test_a_payment_is_split_to_every_holder_in_the_same_transaction() -> None:
    state = with_song()
    receipt = run(state, LISTENER, Pay(SONG, "download", 3, 300))
    assert attributes(receipt, "paid") == [
        {"work": SONG, "payment": "0", "payer": LISTENER.address.hex(), "token": ""}]
    assert [(a["holder"], a["amount"]) for a in attributes(receipt, "received")] == [
        (AUTHOR.address.hex(), "150"), (PRODUCER.address.hex(), "90"),
        (SINGER.address.hex(), "60")]
    assert (balance(state, AUTHOR), balance(state, PRODUCER), balance(state, SINGER)) == (
        150, 90, 60)
    assert balance(state, LISTENER) == FUNDS - 300
    info = ask(state, "royalty", "work", work=SONG)
    assert (info.payments, info.uses, info.paid) == (1, 3, 300)
    [payment] = ask(state, "royalty", "payments", work=SONG).payments
    assert (payment.payer, payment.use, payment.uses, payment.amount, payment.version) == (
        LISTENER.address, "download", 3, 300, 0)
    payees = ask(state, "royalty", "payees", work=SONG).payees
    assert [(p.holder, p.received, p.share) for p in payees] == [
        (AUTHOR.address, 150, 5_000), (PRODUCER.address, 90, 3_000), (SINGER.address, 60, 2_000)]


def test_the_worked_rounding_on_a_ledger() -> None:
    """7 units split 50/30/20 are 3.5/2.1/1.4: floors 3/2/1, the unit left to the 0.5."""
    state = with_song(prices=[Price("stream", 7)])
    receipt = run(state, LISTENER, Pay(SONG, "stream", 1, 7))
    assert [a["amount"] for a in attributes(receipt, "received")] == ["4", "2", "1"]
    run(state, LISTENER, Pay(SONG, "stream", 3, 21))  # 10.5/6.3/4.2: 11/6/4
    assert (balance(state, AUTHOR), balance(state, PRODUCER), balance(state, SINGER)) == (
        15, 8, 5)
    payees = ask(state, "royalty", "payees", work=SONG).payees
    assert [p.received for p in payees] == [15, 8, 5]
    assert balance(state, LISTENER) == FUNDS - 28


def test_a_part_of_zero_is_logged_without_a_transfer() -> None:
    state = make_ledger()
    run(state, LABEL, song(split=[Share(AUTHOR.address, 9_999), Share(SINGER.address, 1)]))
    receipt = run(state, LISTENER, Pay(SONG, "download", 1, 100))
    assert [a["amount"] for a in attributes(receipt, "received")] == ["100", "0"]
    assert balance(state, SINGER) == 0 and balance(state, AUTHOR) == 100
    statement = ask(state, "royalty", "holder_statement", holder=SINGER.address)
    assert (statement.payments, statement.uses, statement.amount) == (1, 1, 0)


def test_a_payment_in_an_issued_token_moves_that_token() -> None:
    state = with_song(token=TOKEN)
    run(state, LISTENER, Pay(SONG, "licence", 1, 50_000, "LIC-2025-001"))
    assert [balance(state, k, TOKEN) for k in (AUTHOR, PRODUCER, SINGER)] == [
        25_000, 15_000, 10_000]
    assert balance(state, LISTENER, TOKEN) == FUNDS - 50_000
    assert balance(state, AUTHOR) == 0 and balance(state, LISTENER) == FUNDS
    tokens = ask(state, "royalty", "holder_tokens", holder=AUTHOR.address).tokens
    assert [(t.token, t.payments, t.amount) for t in tokens] == [(TOKEN, 1, 25_000)]


def test_a_frozen_holder_stops_the_whole_payment() -> None:
    state = with_song(token=TOKEN)
    run(state, BANK, Freeze(TOKEN, SINGER.address))
    error = refused(state, LISTENER, Pay(SONG, "download", 1, 100), "assets.account_frozen")
    assert SINGER.address.hex() in error


def test_a_payer_without_the_funds_is_refused_whole() -> None:
    state = with_song()
    error = refused(state, AUTHOR, Pay(SONG, "download", 1, 100), "bank.unknown_account")
    assert AUTHOR.address.hex() in error
    run(state, LISTENER, Pay(SONG, "download", 2, 200))
    # A holder pays for its own song: its own part is a transfer to itself, checked like any
    # other (it must hold it), so 3 downloads (150 of them its own) are more than its 100.
    refused(state, AUTHOR, Pay(SONG, "download", 3, 300), "bank.insufficient_funds")
    run(state, AUTHOR, Pay(SONG, "download", 1, 100))
    assert balance(state, AUTHOR) == 100 - 100 + 50


def test_the_amount_must_be_price_times_uses() -> None:
    state = with_song()
    error = refused(state, LISTENER, Pay(SONG, "download", 3, 200), "royalty.amount_mismatch")
    assert "amount 200" in error and "price 100" in error and "is 300" in error
    error = refused(state, LISTENER, Pay(SONG, "stream", 1, 1), "royalty.unknown_use")
    assert "'stream'" in error and "download, licence" in error
    refused(state, LISTENER, Pay(SONG, "download", 0, 0), "royalty.invalid_uses")
    refused(state, LISTENER, Pay(SONG, "download", limits.uses_max + 1, 100 * (
        limits.uses_max + 1)), "royalty.invalid_uses")
    refused(state, LISTENER, Pay("nope", "download", 1, 100), "royalty.unknown_work")
    refused(state, LISTENER, Pay("bad id", "download", 1, 100), "royalty.unknown_work")


def test_uses_and_amounts_at_their_edges() -> None:
    state = with_song(prices=[Price("stream", 1), Price("sync", 2**63)])
    run(state, LISTENER, Pay(SONG, "stream", limits.uses_max, limits.uses_max))
    error = refused(state, LISTENER, Pay(SONG, "sync", 2, 0), "royalty.amount_mismatch")
    assert "over the largest payment" in error


def test_a_reference_is_paid_once_per_work() -> None:
    state = with_song()
    run(state, LISTENER, Pay(SONG, "licence", 1, 50_000, "LIC-7"))
    error = refused(state, STRANGER, Pay(SONG, "licence", 1, 50_000, "LIC-7"),
                    "royalty.reference_used")
    assert "'LIC-7'" in error and "payment 0" in error
    found = ask(state, "royalty", "reference", work=SONG, reference="LIC-7")
    assert found.found and found.payment.payer == LISTENER.address
    assert not ask(state, "royalty", "reference", work=SONG, reference="LIC-8").found
    run(state, LABEL, song(work="other"))
    run(state, LISTENER, Pay("other", "licence", 1, 50_000, "LIC-7"))  # another work
    run(state, LISTENER, Pay(SONG, "licence", 1, 50_000, "r" * limits.reference_bytes_max))
    refused(state, LISTENER, Pay(SONG, "licence", 1, 50_000, "r" * (
        limits.reference_bytes_max + 1)), "royalty.invalid_text")


def test_the_logs_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    state = with_song()
    run(state, LABEL, song(work="other", split=[Share(AUTHOR.address, 10_000)]))
    monkeypatch.setattr(limits, "log_entries_max", 2)
    run(state, LISTENER, Pay(SONG, "download", 1, 100))
    run(state, LISTENER, Pay(SONG, "download", 1, 100))
    error = refused(state, LISTENER, Pay(SONG, "download", 1, 100), "royalty.limit_reached")
    assert "the work has 2 payments" in error
    error = refused(state, LISTENER, Pay("other", "download", 1, 100), "royalty.limit_reached")
    assert AUTHOR.address.hex() in error  # the author's own log in the native coin is full


# --- split changes --------------------------------------------------------------------------


def test_a_split_change_needs_the_falling_holder_s_signature() -> None:
    state = with_song()
    change = ChangeSplit(SONG, 0, NEW_SPLIT)
    error = refused(state, SINGER, change, "royalty.signature_missing")
    assert AUTHOR.address.hex() in error and "5000 -> 4000" in error
    assert PRODUCER.address.hex() not in error and SINGER.address.hex() not in error
    receipt = run(state, [SINGER, AUTHOR], change)  # the singer sends, the author co-signs
    [event] = attributes(receipt, "split_changed")
    assert event["version"] == "1" and event["signed_by"] == AUTHOR.address.hex()
    info = ask(state, "royalty", "work", work=SONG)
    assert info.version == 1 and [s.share for s in info.split] == [4_000, 3_000, 3_000]
    history = ask(state, "royalty", "split_history", work=SONG)
    assert [s.signed_by for s in history.splits] == [[], [AUTHOR.address]]
    assert history.splits[1].sender == SINGER.address
    run(state, LISTENER, Pay(SONG, "download", 1, 100))
    assert (balance(state, AUTHOR), balance(state, SINGER)) == (40, 30)
    assert ask(state, "royalty", "payments", work=SONG).payments[0].version == 1


def test_the_falling_holder_may_send_it_alone_and_nobody_else_signs() -> None:
    state = with_song()
    run(state, AUTHOR, ChangeSplit(SONG, 0, NEW_SPLIT))
    assert ask(state, "royalty", "work", work=SONG).version == 1


def test_every_falling_holder_signs_a_removed_one_included() -> None:
    state = with_song()
    to_stranger = [Share(AUTHOR.address, 5_000), Share(PRODUCER.address, 3_000),
                   Share(STRANGER.address, 2_000)]
    error = refused(state, [STRANGER, AUTHOR], ChangeSplit(SONG, 0, to_stranger),
                    "royalty.signature_missing")
    assert SINGER.address.hex() in error and "2000 -> 0" in error
    run(state, [STRANGER, SINGER], ChangeSplit(SONG, 0, to_stranger))  # the joiner need not
    payees = ask(state, "royalty", "payees", work=SONG).payees
    assert [(p.holder, p.share) for p in payees][-2:] == [(SINGER.address, 0),
                                                          (STRANGER.address, 2_000)]
    assert [w.work for w in ask(state, "royalty", "works_of", holder=STRANGER.address).works] == [
        SONG]
    two_fall = [Share(AUTHOR.address, 4_000), Share(PRODUCER.address, 2_000),
                Share(STRANGER.address, 4_000)]
    error = refused(state, [STRANGER, AUTHOR], ChangeSplit(SONG, 1, two_fall),
                    "royalty.signature_missing")
    assert PRODUCER.address.hex() in error and AUTHOR.address.hex() not in error
    run(state, [STRANGER, AUTHOR, PRODUCER], ChangeSplit(SONG, 1, two_fall))


def test_the_rights_manager_alone_cannot_change_the_split() -> None:
    state = with_song()
    error = refused(state, LABEL, ChangeSplit(SONG, 0, NEW_SPLIT), "royalty.signature_missing")
    assert AUTHOR.address.hex() in error


def test_a_change_names_the_current_version_and_changes_something() -> None:
    state = with_song()
    error = refused(state, AUTHOR, ChangeSplit(SONG, 1, NEW_SPLIT), "royalty.stale_split")
    assert "version 1" in error and "at version 0" in error
    refused(state, AUTHOR, ChangeSplit(SONG, 0, list(reversed(SPLIT))), "royalty.no_change")
    refused(state, AUTHOR, ChangeSplit(SONG, 0, NEW_SPLIT[:2]), "royalty.invalid_split")
    refused(state, AUTHOR, ChangeSplit("nope", 0, NEW_SPLIT), "royalty.unknown_work")
    run(state, AUTHOR, ChangeSplit(SONG, 0, NEW_SPLIT))
    refused(state, [SINGER, AUTHOR], ChangeSplit(SONG, 0, SPLIT), "royalty.stale_split")


def test_split_versions_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    state = with_song()
    monkeypatch.setattr(limits, "split_versions_max", 2)
    run(state, AUTHOR, ChangeSplit(SONG, 0, NEW_SPLIT))
    error = refused(state, [SINGER, AUTHOR], ChangeSplit(SONG, 1, SPLIT),
                    "royalty.limit_reached")
    assert "2 split tables" in error


# --- prices ---------------------------------------------------------------------------------


def test_the_rights_manager_sets_the_prices_and_a_stale_amount_is_refused() -> None:
    state = with_song()
    receipt = run(state, LABEL2, SetPrices(SONG, [Price("download", 120)]))
    assert attributes(receipt, "prices_set") == [
        {"work": SONG, "institution": "sunrise-records", "by": LABEL2.address.hex()}]
    refused(state, LISTENER, Pay(SONG, "download", 1, 100), "royalty.amount_mismatch")
    refused(state, LISTENER, Pay(SONG, "licence", 1, 50_000), "royalty.unknown_use")
    run(state, LISTENER, Pay(SONG, "download", 1, 120))
    refused(state, LABEL, SetPrices(SONG, [Price("download", 120)]), "royalty.no_change")


def test_nobody_else_sets_the_prices() -> None:
    state = with_song()
    error = refused(state, OTHER_LABEL, SetPrices(SONG, [Price("download", 1)]),
                    "royalty.not_a_rights_manager")
    assert "sunrise-records" in error and "moon-music" in error
    refused(state, AUTHOR, SetPrices(SONG, [Price("download", 1)]),
            "royalty.not_a_rights_manager")
    refused(state, COURT, SetPrices(SONG, [Price("download", 1)]),
            "royalty.not_a_rights_manager")
    refused(state, LABEL, SetPrices(SONG, []), "royalty.invalid_prices")


# --- statements -----------------------------------------------------------------------------


def paid_over_heights(state: LedgerState) -> list[int]:
    """Payments of 1, 2 and 3 downloads at three heights; returns the heights."""
    heights = []
    for uses in (1, 2, 3):
        run(state, LISTENER, Pay(SONG, "download", uses, 100 * uses))
        heights.append(state.height)
    return heights


def test_a_work_statement_covers_a_period_of_heights() -> None:
    state = with_song()
    h1, h2, h3 = paid_over_heights(state)
    everything = ask(state, "royalty", "work_statement", work=SONG)
    assert (everything.payments, everything.uses, everything.amount) == (3, 6, 600)
    middle = ask(state, "royalty", "work_statement", work=SONG, from_height=h2, to_height=h2)
    assert (middle.payments, middle.uses, middle.amount, middle.first, middle.end) == (
        1, 2, 200, 1, 2)
    late = ask(state, "royalty", "work_statement", work=SONG, from_height=h2)
    assert (late.payments, late.amount) == (2, 500)
    early = ask(state, "royalty", "work_statement", work=SONG, to_height=h2)
    assert (early.payments, early.amount) == (2, 300)
    assert ask(state, "royalty", "work_statement", work=SONG, from_height=h3 + 1).payments == 0
    assert ask(state, "royalty", "work_statement", work=SONG, from_height=h3,
               to_height=h1).payments == 0
    assert not ask(state, "royalty", "work_statement", work="nope").found


def test_a_holder_statement_adds_up_its_works_in_one_token() -> None:
    state = with_song()
    run(state, LABEL, song(work="second", split=[Share(AUTHOR.address, 10_000)]))
    run(state, LABEL, song(work="in-token", token=TOKEN))
    h1, _, _ = paid_over_heights(state)
    run(state, LISTENER, Pay("second", "download", 1, 100))
    run(state, LISTENER, Pay("in-token", "download", 1, 100))
    statement = ask(state, "royalty", "holder_statement", holder=AUTHOR.address)
    assert (statement.payments, statement.uses, statement.amount) == (4, 7, 300 + 100)
    in_token = ask(state, "royalty", "holder_statement", holder=AUTHOR.address, token=TOKEN)
    assert (in_token.payments, in_token.amount) == (1, 50)
    period = ask(state, "royalty", "holder_statement", holder=AUTHOR.address, from_height=h1 + 1)
    assert (period.payments, period.amount) == (3, 100 + 150 + 100)
    lines = ask(state, "royalty", "received", holder=AUTHOR.address, start=period.first)
    assert [(r.work, r.payment, r.amount) for r in lines.received] == [
        (SONG, 1, 100), (SONG, 2, 150), ("second", 0, 100)]
    tokens = ask(state, "royalty", "holder_tokens", holder=AUTHOR.address).tokens
    assert [(t.token, t.amount) for t in tokens] == [("", 400), (TOKEN, 50)]
    nobody = ask(state, "royalty", "holder_statement", holder=STRANGER.address, token="bad")
    assert nobody.payments == 0
