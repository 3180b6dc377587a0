"""The vote module's rules on the real ledger: ballots, eligibility, windows, one counted vote
per voter (revotes where allowed), balance weights fixed at creation, secret ballots by
commit-then-reveal, results at close, and the queries (also proven)."""

from __future__ import annotations

import pytest

from chainbook.apps.bank import Transfer
from chainbook.apps.vote import AddVoters, Cast, Commit, Reveal, VoteGenesis, compute_commitment
from chainbook.errors import ConfigError
from chainbook.ledger.proven_query import prove_query, rerun_query
from tests.apps.vote.helpers import advance_to, ballot, ok, refused, send
from tests.support import ALICE, BOB, CAROL, DAVE, ask, make_genesis, make_state, run_block, tx

SALT = bytes(range(16))


def test_a_public_ballot_counts_one_vote_per_voter_and_closes_with_its_result() -> None:
    state = make_state()
    assert ok(state, ALICE, ballot(close_height=6)) == []
    assert ask(state, "vote", "ballot", ballot="b1").voters == 3
    ok(state, ALICE, Cast("b1", 0))
    ok(state, BOB, Cast("b1", 0))
    ok(state, CAROL, Cast("b1", 1))
    error = refused(state, BOB, Cast("b1", 1), "vote.already_voted")
    assert "voted on ballot 'b1' at height 3" in error and "allows no replacement" in error
    tally = ask(state, "vote", "tally", ballot="b1")
    assert [(o.text, o.votes, o.weight) for o in tally.options] == [
        ("yes", 2, 2),
        ("no", 1, 1),
        ("abstain", 0, 0),
    ]
    assert tally.leading == [0] and tally.phase == "voting" and not tally.final
    events = advance_to(state, 7)
    result = run_block(state, []).events  # nothing more happens after close
    assert result == []
    (closed,) = [e for e in events if e.module == "vote"]
    assert closed.kind == "result" and dict(closed.attributes) == {
        "ballot": "b1",
        "weights": "2,1,0",
        "votes": "2,1,0",
        "leading": "0",
        "counted_voters": "3",
        "counted_weight": "3",
        "eligible_voters": "3",
    }
    final = ask(state, "vote", "tally", ballot="b1")
    assert final.final and final.phase == "final"


def test_votes_count_only_within_the_window() -> None:
    state = make_state()
    ok(state, ALICE, ballot(open_height=4, close_height=6))
    assert ask(state, "vote", "tally", ballot="b1").phase == "pending"
    error = refused(state, ALICE, Cast("b1", 0), "vote.not_voting")
    assert "counts votes at heights 4 to 5; this block is 2" in error
    advance_to(state, 5)
    ok(state, ALICE, Cast("b1", 0))  # height 5, the last one
    refused(state, BOB, Cast("b1", 0), "vote.not_voting")  # height 6: closed by the hook
    assert ask(state, "vote", "tally", ballot="b1").counted_voters == 1


def test_a_revote_replaces_the_earlier_vote() -> None:
    state = make_state()
    ok(state, ALICE, ballot(revote=True))
    ok(state, ALICE, Cast("b1", 0))
    (replaced,) = ok(state, ALICE, Cast("b1", 2))
    assert replaced.kind == "replaced"
    assert replaced.attributes == [("ballot", "b1"), ("previous_option", "0")]
    tally = ask(state, "vote", "tally", ballot="b1")
    assert [o.votes for o in tally.options] == [0, 0, 1] and tally.counted_voters == 1
    voter = ask(state, "vote", "voter", ballot="b1", address=ALICE.address)
    assert voter.voted and voter.option == 2 and voter.weight == 1


