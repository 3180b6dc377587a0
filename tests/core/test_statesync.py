"""State sync through the sans-IO parts only (core/statesync.py, snapshots.py, snapshot_proof.py):
real serving node cores over a real chain, a StateSyncer, honest and lying peers, simulated time.

Each lie is refused with the liar banned (Disconnect with ban_ms) and another peer asked;
nothing is restored that does not hash to the proven app hash.
"""

from __future__ import annotations

import msgspec
import pytest

from chainbook import codec
from chainbook.chain.block import Header
from chainbook.chain.commit import Commit
from chainbook.core.book import open_book
from chainbook.core.snapshot_proof import (
    PROOF_HOPS_MAX,
    InvalidSnapshotProof,
    SnapshotProof,
    ValidatorHop,
    build_snapshot_proof,
    verify_snapshot_proof,
)
from chainbook.core.snapshots import (
    CHUNK_BYTES_MAX,
    SNAPSHOT_BYTES_MAX,
    SNAPSHOT_CHUNKS_MAX,
    SNAPSHOTS_OFFERED_MAX,
    InvalidSnapshot,
    SnapshotOffer,
    assemble_state,
    decode_chunk,
    get_offer_refusal,
    make_snapshot,
)
from chainbook.core.statesync import StateSyncer, StateSyncSettings
from chainbook.core.wire import (
    ChunkRequest,
    ChunkResponse,
    SnapshotProofResponse,
    SnapshotsResponse,
    WireMessage,
    decode_message,
    encode_message,
)
from chainbook.errors import PeerMisbehaved
from chainbook.ledger.state_tree import StateTree
from tests.core.statesync_support import (
    CHAIN_HEIGHT,
    SNAPSHOT_HEIGHT,
    Peer,
    block_sync,
    boot_server,
    pump,
    restore_and_boot,
    serving_chain,
)

SERVING = serving_chain()
A, B, C = b"a" * 32, b"b" * 32, b"c" * 32


def honest(label: str = "server-a") -> Peer:
    return Peer(boot_server(SERVING, label))


def state_at_snapshot() -> dict[bytes, bytes]:
    offer = SERVING.snapshots.list_offers()[0]
    chunks = [SERVING.snapshots.load_chunk(offer.height, i) for i in range(len(offer.chunk_hashes))]
    return assemble_state(offer, [decode_chunk(c, i) for i, c in enumerate(chunks) if c])


# --- the honest path ------------------------------------------------------------------------


def test_a_snapshot_is_found_proven_fetched_and_restored_then_block_sync_reaches_the_head() -> None:
    server = honest()
    run = pump(StateSyncer(SERVING.genesis), {A: server})
    snapshot = run.restored
    assert snapshot is not None and not run.banned
    assert snapshot.height == SNAPSHOT_HEIGHT
    header_after = SERVING.chain.store.load_header_and_last_commit(SNAPSHOT_HEIGHT + 1)
    assert header_after is not None and snapshot.tree.root == header_after[0].app_hash
    assert snapshot.kv == state_at_snapshot()
    assert len(SERVING.snapshots.list_offers()[0].chunk_hashes) > 3  # several chunks fetched
    assert run.events()[-1] == "state_sync_verified"
    core, store = restore_and_boot(snapshot, SERVING.genesis)
    assert (core.height, core.ledger.state.app_hash) == (SNAPSHOT_HEIGHT, snapshot.tree.root)
    assert store.load_book_base() == SNAPSHOT_HEIGHT and store.load_block(1) is None
    block_sync(core, store, boot_server(SERVING, "server-sync"), CHAIN_HEIGHT)
    assert core.ledger.state.app_hash == SERVING.chain.ledger.state.app_hash
    # The synced book verifies from genesis as far as it holds blocks (chainbook verify).
    report = open_book(store, SERVING.genesis, repair=False).report
    assert report.corrupt_height is None and report.book_base == SNAPSHOT_HEIGHT
    assert report.height == CHAIN_HEIGHT


def test_offers_of_several_peers_are_chosen_newest_first_and_chunks_spread() -> None:
    old = serving_chain()
    peers = {A: honest("a"), B: honest("b")}
    # A third peer offers only an older snapshot of the same chain (height 2).
    older_snapshots = old.snapshots
    offer, chunks = make_snapshot(_state_after(old, 2), 2)
    older_snapshots.snapshots.clear()
    older_snapshots.save(offer, chunks)
    peers[C] = Peer(boot_server(old, "c"))
    run = pump(StateSyncer(SERVING.genesis), peers)
    assert run.restored is not None and run.restored.height == SNAPSHOT_HEIGHT
    asked = {p: [m for m in peers[p].asked if isinstance(m, ChunkRequest)] for p in peers}
    assert asked[A] and asked[B] and not asked[C]


