"""Every size a ballot's creator controls has a limit, tested at its edge: id, title, options
(count and text), voters per ballot, the voting window, the reveal window, ballots closing at
one height (the begin-block hook's work per block)."""

from __future__ import annotations

from typing import Any

import pytest

from chainbook import limits as chain_limits
from chainbook.apps.vote import AddVoters, limits
from chainbook.crypto import PrivateKey
from tests.apps.vote.helpers import ballot, ok, refused
from tests.support import ALICE, ask, make_state, run_block, signed, tx


def voters(count: int, start: int = 0) -> list[bytes]:
    return [PrivateKey.from_label(f"voter-{i}").address for i in range(start, start + count)]


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("id of 64 characters", {"ballot": "a" * limits.ballot_id_chars_max}),
    ("id of every allowed character", {"ballot": "az09._-"}),
    ("title of 256 bytes", {"title": "é" * (limits.title_bytes_max // 2)}),
    ("2 options", {"options": ["yes", "no"]}),
    ("32 options", {"options": [f"o{i}" for i in range(limits.options_max)]}),
    ("an option of 64 bytes", {"options": ["x" * limits.option_bytes_max, "no"]}),
    ("the longest window", {"open_height": 1, "close_height": 1 + limits.voting_blocks_max}),
    ("the longest reveal", {"secret": True, "reveal_blocks": limits.reveal_blocks_max}),
    ("a reveal of 1", {"secret": True, "reveal_blocks": 1}),
]
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("id of 65 characters", {"ballot": "a" * 65}, "accepted 1 to 64 characters"),
    ("empty id", {"ballot": ""}, "accepted 1 to 64"),
    ("id with a capital", {"ballot": "Board"}, "a-z, 0-9"),
    ("id with a space", {"ballot": "a b"}, "a-z, 0-9"),
    ("title of 257 bytes", {"title": "é" * 128 + "x"}, "title is 257 bytes"),
    ("empty title", {"title": ""}, "title is 0 bytes"),
    ("1 option", {"options": ["yes"]}, "1 options; accepted 2 to 32"),
    ("33 options", {"options": [f"o{i}" for i in range(33)]}, "33 options; accepted 2 to 32"),
    ("an option of 65 bytes", {"options": ["x" * 65, "no"]}, "options[0] is 65 bytes"),
    ("an empty option", {"options": ["", "no"]}, "options[0] is 0 bytes"),
    ("repeated options", {"options": ["yes", "yes"]}, "options must differ"),
    ("unknown weighting", {"weighting": "quadratic"}, "weighting 'quadratic'"),
    ("a window too long", {"close_height": 2 + limits.voting_blocks_max}, "at most 1000000"),
    ("a close before the opening", {"open_height": 5, "close_height": 5}, "must be after"),
    ("a reveal too long", {"secret": True, "reveal_blocks": 100_001}, "1 to 100000"),
    ("a secret ballot without reveal", {"secret": True}, "reveal_blocks 0"),
    ("a public ballot with a reveal", {"reveal_blocks": 3}, "reveal_blocks must be 0"),
]


@pytest.mark.parametrize(("name", "fields"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_at_the_edge(name: str, fields: dict[str, Any]) -> None:
    ok(make_state(), ALICE, ballot(**fields))


@pytest.mark.parametrize(("name", "fields", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_past_the_edge(name: str, fields: dict[str, Any], reason: str) -> None:
    error = refused(make_state(), ALICE, ballot(**fields), "vote.invalid_ballot")
    assert reason in error, error


def test_a_voter_listed_twice_is_refused() -> None:
    twice = ballot(voters=[ALICE.address, ALICE.address])
    assert "listed twice" in refused(make_state(), ALICE, twice, "vote.invalid_voters")


def test_a_ballot_holds_voters_per_ballot_max_voters_and_no_more() -> None:
    """10,000 voters: ~300 in the create transaction, the rest added before it opens."""
    state = make_state()
    chunk = 300
    create = ballot(voters=voters(chunk), open_height=100, close_height=110)
    assert len(signed(ALICE, 0, create)) <= chain_limits.tx_bytes_max
    txs = [tx(ALICE, 0, create)]
    for number, start in enumerate(range(chunk, limits.voters_per_ballot_max, chunk)):
        count = min(chunk, limits.voters_per_ballot_max - start)
        txs.append(tx(ALICE, 1 + number, AddVoters("b1", voters(count, start))))
    assert all(r.ok for r in run_block(state, txs).receipts)
    assert ask(state, "vote", "ballot", ballot="b1").voters == limits.voters_per_ballot_max
    error = refused(state, ALICE, AddVoters("b1", voters(1, 20_000)), "vote.invalid_voters")
    assert "would have 10001 voters, at most 10000" in error


def test_at_most_closings_per_height_max_ballots_end_a_phase_at_one_height() -> None:
    state = make_state()
    txs = [
        tx(ALICE, i, ballot(f"b{i}", close_height=20))
        for i in range(limits.closings_per_height_max - 1)
    ]
    # A secret ballot takes a slot at its close and one at the end of its reveal window.
    secret = ballot("s", close_height=20, secret=True, reveal_blocks=5)
    txs.append(tx(ALICE, len(txs), secret))
    assert all(r.ok for r in run_block(state, txs).receipts)
    error = refused(state, ALICE, ballot("late", close_height=20), "vote.closing_height_full")
    assert "16 ballots already end a phase at height 20" in error
    secret_late = ballot("late2", close_height=15, secret=True, reveal_blocks=5)
    refused(state, ALICE, secret_late, "vote.closing_height_full")
    ok(state, ALICE, ballot("late", close_height=21))
    # The hook then closes all 16 (and later the secret one's reveal) at their heights.
    while state.height < 19:
        run_block(state, [])
    events = run_block(state, []).events
    assert len([e for e in events if e.module == "vote"]) == limits.closings_per_height_max


def test_a_create_with_the_most_voters_fits_one_transaction() -> None:
    """About 350 addresses fit in one transaction: a balance-weighted ballot's electorate."""
    most = ballot(voters=voters(350), weighting="balance", title="t" * limits.title_bytes_max)
    assert len(signed(ALICE, 0, most)) <= chain_limits.tx_bytes_max
