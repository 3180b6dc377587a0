"""The private-data core's decisions, without IO: who gets a content, what is accepted,
held, stored, fetched and purged (core/private_data.py), and the wire bounds."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest

from chainbook import codec
from chainbook.apps.private import CreateCollection, Record, limits
from chainbook.apps.private.content import compute_record_hash
from chainbook.core.outputs import LogEvent, Send
from chainbook.core.private_data import PrivateData, PrivateDataRefused
from chainbook.core.private_wire import (
    PrivatePull,
    PrivatePush,
    PrivateSubmitted,
    PurgePrivateData,
    SavePrivateData,
)
from chainbook.core.wire import decode_message, encode_message
from chainbook.errors import PeerMisbehaved
from chainbook.ledger.state import LedgerState
from chainbook.storage.private_store import MemoryPrivateStore
from tests.apps.private.helpers import NODE_A, NODE_B, NODE_C, OUTSIDER_NODE, nonce, private_state
from tests.support import ALICE, run_block, tx

SALT = bytes(range(32))
CONTENT = b"exposure of client 17: 4.2m"
HASH = compute_record_hash(SALT, CONTENT)
A, B, C, OUT = (k.public_key for k in (NODE_A, NODE_B, NODE_C, OUTSIDER_NODE))
PEERS = [B, C, OUT]


def chain(purge: int = 0) -> LedgerState:
    """bank-a and bank-b share collection "risk"; bank-c (node C) is registered, not a member."""
    state = private_state()
    run_block(state, [tx(ALICE, 0, CreateCollection("risk", ["bank-a", "bank-b"], 1, purge))])
    return state


def commit_record(state: LedgerState, record: str = "e1", digest: bytes = HASH) -> Any:
    """The next block with ALICE's record; a stand-in for its BlockRecord (its receipts)."""
    result = run_block(state, [tx(ALICE, nonce(state, ALICE), Record("risk", record, digest))])
    assert result.receipts[0].ok, result.receipts[0].error
    return SimpleNamespace(receipts=result.receipts)


def core(node: bytes, store: MemoryPrivateStore | None = None) -> PrivateData:
    private = PrivateData(node)
    private.store = store if store is not None else MemoryPrivateStore()
    return private


def push(record: str = "e1", content: bytes = CONTENT) -> PrivatePush:
    return PrivatePush("risk", record, SALT, content)


def sends(outputs: list[Any]) -> list[tuple[bytes, Any]]:
    return [(o.peer_id, decode_message(o.payload)) for o in outputs if isinstance(o, Send)]


def saves(outputs: list[Any]) -> list[SavePrivateData]:
    return [o for o in outputs if isinstance(o, SavePrivateData)]


def test_a_local_content_is_pushed_to_member_peers_only_and_stored_at_commit() -> None:
    state, node = chain(), core(A)
    node.verify_local_submission(state, Record("risk", "e1", HASH), SALT, CONTENT)
    outputs = node.on_local_submission(PrivateSubmitted("risk", "e1", SALT, CONTENT), state, PEERS)
    assert sends(outputs) == [(B, push())]
    assert saves(outputs) == [] and node.pending_count == 1
    stored = saves(node.on_committed(commit_record(state), state, 0))
    assert [(s.record, s.hash, s.content) for s in stored] == [("e1", HASH, CONTENT)]
    assert node.pending_count == 0


@pytest.mark.parametrize(
    ("node_id", "action", "salt", "content", "code"),
    [
        (A, CreateCollection("x", ["bank-a"]), SALT, CONTENT, "invalid_request"),
        (A, Record("risk", "e1", HASH), SALT[:31], CONTENT, "invalid_content"),
        (A, Record("risk", "e1", HASH), SALT, CONTENT + b"!", "hash_mismatch"),
        (C, Record("risk", "e1", HASH), SALT, CONTENT, "not_a_member_node"),
        (OUT, Record("risk", "e1", HASH), SALT, CONTENT, "not_a_member_node"),
    ],
)
def test_local_submissions_refused(node_id, action, salt, content, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PrivateDataRefused) as refused:
        core(node_id).verify_local_submission(chain(), action, salt, content)
    assert refused.value.code == code


def test_content_size_at_its_edge() -> None:
    state, node = chain(), core(A)
    edge = b"x" * limits.content_bytes_max
    node.verify_local_submission(state, Record("risk", "e", compute_record_hash(SALT, edge)),
                                 SALT, edge)
    over = edge + b"x"
    with pytest.raises(PrivateDataRefused, match="at most 65536"):
        node.verify_local_submission(state, Record("risk", "e", compute_record_hash(SALT, over)),
                                     SALT, over)
    assert decode_message(encode_message(PrivatePush("risk", "e", SALT, edge))).content == edge
    with pytest.raises(PeerMisbehaved):
        decode_message(codec.encode(PrivatePush("risk", "e", SALT, over)))
    with pytest.raises(PeerMisbehaved):
        decode_message(codec.encode(PrivatePush("risk", "e", SALT[:31], b"")))
    with pytest.raises(PeerMisbehaved):
        decode_message(codec.encode(PrivatePull("r" * 65, "e")))