def _state_after(serving: object, height: int) -> dict[bytes, bytes]:
    from chainbook.ledger.execute import replay_block
    from chainbook.ledger.state import LedgerState

    chain = serving.chain  # type: ignore[attr-defined]
    state = LedgerState.from_genesis(chain.genesis)
    for h in range(1, height + 1):
        block = chain.store.load_block(h)
        replay_block(state, block)
    return dict(state.kv)


# --- lying peers ----------------------------------------------------------------------------


def flip_chunk(message: WireMessage) -> WireMessage:
    if isinstance(message, ChunkResponse):
        junk = bytes([message.chunk[0] ^ 1]) + message.chunk[1:]
        return msgspec.structs.replace(message, chunk=junk)
    return message


def test_a_chunk_that_does_not_match_its_hash_bans_its_sender_and_another_peer_serves_it() -> None:
    run = pump(StateSyncer(SERVING.genesis), {A: Peer(honest().core, flip_chunk), B: honest("b")})
    assert run.restored is not None and run.restored.kv == state_at_snapshot()
    assert list(run.banned) == [A] and "does not match its hash" in run.banned[A]


def forge_state(message: WireMessage) -> WireMessage:
    """A consistent lie: chunks of another state, and an offer naming their hashes."""
    height = SNAPSHOT_HEIGHT
    forged = state_at_snapshot()
    key = max(forged)  # one value changed, so the chunks keep their number
    forged[key] = bytes([forged[key][0] ^ 1]) + forged[key][1:]
    offer, chunks = make_snapshot(forged, height, chunk_bytes_target=120)
    if isinstance(message, SnapshotsResponse):
        return SnapshotsResponse(offers=[offer])
    if isinstance(message, ChunkResponse):
        return msgspec.structs.replace(message, chunk=chunks[message.index])
    return message


def test_a_state_not_hashing_to_the_proven_app_hash_is_refused_and_its_offerers_banned() -> None:
    liar = Peer(boot_server(SERVING, "liar"), forge_state)
    # The liar alone: its offer is the only one, chosen, fetched, and refused.
    run = pump(StateSyncer(SERVING.genesis), {A: liar}, deadline_ms=30_000)
    assert run.restored is None
    assert list(run.banned) == [A] and "false snapshot" in run.banned[A]
    assert "state_sync_snapshot_refused" in run.events()
    # Two liars and an honest peer: the lie, offered by more peers, is chosen first; both
    # liars are banned, then the honest snapshot is restored.
    liars = {p: Peer(boot_server(SERVING, f"liar-{p[0]}"), forge_state) for p in (A, C)}
    run = pump(StateSyncer(SERVING.genesis), {**liars, B: honest("b")})
    assert run.restored is not None and run.restored.kv == state_at_snapshot()
    assert sorted(run.banned) == [A, C]
    assert run.events().index("state_sync_snapshot_refused") < run.events().index(
        "state_sync_verified"
    )


def test_a_proof_that_does_not_hold_bans_its_sender() -> None:
    def other_commit(message: WireMessage) -> WireMessage:
        if isinstance(message, SnapshotProofResponse):
            proof = message.proof
            wrong = SERVING.chain.store.load_commit(SNAPSHOT_HEIGHT)  # certifies another block
            return SnapshotProofResponse(
                msgspec.structs.replace(proof, next_commit=codec.encode(wrong))
            )
        return message

    run = pump(StateSyncer(SERVING.genesis), {A: Peer(honest().core, other_commit), B: honest("b")})
    assert run.restored is not None
    assert list(run.banned) == [A] and "snapshot proof refused" in run.banned[A]


def test_a_peer_that_never_answers_chunks_times_out_and_another_is_asked() -> None:
    def silent_chunks(message: WireMessage) -> WireMessage | None:
        return None if isinstance(message, ChunkResponse) else message

    settings = StateSyncSettings(request_timeout_ms=2_000)
    peers = {A: Peer(honest().core, silent_chunks), B: honest("b")}
    syncer = StateSyncer(SERVING.genesis, settings)
    run = pump(syncer, peers)
    assert run.restored is not None and not run.banned
    assert syncer.counters["chunk_timeout"] >= 1 and "state_sync_chunk_timeout" in run.events()