def test_who_may_vote_and_on_what() -> None:
    state = make_state()
    ok(state, ALICE, ballot())
    assert f"{DAVE.address.hex()} is not an eligible voter" in refused(
        state, DAVE, Cast("b1", 0), "vote.not_eligible"
    )
    error = refused(state, ALICE, Cast("b1", 3), "vote.invalid_option")
    assert "option 3 does not exist; options: 0='yes', 1='no', 2='abstain'" in error
    refused(state, ALICE, Cast("nope", 0), "vote.unknown_ballot")
    refused(state, ALICE, Commit("b1", bytes(32)), "vote.wrong_kind")
    refused(state, ALICE, Reveal("b1", 0, SALT), "vote.wrong_kind")
    assert not ask(state, "vote", "voter", ballot="b1", address=DAVE.address).eligible


def test_balance_weights_are_the_snapshot_of_the_create_transaction() -> None:
    state = make_state()  # ALICE 1,000, BOB 500
    ok(state, ALICE, ballot(weighting="balance", voters=[ALICE.address, BOB.address, DAVE.address]))
    info = ask(state, "vote", "ballot", ballot="b1")
    assert info.voters_weight == 1_500
    # Bob moves his coins to Alice after the snapshot: neither weight changes.
    ok(state, BOB, Transfer(ALICE.address, 500))
    ok(state, ALICE, Cast("b1", 0))
    ok(state, BOB, Cast("b1", 1))
    ok(state, DAVE, Cast("b1", 1))  # weight 0: counted as a voter, adds no weight
    tally = ask(state, "vote", "tally", ballot="b1")
    assert [o.weight for o in tally.options] == [1_000, 500, 0]
    assert [o.votes for o in tally.options] == [1, 2, 0] and tally.leading == [0]
    error = refused(state, ALICE, AddVoters("b1", [CAROL.address]), "vote.voters_fixed")
    assert "snapshot of its create transaction" in error
    empty = ballot("b2", weighting="balance", voters=[])
    error = refused(state, ALICE, empty, "vote.invalid_ballot")
    assert "lists all its voters in its create transaction" in error


def test_voters_are_added_by_the_creator_before_the_ballot_opens() -> None:
    state = make_state()
    ok(state, ALICE, ballot(open_height=8, voters=[]))
    refused(state, BOB, AddVoters("b1", [DAVE.address]), "vote.not_allowed")
    ok(state, ALICE, AddVoters("b1", [BOB.address, DAVE.address]))
    error = refused(state, ALICE, AddVoters("b1", [DAVE.address]), "vote.invalid_voters")
    assert "is an eligible voter of 'b1' already" in error
    refused(state, ALICE, AddVoters("b1", [CAROL.address, CAROL.address]), "vote.invalid_voters")
    assert ask(state, "vote", "ballot", ballot="b1").voters == 2
    advance_to(state, 8)
    error = refused(state, ALICE, AddVoters("b1", [CAROL.address]), "vote.voters_fixed")
    assert "opened at height 8" in error


def test_a_secret_ballot_commits_then_reveals_and_reports_the_unrevealed() -> None:
    state = make_state()
    ok(state, ALICE, ballot(secret=True, close_height=8, reveal_blocks=6))
    for key, option in ((ALICE, 0), (BOB, 1), (CAROL, 1)):
        ok(state, key, Commit("b1", compute_commitment("b1", key.address, option, SALT)))
    refused(state, ALICE, Cast("b1", 0), "vote.wrong_kind")
    error = refused(state, ALICE, Reveal("b1", 0, SALT), "vote.not_revealing")
    assert "counts reveals at heights 8 to 13" in error
    tally = ask(state, "vote", "tally", ballot="b1")
    assert tally.counted_voters == 0 and tally.unrevealed_voters == 3
    assert ask(state, "vote", "voter", ballot="b1", address=BOB.address).option is None
    events = advance_to(state, 8)
    events += run_block(state, []).events
    closed = [e for e in events if e.kind == "closed"]
    assert closed and dict(closed[0].attributes)["committed_voters"] == "3"
    assert ask(state, "vote", "tally", ballot="b1").phase == "revealing"
    ok(state, ALICE, Reveal("b1", 0, SALT))
    error = refused(state, BOB, Reveal("b1", 0, SALT), "vote.commitment_mismatch")
    assert "reveal the option and salt committed to" in error
    ok(state, BOB, Reveal("b1", 1, SALT))
    refused(state, BOB, Reveal("b1", 1, SALT), "vote.already_revealed")
    refused(state, DAVE, Reveal("b1", 1, SALT), "vote.not_eligible")
    events = advance_to(state, 15)  # Carol never reveals; the window ends at 13
    (result,) = [e for e in events if e.kind == "result"]
    attributes = dict(result.attributes)
    assert attributes["weights"] == "1,1,0" and attributes["leading"] == "0,1"
    assert (attributes["unrevealed_voters"], attributes["unrevealed_weight"]) == ("1", "1")
    tally = ask(state, "vote", "tally", ballot="b1")
    assert tally.final and tally.unrevealed_voters == 1 and tally.leading == [0, 1]
    refused(state, CAROL, Reveal("b1", 1, SALT), "vote.not_revealing")
    bob = ask(state, "vote", "voter", ballot="b1", address=BOB.address)
    assert bob.revealed and bob.option == 1


