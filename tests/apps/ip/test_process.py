"""The ip module's rules on the real ledger: the first filing wins (a later one is refused
naming it), licences and transfers by the owner only, the full history, every size limit at
its edge, genesis imports, and the queries (also proven)."""

from __future__ import annotations

import hashlib

import msgspec
import pytest

from chainbook.apps.ip import (
    GenesisWork,
    GrantLicence,
    HistoryRequest,
    IpGenesis,
    Register,
    Transfer,
    WorkRequest,
    limits,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.ledger.proven_query import PROVEN_KEYS_MAX, prove_query, rerun_query
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    GENESIS_TIME_MS,
    ask,
    make_genesis,
    make_state,
    run_block,
    run_refused,
    tx,
)

WORK = hashlib.sha256(b"a novel").digest()
OTHER = hashlib.sha256(b"a poem").digest()


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def send(state: LedgerState, key: PrivateKey, action: msgspec.Struct) -> bool:
    """Run `action` of `key` alone in the next block; whether it succeeded."""
    return run_block(state, [tx(key, nonce(state, key), action)]).receipts[0].ok


def refused(state: LedgerState, key: PrivateKey, action: msgspec.Struct, code: str) -> str:
    return run_refused(state, tx(key, nonce(state, key), action), code).error


def with_work() -> LedgerState:
    state = make_state()
    assert send(state, ALICE, Register(WORK, "The Novel", "Jane Doe", '{"isbn": "x"}'))
    return state


def test_a_filing_makes_the_filer_the_owner() -> None:
    state = make_state()
    receipt = run_block(state, [tx(ALICE, 0, Register(WORK, "The Novel", "Jane Doe"))]).receipts[0]
    assert receipt.ok and receipt.events == []
    info = ask(state, "ip", "work", work=WORK)
    assert info.found and info.owner == info.filer == ALICE.address
    assert (info.title, info.author, info.height, info.entries) == ("The Novel", "Jane Doe", 1, 1)
    assert info.tx_hash == receipt.tx_hash and info.time_ms == state.time_ms
    assert not ask(state, "ip", "work", work=OTHER).found


def test_a_later_filing_fails_and_names_the_earlier_one() -> None:
    state = make_state()
    first = run_block(state, [tx(ALICE, 0, Register(WORK, "The Novel", "Jane Doe"))])
    error = refused(state, BOB, Register(WORK, "Mine", "Bob"), "ip.already_registered")
    assert f"registered first by {ALICE.address.hex()}" in error and "(author 'Jane Doe')" in error
    assert "at height 1" in error and first.receipts[0].tx_hash.hex() in error
    assert f"(block time_ms {GENESIS_TIME_MS + 1})" in error
    # The owner filing again is refused the same way.
    refused(state, ALICE, Register(WORK, "again", "Jane Doe"), "ip.already_registered")


def test_in_one_block_the_first_filing_wins() -> None:
    state = make_state()
    result = run_block(
        state, [tx(BOB, 0, Register(WORK, "B", "Bob")), tx(ALICE, 0, Register(WORK, "A", "Al"))]
    )
    assert [r.code for r in result.receipts] == ["", "ip.already_registered"]
    assert ask(state, "ip", "work", work=WORK).owner == BOB.address


def test_licences_and_transfers_make_the_history() -> None:
    state = with_work()
    licence = GrantLicence(WORK, BOB.address, "print, EU, non-exclusive", "height", 0, 100)
    result = run_block(state, [tx(ALICE, 1, licence)])
    assert result.receipts[0].events[0].attributes == [("licence", "1"), ("entry", "1")]
    assert send(state, ALICE, Transfer(WORK, CAROL.address))
    film = GrantLicence(WORK, DAVE.address, "film", "time_ms", 1_700_000_000_000, 0)
    assert send(state, CAROL, film)
    page = ask(state, "ip", "history", work=WORK)
    assert page.found and page.total == 4 and page.next is None
    assert [(e.number, e.kind, e.by, e.party) for e in page.entries] == [
        (0, "registered", ALICE.address, b""),
        (1, "licence", ALICE.address, BOB.address),
        (2, "transfer", ALICE.address, CAROL.address),
        (3, "licence", CAROL.address, DAVE.address),
    ]
    assert [e.height for e in page.entries] == [1, 2, 3, 4]
    first, last = page.entries[1], page.entries[3]
    assert (first.scope, first.unit, first.start, first.end, first.licence) == (
        "print, EU, non-exclusive",
        "height",
        0,
        100,
        1,
    )
    assert (last.unit, last.start, last.end, last.licence) == ("time_ms", 1_700_000_000_000, 0, 2)
    info = ask(state, "ip", "work", work=WORK)
    assert info.owner == CAROL.address and info.filer == ALICE.address and info.licences == 2


def test_only_the_owner_licenses_or_transfers() -> None:
    state = with_work()
    for action in (
        GrantLicence(WORK, CAROL.address, "print", "height", 0, 0),
        Transfer(WORK, CAROL.address),
    ):
        error = refused(state, BOB, action, "ip.not_owner")
        assert f"owned by {ALICE.address.hex()}, not by {BOB.address.hex()}" in error
    assert send(state, ALICE, Transfer(WORK, BOB.address))
    error = refused(state, ALICE, Transfer(WORK, CAROL.address), "ip.not_owner")
    assert f"owned by {BOB.address.hex()}" in error
    error = refused(state, ALICE, Transfer(OTHER, BOB.address), "ip.unknown_work")
    assert f"no work {OTHER.hex()} is registered" in error


def test_a_licence_or_transfer_to_the_owner_is_refused() -> None:
    state = with_work()
    own = GrantLicence(WORK, ALICE.address, "print", "height", 0, 0)
    assert "is the owner already" in refused(state, ALICE, own, "ip.invalid_party")
    refused(state, ALICE, Transfer(WORK, ALICE.address), "ip.invalid_party")