def test_with_no_snapshot_anywhere_it_waits_and_asks_again() -> None:
    empty = serving_chain()
    empty.snapshots.snapshots.clear()
    syncer = StateSyncer(empty.genesis, StateSyncSettings(rediscover_ms=5_000))
    run = pump(syncer, {A: Peer(boot_server(empty, "empty"))}, deadline_ms=30_000)
    assert run.restored is None and not run.banned
    assert syncer.counters["no_offer"] >= 4  # asked again every 5 s of the 30
    assert "state_sync_waiting" in run.events()


def test_a_malformed_or_oversized_frame_bans_the_peer() -> None:
    def oversized(payload: bytes) -> list[bytes]:
        request = decode_message(payload)
        if isinstance(request, ChunkRequest):
            big = ChunkResponse(request.height, request.index, b"\x00" * (CHUNK_BYTES_MAX + 1))
            return [encode_message(big)]
        return honest("c").answer(payload, 0)

    run = pump(
        StateSyncer(SERVING.genesis),
        {B: honest("b")},
        raw={A: lambda payload: [b"\xc1 not msgpack"], C: oversized},
    )
    assert run.restored is not None
    assert "malformed message" in run.banned[A]
    assert f"limit {CHUNK_BYTES_MAX}" in run.banned[C]


def test_an_unsolicited_answer_is_a_counted_no_op() -> None:
    syncer = StateSyncer(SERVING.genesis)
    peer = honest()
    proof = build_snapshot_proof(SERVING.chain.store, [], SNAPSHOT_HEIGHT)
    assert proof is not None
    from chainbook.core.inputs import FrameReceived

    chunk = SERVING.snapshots.load_chunk(SNAPSHOT_HEIGHT, 0)
    assert chunk is not None
    for message in (
        SnapshotsResponse(offers=SERVING.snapshots.list_offers()),
        SnapshotProofResponse(proof),
        ChunkResponse(SNAPSHOT_HEIGHT, 0, chunk),
    ):
        assert syncer.handle(FrameReceived(A, encode_message(message)), 0) == []
    assert syncer.counters["offers_unsolicited"] == 1
    assert syncer.counters["proof_unsolicited"] == 1
    assert syncer.counters["chunk_unsolicited"] == 1
    assert not syncer.offers and peer.asked == []


# --- the rules of each part, at their edges ---------------------------------------------------


def test_offers_out_of_bounds_are_refused_by_name() -> None:
    offer = SERVING.snapshots.list_offers()[0]
    assert get_offer_refusal(offer) is None
    cases = {
        "format": msgspec.structs.replace(offer, format=2),
        "chunks, accepted": msgspec.structs.replace(
            offer, chunk_hashes=[bytes(32)] * (SNAPSHOT_CHUNKS_MAX + 1)
        ),
        "bytes in": msgspec.structs.replace(offer, state_bytes=SNAPSHOT_BYTES_MAX + 1),
        "not 32 bytes": msgspec.structs.replace(offer, chunk_hashes=[b"short"]),
    }
    for words, bad in cases.items():
        refusal = get_offer_refusal(bad)
        assert refusal is not None and words in refusal, (words, refusal)
    at_edge = msgspec.structs.replace(
        offer, chunk_hashes=[bytes(32)] * SNAPSHOT_CHUNKS_MAX, state_bytes=SNAPSHOT_BYTES_MAX
    )
    assert get_offer_refusal(at_edge) is None
    too_many = SnapshotsResponse(offers=[offer] * (SNAPSHOTS_OFFERED_MAX + 1))
    with pytest.raises(PeerMisbehaved, match="offers"):
        decode_message(encode_message(too_many))
    decode_message(encode_message(SnapshotsResponse(offers=[offer] * SNAPSHOTS_OFFERED_MAX)))


def test_chunks_must_be_canonical_sorted_and_continue_each_other() -> None:
    kv = {bytes([k]) * 3: bytes([k]) for k in range(1, 40)}
    offer, chunks = make_snapshot(kv, 3, chunk_bytes_target=20)
    decoded = [decode_chunk(c, i) for i, c in enumerate(chunks)]
    assert assemble_state(offer, decoded) == kv
    restored = assemble_state(offer, decoded)
    assert StateTree.from_items(restored).root == StateTree.from_items(kv).root
    with pytest.raises(InvalidSnapshot, match="out of order"):
        decode_chunk(codec.encode([(b"b", b"1"), (b"a", b"2")]), 0)
    with pytest.raises(InvalidSnapshot, match="out of order"):
        decode_chunk(codec.encode([(b"a", b"1"), (b"a", b"2")]), 0)
    with pytest.raises(InvalidSnapshot, match="not a list"):
        decode_chunk(b"\x92\x01", 0)
    with pytest.raises(InvalidSnapshot, match="follow chunk"):
        assemble_state(offer, [decoded[1], decoded[0], *decoded[2:]])
    with pytest.raises(InvalidSnapshot, match="entries"):
        assemble_state(msgspec.structs.replace(offer, entries=offer.entries + 1), decoded)