def test_a_secret_commitment_is_replaced_only_if_the_ballot_allows_it() -> None:
    state = make_state()
    ok(state, ALICE, ballot(secret=True, reveal_blocks=5))
    ok(state, ALICE, ballot("b2", secret=True, reveal_blocks=5, revote=True))
    for name in ("b1", "b2"):
        ok(state, BOB, Commit(name, compute_commitment(name, BOB.address, 0, SALT)))
    refused(state, BOB, Commit("b1", bytes(32)), "vote.already_voted")
    ok(state, BOB, Commit("b2", compute_commitment("b2", BOB.address, 2, SALT)))
    assert ask(state, "vote", "tally", ballot="b2").unrevealed_voters == 1
    advance_to(state, 10)
    refused(state, BOB, Reveal("b2", 0, SALT), "vote.commitment_mismatch")
    ok(state, BOB, Reveal("b2", 2, SALT))
    refused(state, CAROL, Reveal("b2", 2, SALT), "vote.no_commitment")


def test_a_commitment_is_bound_to_its_voter_and_ballot() -> None:
    """Copying another voter's commitment (or one from another ballot) reveals nothing."""
    state = make_state()
    ok(state, ALICE, ballot(secret=True, reveal_blocks=5))
    alice_commitment = compute_commitment("b1", ALICE.address, 0, SALT)
    ok(state, ALICE, Commit("b1", alice_commitment))
    ok(state, BOB, Commit("b1", alice_commitment))
    advance_to(state, 10)
    ok(state, ALICE, Reveal("b1", 0, SALT))
    refused(state, BOB, Reveal("b1", 0, SALT), "vote.commitment_mismatch")
    assert compute_commitment("b2", ALICE.address, 0, SALT) != alice_commitment


@pytest.mark.parametrize(("size", "accepted"), [(15, False), (16, True), (64, True), (65, False)])
def test_reveal_salt_sizes_at_their_edges(size: int, accepted: bool) -> None:
    state = make_state()
    ok(state, ALICE, ballot(secret=True, reveal_blocks=5))
    salt = bytes(size)
    ok(state, ALICE, Commit("b1", compute_commitment("b1", ALICE.address, 1, salt)))
    advance_to(state, 10)
    if accepted:
        ok(state, ALICE, Reveal("b1", 1, salt))
    else:
        error = refused(state, ALICE, Reveal("b1", 1, salt), "vote.invalid_salt")
        assert f"salt of {size} bytes; accepted 16 to 64" in error


def test_the_creator_allow_list_of_the_genesis_file() -> None:
    state = make_state(app_state={"vote": VoteGenesis(creators=[BOB.address.hex()])})
    error = refused(state, ALICE, ballot(), "vote.not_allowed")
    assert f"allows only {BOB.address.hex()}" in error
    ok(state, BOB, ballot())
    with pytest.raises(ConfigError, match="40 lowercase hex"):
        make_genesis(app_state={"vote": VoteGenesis(creators=["ABC"])})
    with pytest.raises(ConfigError, match="appears twice"):
        make_genesis(app_state={"vote": VoteGenesis(creators=[BOB.address.hex()] * 2)})
    with pytest.raises(ConfigError, match="at most 64"):
        make_genesis(app_state={"vote": VoteGenesis(creators=["ab" * 20] * 65)})