@pytest.mark.parametrize(
    ("unit", "start", "end", "reason"),
    [
        ("days", 0, 10, "unit is 'days'; accepted: height, time_ms"),
        ("height", 10, 10, "end 10 must be after start 10"),
        ("time_ms", 10, 9, "end 9 must be after start 10"),
    ],
)
def test_a_bad_licence_period_is_refused(unit: str, start: int, end: int, reason: str) -> None:
    state = with_work()
    licence = GrantLicence(WORK, BOB.address, "print", unit, start, end)
    assert reason in refused(state, ALICE, licence, "ip.invalid_period")


@pytest.mark.parametrize(
    ("field", "limit", "required"),
    [
        ("title", limits.title_bytes_max, True),
        ("author", limits.author_bytes_max, True),
        ("metadata", limits.metadata_bytes_max, False),
    ],
)
def test_filing_texts_at_their_edges(field: str, limit: int, required: bool) -> None:
    state = make_state()
    fields = {"title": "t", "author": "a", "metadata": ""}
    at_limit = Register(WORK, **{**fields, field: "€" * (limit // 3) + "x" * (limit % 3)})
    assert send(state, ALICE, at_limit)
    over = Register(OTHER, **{**fields, field: "€" * (limit // 3) + "x" * (limit % 3 + 1)})
    low = 1 if required else 0
    error = refused(state, ALICE, over, "ip.invalid_text")
    assert f"{field} is {limit + 1} bytes of UTF-8; accepted {low} to {limit}" in error
    if required:
        refused(state, ALICE, Register(OTHER, **{**fields, field: ""}), "ip.invalid_text")


def test_a_licence_scope_at_its_edges() -> None:
    state = with_work()
    limit = limits.scope_bytes_max
    assert send(state, ALICE, GrantLicence(WORK, BOB.address, "s" * limit, "height", 0, 0))
    over = GrantLicence(WORK, BOB.address, "s" * (limit + 1), "height", 0, 0)
    assert f"scope is {limit + 1} bytes" in refused(state, ALICE, over, "ip.invalid_text")
    empty = GrantLicence(WORK, BOB.address, "", "height", 0, 0)
    refused(state, ALICE, empty, "ip.invalid_text")


def test_a_work_s_history_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "history_entries_max", 3)
    state = with_work()
    licence = GrantLicence(WORK, BOB.address, "print", "height", 0, 0)
    assert send(state, ALICE, licence) and send(state, ALICE, licence)
    assert "has 3 history entries" in refused(state, ALICE, licence, "ip.history_full")
    refused(state, ALICE, Transfer(WORK, BOB.address), "ip.history_full")


def test_the_history_pages_stay_provable() -> None:
    state = with_work()
    licence = GrantLicence(WORK, BOB.address, "print", "height", 0, 0)
    txs = [tx(ALICE, 1 + i, licence) for i in range(40)]
    assert all(r.ok for r in run_block(state, txs).receipts)
    run_block(state, [])
    first = ask(state, "ip", "history", work=WORK)
    assert first.total == 41 and len(first.entries) == limits.history_page_entries_max
    assert first.next == limits.history_page_entries_max
    second = ask(state, "ip", "history", work=WORK, start=first.next)
    assert [e.number for e in second.entries] == list(range(32, 41)) and second.next is None
    request = HistoryRequest(work=WORK, start=0)
    proven = prove_query(state, "ip", "history", request)
    assert len(proven.proofs) == 1 + limits.history_page_entries_max <= PROVEN_KEYS_MAX
    values = {p.key: p.value for p in proven.proofs}
    assert rerun_query(values, proven.height, state.registry, "ip", "history", request) == (
        proven.answer
    )
    work = prove_query(state, "ip", "work", WorkRequest(work=WORK))
    assert [p.key for p in work.proofs] == [b"ip/work/" + WORK]


def test_genesis_imports_earlier_filings_which_stay_first() -> None:
    imported = GenesisWork(
        work=WORK.hex(),
        title="The Novel",
        author="Jane Doe",
        owner=CAROL.address.hex(),
        time_ms=1_400_000_000_000,
    )
    state = make_state(app_state={"ip": IpGenesis([imported])})
    info = ask(state, "ip", "work", work=WORK)
    assert info.owner == CAROL.address and info.height == 0 and info.time_ms == 1_400_000_000_000
    error = refused(state, ALICE, Register(WORK, "Stolen", "Al"), "ip.already_registered")
    assert "imported by the genesis file" in error
    assert send(state, CAROL, Transfer(WORK, DAVE.address))
    assert ask(state, "ip", "history", work=WORK).total == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"work": "zz"}, "work: expected 64 lowercase hex"),
        ({"owner": "12"}, "owner: expected 40 lowercase hex"),
        ({"time_ms": -5}, "time_ms must be >= 0"),
        ({"title": ""}, "title: 0 bytes of UTF-8, accepted 1"),
        ({"author": "a" * 257}, "author: 257 bytes"),
    ],
)
def test_a_bad_genesis_section_is_refused_naming_the_field(
    change: dict[str, object], reason: str
) -> None:
    fields: dict[str, object] = {
        "work": WORK.hex(),
        "title": "t",
        "author": "a",
        "owner": ALICE.address.hex(),
        "time_ms": 0,
    }
    entry = msgspec.convert({**fields, **change}, GenesisWork)
    with pytest.raises(ConfigError, match=reason):
        make_genesis(app_state={"ip": IpGenesis([entry])})
    with pytest.raises(ConfigError, match="appears twice"):
        twice = msgspec.convert(fields, GenesisWork)
        make_genesis(app_state={"ip": IpGenesis([twice, twice])})