def test_proof_checks_each_name_what_failed() -> None:
    proof = build_snapshot_proof(SERVING.chain.store, [], SNAPSHOT_HEIGHT)
    assert proof is not None
    anchor = verify_snapshot_proof(SERVING.genesis, proof, SNAPSHOT_HEIGHT)
    following = SERVING.chain.store.load_header_and_last_commit(SNAPSHOT_HEIGHT + 1)
    assert following is not None and anchor.app_hash == following[0].app_hash
    other_header = codec.encode(_header(SNAPSHOT_HEIGHT + 2))
    forged_hop = _forged_hop()
    lies = {
        "asked for": msgspec.structs.replace(proof, height=SNAPSHOT_HEIGHT - 1),
        "expected 4 and 5": msgspec.structs.replace(proof, next_header=other_header),
        "not the parent": msgspec.structs.replace(proof, base_block=_pruned_changed(time=True)),
        "last_commit does not match": msgspec.structs.replace(
            proof, base_block=_pruned_changed(time=False)
        ),
        "changes no validator": msgspec.structs.replace(proof, hops=[forged_hop]),
        "at most": msgspec.structs.replace(proof, hops=[forged_hop] * (PROOF_HOPS_MAX + 1)),
    }
    for words, lie in lies.items():
        with pytest.raises(InvalidSnapshotProof) as refused:
            verify_snapshot_proof(SERVING.genesis, lie, SNAPSHOT_HEIGHT)
        if words == "expected 4 and 5":
            words = f"expected {SNAPSHOT_HEIGHT} and {SNAPSHOT_HEIGHT + 1}"
        assert words in str(refused.value), (words, str(refused.value))


def test_a_proof_from_a_genesis_of_other_validators_is_refused() -> None:
    other = serving_chain(validators=3)  # the same accounts, another validator set
    proof = build_snapshot_proof(other.chain.store, [], SNAPSHOT_HEIGHT)
    assert proof is not None
    with pytest.raises(InvalidSnapshotProof, match="validator set"):
        verify_snapshot_proof(SERVING.genesis, proof, SNAPSHOT_HEIGHT)


def _header(height: int) -> Header:
    found = SERVING.chain.store.load_header_and_last_commit(height)
    assert found is not None
    return found[0]


def _pruned_changed(*, time: bool) -> bytes:
    """Block C in its pruned form with its header's time changed, or its last_commit left out."""
    from chainbook.chain.block import Block, encode_block

    block = SERVING.chain.store.load_block(SNAPSHOT_HEIGHT)
    assert block is not None
    if time:
        header = msgspec.structs.replace(block.header, time_ms=block.header.time_ms + 1)
        return encode_block(Block(header=header, txs=[], last_commit=block.last_commit))
    return encode_block(Block(header=block.header, txs=[], last_commit=None))


def _forged_hop() -> ValidatorHop:
    """Header 2 as it is (its set does not change), presented as a change."""
    header = _header(2)
    commit = SERVING.chain.store.load_commit(2)
    assert isinstance(commit, Commit)
    return ValidatorHop(
        header=codec.encode(header),
        commit=codec.encode(commit),
        validators=codec.encode(SERVING.genesis.validator_set.validators),
    )


def test_snapshot_offer_identity_is_its_content() -> None:
    offer = SERVING.snapshots.list_offers()[0]
    again, _ = make_snapshot(state_at_snapshot(), SNAPSHOT_HEIGHT, chunk_bytes_target=120)
    assert again == offer and again.hash == offer.hash
    assert isinstance(offer, SnapshotOffer) and isinstance(SnapshotProof, type)


def test_chunks_past_the_bytes_an_offer_declared_are_refused() -> None:
    def understate(message: WireMessage) -> WireMessage:
        if isinstance(message, SnapshotsResponse):
            offers = [
                msgspec.structs.replace(o, state_bytes=o.state_bytes - 1) for o in message.offers
            ]
            return SnapshotsResponse(offers=offers)
        return message

    run = pump(StateSyncer(SERVING.genesis), {A: Peer(honest().core, understate)}, 30_000)
    assert run.restored is None
    assert list(run.banned) == [A] and "more than the" in run.banned[A]