def test_a_push_is_accepted_only_by_a_member_from_a_member_with_the_committed_hash() -> None:
    state = chain()
    commit_record(state)
    member, registered, outsider = core(B), core(C), core(OUT)
    assert registered.on_message(A, push(), state, []) == []
    assert registered.counters["private_push_refused_not_member"] == 1
    assert outsider.on_message(A, push(), state, []) == []
    assert member.on_message(C, push(), state, []) == []
    assert member.counters["private_push_refused_sender_not_member"] == 1
    assert member.on_message(A, push(content=CONTENT + b"?"), state, []) == []
    assert member.counters["private_content_mismatch"] == 1
    assert [s.content for s in saves(member.on_message(A, push(), state, []))] == [CONTENT]


def test_early_pushes_wait_and_only_the_committed_hash_is_stored() -> None:
    state, node = chain(), core(B)
    other = b"the other client's content"
    assert node.on_message(A, push(), state, []) == []
    assert node.on_message(A, push(content=other), state, []) == []
    assert node.pending_count == 2
    stored = saves(node.on_committed(commit_record(state, digest=compute_record_hash(SALT, other)),
                                     state, 0))
    assert [s.content for s in stored] == [other]
    assert node.pending_count == 0 and node.counters["private_pending_lost_race"] == 1


def test_waiting_contents_are_bounded_and_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "pending_records_max", 2)
    state, node = chain(), core(B)
    for i in range(3):
        node.on_message(A, push(record=f"e{i}"), state, [])
    assert node.pending_count == 2 and node.counters["private_pending_full"] == 1
    full = core(A)
    for i in range(2):
        full.on_message(B, push(record=f"e{i}"), state, [])
    with pytest.raises(PrivateDataRefused) as refused:
        full.verify_local_submission(state, Record("risk", "x", HASH), SALT, CONTENT)
    assert refused.value.code == "pending_full"
    for _ in range(limits.pending_heights_max):
        node.on_committed(SimpleNamespace(receipts=[]), run_and_get(state), 0)
    assert node.pending_count == 2
    node.on_committed(SimpleNamespace(receipts=[]), run_and_get(state), 0)
    assert node.pending_count == 0 and node.counters["private_pending_expired"] == 2


def run_and_get(state: LedgerState) -> LedgerState:
    run_block(state, [])
    return state


def test_a_missing_content_is_pulled_from_member_peers_in_turn_then_given_up() -> None:
    state, node = chain(), core(B)
    assert node.on_committed(commit_record(state), state, 0) == []
    assert node.missing_count == 1
    peers = [A, C, OUT, NODE_B.public_key]
    first = sends(node.on_tick(state, peers, 0))
    assert first == [(A, PrivatePull("risk", "e1"))]
    assert node.on_tick(state, peers, limits.pull_interval_ms - 1) == []
    for attempt in range(1, limits.pull_attempts_max):
        assert sends(node.on_tick(state, peers, attempt * limits.pull_interval_ms)) == [
            (A, PrivatePull("risk", "e1"))
        ]
    last = node.on_tick(state, peers, limits.pull_attempts_max * limits.pull_interval_ms)
    assert [o.event for o in last if isinstance(o, LogEvent)] == ["private_content_not_fetched"]
    assert node.missing_count == 0 and node.counters["private_missing_given_up"] == 1


def test_a_pull_is_answered_to_members_only_and_the_answer_is_stored() -> None:
    state = chain()
    store = MemoryPrivateStore()
    holder, fetcher = core(A, store), core(B)
    record = commit_record(state)
    for output in holder.on_message(B, push(), state, []):
        store.carry_out(output)
    fetcher.on_committed(record, state, 0)
    assert holder.on_message(C, PrivatePull("risk", "e1"), state, []) == []
    assert holder.on_message(OUT, PrivatePull("risk", "e1"), state, []) == []
    assert holder.counters["private_pull_refused_not_member"] == 2
    assert holder.on_message(B, PrivatePull("risk", "nope"), state, []) == []
    ((peer, answer),) = sends(holder.on_message(B, PrivatePull("risk", "e1"), state, []))
    assert peer == B and answer == push()
    assert [s.content for s in saves(fetcher.on_message(A, answer, state, []))] == [CONTENT]
    assert fetcher.missing_count == 0


def test_contents_are_purged_at_their_height_and_never_stored_after() -> None:
    state, store = chain(purge=2), MemoryPrivateStore()
    node = core(B, store)
    node.on_message(A, push(), state, [])
    for output in node.on_committed(commit_record(state), state, 0):
        store.carry_out(output)
    (row,) = store.rows.values()
    assert row.purge_at_height == state.height + 2
    assert node.on_committed(SimpleNamespace(receipts=[]), run_and_get(state), 0) == []
    (purge,) = node.on_committed(SimpleNamespace(receipts=[]), run_and_get(state), 0)
    assert purge == PurgePrivateData(state.height)
    store.carry_out(purge)
    assert store.rows == {}
    assert node.on_message(A, push(), state, []) == []
    assert node.counters["private_content_purged_already"] == 1


def test_the_hash_binds_salt_and_content() -> None:
    assert hashlib.sha256(SALT + CONTENT).digest() == HASH
    assert compute_record_hash(SALT[::-1], CONTENT) != HASH
