"""private on-chain rules: collections, member-list approvals, records; each refusal names
its rule and changes nothing but the nonce (run_refused); every limit at its edge."""

from __future__ import annotations

import hashlib

import pytest

from chainbook.apps.private import ApproveMembers, CreateCollection, Record, limits
from chainbook.apps.private.content import compute_record_hash, is_content_of
from tests.apps.private.helpers import (
    NODE_A,
    NODE_B,
    NODE_C,
    OUTSIDER_NODE,
    nonce,
    private_state,
    send,
)
from tests.support import ALICE, BOB, CAROL, DAVE, ask, run_block, run_refused, tx

HASH = hashlib.sha256(b"exposure").digest()


def created(members: list[str] | None = None, threshold: int = 1, purge: int = 0):  # type: ignore[no-untyped-def]
    state = private_state()
    receipt = send(state, ALICE, CreateCollection("risk", members or ["bank-a", "bank-b"],
                                                  threshold, purge))
    assert receipt.ok, receipt.error
    return state


def refused(state, key, action, code: str) -> str:  # type: ignore[no-untyped-def]
    return run_refused(state, tx(key, nonce(state, key), action), code).error


def test_a_collection_is_created_by_a_member_with_active_members() -> None:
    state = created(["bank-b", "bank-a"], threshold=2, purge=10)
    view = ask(state, "private", "collection", collection="risk")
    assert view.found and view.members == ["bank-a", "bank-b"] and view.threshold == 2
    assert view.purge_after_blocks == 10 and view.version == 1 and view.creator == ALICE.address
    events = run_block(state, []).events  # no block-level event
    assert events == []


@pytest.mark.parametrize(
    ("key", "action", "code", "words"),
    [
        (ALICE, CreateCollection("Risk", ["bank-a"]), "private.invalid_id", "a-z 0-9"),
        (ALICE, CreateCollection("", ["bank-a"]), "private.invalid_id", "1 to 64"),
        (ALICE, CreateCollection("x" * 65, ["bank-a"]), "private.invalid_id", "1 to 64"),
        (ALICE, CreateCollection("r", []), "private.invalid_members", "1 to 16"),
        (ALICE, CreateCollection("r", ["bank-a", "bank-a"]), "private.invalid_members", "twice"),
        (ALICE, CreateCollection("r", ["bank-a", "nobody"]), "private.invalid_members",
         "not registered"),
        (ALICE, CreateCollection("r", ["bank-a", "Bad Id"]), "private.invalid_members",
         "'Bad Id' is not registered"),
        (ALICE, CreateCollection("r", ["bank-a"], 0), "private.invalid_members", "threshold 0"),
        (ALICE, CreateCollection("r", ["bank-a"], 2), "private.invalid_members", "threshold 2"),
        (ALICE, CreateCollection("r", ["bank-b"]), "private.not_a_member", "created by one"),
        (DAVE, CreateCollection("r", ["bank-a"]), "private.not_a_member", "created by one"),
        (ALICE, CreateCollection("r", ["bank-a"], 1, limits.purge_after_blocks_max + 1),
         "private.invalid_purge", "100000000"),
    ],
)
def test_creation_refusals_name_the_rule(key, action, code: str, words: str) -> None:  # type: ignore[no-untyped-def]
    state = private_state()
    assert words in refused(state, key, action, code)


def test_ids_and_members_and_purge_at_their_edges() -> None:
    state = private_state(extra_institutions=limits.members_max)
    inst = [f"inst-{n}" for n in range(limits.members_max - 1)]
    edge = CreateCollection("c" * limits.collection_id_chars_max, ["bank-a", *inst],
                            limits.members_max, limits.purge_after_blocks_max)
    assert send(state, ALICE, edge).ok
    over = CreateCollection("d", ["bank-a", *inst, f"inst-{limits.members_max - 1}"])
    assert "17 members" in refused(state, ALICE, over, "private.invalid_members")
    record_id = "r" * limits.record_id_chars_max
    assert send(state, ALICE, Record(edge.collection, record_id, HASH)).ok
    too_long = Record(edge.collection, record_id + "r", HASH)
    assert "1 to 128" in refused(state, ALICE, too_long, "private.invalid_id")


def test_a_second_collection_of_the_same_id_is_refused() -> None:
    state = created()
    assert "unique" in refused(state, BOB, CreateCollection("risk", ["bank-b"]),
                               "private.collection_exists")