def test_a_ballot_id_is_taken_once() -> None:
    state = make_state()
    ok(state, ALICE, ballot())
    error = refused(state, BOB, ballot(), "vote.ballot_exists")
    assert f"created by {ALICE.address.hex()} at height 1" in error


def test_an_opening_already_reached_opens_at_once() -> None:
    state = make_state()
    advance_to(state, 5)
    ok(state, ALICE, ballot(open_height=0, close_height=8))
    assert ask(state, "vote", "ballot", ballot="b1").open_height == 5
    late = ballot("b2", open_height=0, close_height=6)
    error = refused(state, ALICE, late, "vote.invalid_ballot")
    assert "close_height 6 must be after the opening (6; this block is 6)" in error


def test_the_tally_and_the_voter_queries_are_provable() -> None:
    state = make_state()
    ok(state, ALICE, ballot())
    ok(state, BOB, Cast("b1", 1))
    run_block(state, [])
    from chainbook.apps.vote import BallotRequest, VoterRequest

    for query, request in (
        ("tally", BallotRequest("b1")),
        ("ballot", BallotRequest("b1")),
        ("voter", VoterRequest("b1", BOB.address)),
    ):
        proven = prove_query(state, "vote", query, request)
        assert len(proven.proofs) <= 2
        values = {p.key: p.value for p in proven.proofs}
        assert rerun_query(values, proven.height, state.registry, "vote", query, request) == (
            proven.answer
        )
    tally = prove_query(state, "vote", "tally", BallotRequest("b1")).answer
    assert tally.counted_voters == 1 and tally.options[1].votes == 1


def test_a_refused_vote_in_a_block_of_votes_keeps_the_others() -> None:
    state = make_state()
    ok(state, ALICE, ballot())
    result = run_block(
        state,
        [tx(BOB, 0, Cast("b1", 0)), tx(DAVE, 0, Cast("b1", 0)), tx(CAROL, 0, Cast("b1", 1))],
    )
    assert [r.ok for r in result.receipts] == [True, False, True]
    assert ask(state, "vote", "tally", ballot="b1").counted_voters == 2
    assert send(state, ALICE, Cast("b1", 9)).code == "vote.invalid_option"


def test_the_commit_invariants_bite_on_a_tally_that_does_not_add_up() -> None:
    """assert_invariants (run at every commit) refuses a tally whose options do not sum to its
    totals, or whose phase went back."""
    import msgspec

    from chainbook import codec
    from chainbook.apps.base import PrefixedReader
    from chainbook.apps.vote.closing import assert_invariants
    from chainbook.apps.vote.state import Phase, TallyRecord, tally_key

    state = make_state()
    ok(state, ALICE, ballot())
    ok(state, BOB, Cast("b1", 1))
    before = PrefixedReader(state.kv, b"vote/")
    key = tally_key("b1")
    tally = codec.decode(state.kv[b"vote/" + key], TallyRecord)
    assert_invariants(before, before, [key])  # the real one holds
    for broken in (
        msgspec.structs.replace(tally, weights=[0, 2, 0]),
        msgspec.structs.replace(tally, counted_voters=2),
        msgspec.structs.replace(tally, committed_voters=1, committed_weight=1),
    ):
        after = PrefixedReader({**state.kv, b"vote/" + key: codec.encode(broken)}, b"vote/")
        with pytest.raises(AssertionError):
            assert_invariants(before, after, [key])
    final = msgspec.structs.replace(tally, phase=Phase.FINAL)
    final_view = PrefixedReader({**state.kv, b"vote/" + key: codec.encode(final)}, b"vote/")
    with pytest.raises(AssertionError):
        assert_invariants(final_view, before, [key])