def test_records_by_members_once_per_id_with_their_event() -> None:
    state = created(purge=5)
    receipt = send(state, BOB, Record("risk", "exposure-1", HASH))
    assert receipt.ok
    (event,) = receipt.events
    assert (event.module, event.kind) == ("private", "recorded")
    assert dict(event.attributes) == {
        "collection": "risk", "record": "exposure-1", "hash": HASH.hex(),
        "submitter": BOB.address.hex(), "institution": "bank-b",
    }
    view = ask(state, "private", "recorded", collection="risk", record="exposure-1")
    assert view.found and view.hash == HASH and view.institution == "bank-b"
    assert view.purge_at_height == view.height + 5
    assert ask(state, "private", "collection", collection="risk").records == 1
    error = refused(state, ALICE, Record("risk", "exposure-1", HASH), "private.record_exists")
    assert "unique" in error and BOB.address.hex() in error
    refused(state, CAROL, Record("risk", "exposure-2", HASH), "private.not_a_member")
    refused(state, DAVE, Record("risk", "exposure-2", HASH), "private.not_a_member")
    refused(state, ALICE, Record("nope", "exposure-2", HASH), "private.unknown_collection")


def test_records_per_block_at_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule at its edge with the bound made small (the real one, 1,000, is the same
    comparison); the next block starts again from 0."""
    monkeypatch.setattr(limits, "records_per_block_max", 3)
    state = created()
    txs = [tx(ALICE, 1 + i, Record("risk", f"r{i}", HASH)) for i in range(4)]
    receipts = run_block(state, txs).receipts
    assert [r.ok for r in receipts] == [True, True, True, False]
    assert receipts[3].code == "private.block_full" and "at most 3" in receipts[3].error
    assert send(state, ALICE, Record("risk", "r3", HASH)).ok


def test_member_list_changes_at_the_threshold_of_current_members() -> None:
    state = created(threshold=2)
    change = ApproveMembers("risk", 1, ["bank-a", "bank-b", "bank-c"], 2)
    first = send(state, ALICE, change)
    assert first.ok and [e.kind for e in first.events] == ["members_approved"]
    view = ask(state, "private", "collection", collection="risk")
    assert view.version == 1 and view.proposals[0].approvers == ["bank-a"]
    # Carol's bank is not a member yet: it cannot approve its own entry.
    refused(state, CAROL, change, "private.not_a_member")
    # Alice approving again counts once.
    assert send(state, ALICE, change).ok
    assert ask(state, "private", "collection", collection="risk").version == 1
    second = send(state, BOB, change)
    assert [e.kind for e in second.events] == ["members_approved", "members_changed"]
    view = ask(state, "private", "collection", collection="risk")
    assert view.version == 2 and view.members == ["bank-a", "bank-b", "bank-c"]
    assert view.proposals == []
    assert send(state, CAROL, Record("risk", "from-c", HASH)).ok
    assert "version 2" in refused(state, ALICE, change, "private.stale_version")


def test_an_approval_moves_when_its_institution_approves_another_list() -> None:
    state = created(threshold=2)
    assert send(state, ALICE, ApproveMembers("risk", 1, ["bank-a", "bank-c"], 1)).ok
    assert send(state, ALICE, ApproveMembers("risk", 1, ["bank-a"], 1)).ok
    view = ask(state, "private", "collection", collection="risk")
    assert [(p.members, p.approvers) for p in view.proposals] == [(["bank-a"], ["bank-a"])]
    assert send(state, BOB, ApproveMembers("risk", 1, ["bank-a", "bank-c"], 1)).ok
    assert ask(state, "private", "collection", collection="risk").version == 1
    assert send(state, BOB, ApproveMembers("risk", 1, ["bank-a"], 1)).ok
    view = ask(state, "private", "collection", collection="risk")
    assert view.version == 2 and view.members == ["bank-a"]
    refused(state, BOB, Record("risk", "late", HASH), "private.not_a_member")


def test_member_node_answers_by_node_key() -> None:
    state = created()
    def member(key) -> bool:  # type: ignore[no-untyped-def]
        view = ask(state, "private", "member_node", collection="risk", public_key=key.public_key)
        return bool(view.member)
    assert member(NODE_A) and member(NODE_B) and member(ALICE)
    assert not member(NODE_C) and not member(OUTSIDER_NODE)
    view = ask(state, "private", "member_node", collection="nope", public_key=NODE_A.public_key)
    assert not view.member


def test_the_salted_hash() -> None:
    salt = bytes(range(32))
    assert compute_record_hash(salt, b"abc") == hashlib.sha256(salt + b"abc").digest()
    assert is_content_of(compute_record_hash(salt, b"abc"), salt, b"abc")
    assert not is_content_of(compute_record_hash(salt, b"abc"), salt, b"abd")
    assert not is_content_of(compute_record_hash(salt[:31], b"abc"), salt[:31], b"abc")
