"""A peer that sends junk with a valid certificate is disconnected and banned, at the core.

The rule (core/node.py): provable protocol faults are counted per peer; at
limits.peer_faults_max within CoreSettings.peer_fault_window_ms the core emits
Disconnect(peer, reason, ban_ms=CoreSettings.peer_fault_ban_ms). Each test drives one core through
its inputs and reads its outputs; the edge of every bound is tested on both sides.
"""

from __future__ import annotations

import msgspec
import pytest

from chainbook import limits
from chainbook.chain.commit import NIL, Vote, VoteType, sign_vote
from chainbook.chain.genesis import Genesis
from chainbook.consensus.messages import VoteMessage
from chainbook.core.boot import boot_core
from chainbook.core.inputs import FrameReceived, PeerConnected
from chainbook.core.node import PEER_FAULT_REFUSALS, CoreSettings, NodeCore
from chainbook.core.outputs import Disconnect, LogEvent, Output, Send
from chainbook.core.wire import (
    StatusMessage,
    SyncRequest,
    SyncResponse,
    decode_message,
    encode_message,
)
from chainbook.crypto import PrivateKey
from chainbook.storage import MemoryBlockStore
from tests.support import GENESIS_TIME_MS, make_genesis, validator_keys

NOW_MS = GENESIS_TIME_MS + 1_000
PEER = b"p" * 32
OTHER_PEER = b"q" * 32
SETTINGS = CoreSettings()
Net = tuple[NodeCore, list[PrivateKey]]


def boot(genesis: Genesis, key: PrivateKey) -> NodeCore:
    core = boot_core(
        genesis=genesis, key=key, store=MemoryBlockStore(), record=None, settings=SETTINGS
    ).core
    core.start(NOW_MS)
    return core


@pytest.fixture
def network() -> Net:
    keys = validator_keys(4)
    return boot(make_genesis(validators=keys), keys[0]), keys


def disconnects(outputs: list[Output]) -> list[Disconnect]:
    return [o for o in outputs if isinstance(o, Disconnect)]


def prevote(key: PrivateKey, core: NodeCore, round_: int = 0) -> VoteMessage:
    vote = Vote(type=VoteType.PREVOTE, height=1, round=round_, block_hash=NIL)
    return VoteMessage(vote=sign_vote(key, core.chain_id, vote))


def forged(message: VoteMessage) -> bytes:
    """The vote with one bit of its signature flipped: what no honest sender makes."""
    signature = bytearray(message.vote.signature)
    signature[0] ^= 1
    bad = msgspec.structs.replace(message.vote, signature=bytes(signature))
    return encode_message(VoteMessage(vote=bad))


def feed_junk(core: NodeCore, peer: bytes, count: int, now_ms: int = NOW_MS) -> list[Output]:
    outputs: list[Output] = []
    key = validator_keys(4)[1]
    for round_ in range(count):
        outputs += core.handle(FrameReceived(peer, forged(prevote(key, core, round_))), now_ms)
    return outputs


def test_junk_votes_ban_their_peer_at_the_bound_and_not_before(network: Net) -> None:
    core, _ = network
    before = feed_junk(core, PEER, limits.peer_faults_max - 1)
    assert disconnects(before) == [], "banned before the bound"
    assert core.machine.counters["vote_bad_signature"] == limits.peer_faults_max - 1
    at = feed_junk(core, PEER, 1)
    (ban,) = disconnects(at)
    assert ban.peer_id == PEER and ban.ban_ms == SETTINGS.peer_fault_ban_ms > 0
    assert "invalid_consensus_message" in ban.reason
    logged = [o for o in at if isinstance(o, LogEvent) and o.event == "peer_banned"]
    assert logged and logged[0].fields["faults"] == limits.peer_faults_max
    assert core.counters["peer_banned"] == 1


def test_valid_votes_are_never_counted_as_faults(network: Net) -> None:
    core, keys = network
    outputs: list[Output] = []
    for round_ in range(3 * limits.peer_faults_max):
        frame = encode_message(prevote(keys[1 + round_ % 3], core, round_ % 50))
        outputs += core.handle(FrameReceived(PEER, frame), NOW_MS)
    assert disconnects(outputs) == []
    assert core.counters["peer_fault_invalid_consensus_message"] == 0


def test_a_vote_signed_by_a_key_that_is_no_validator_is_a_fault(network: Net) -> None:
    core, _ = network
    outsider = PrivateKey.from_label("not a validator")
    outputs: list[Output] = []
    for round_ in range(limits.peer_faults_max):
        frame = encode_message(prevote(outsider, core, round_))
        outputs += core.handle(FrameReceived(PEER, frame), NOW_MS)
    assert core.machine.counters["vote_not_validator"] == limits.peer_faults_max
    assert [d.peer_id for d in disconnects(outputs)] == [PEER]


def test_faults_are_counted_per_peer(network: Net) -> None:
    core, _ = network
    half = limits.peer_faults_max // 2
    outputs = feed_junk(core, PEER, half) + feed_junk(core, OTHER_PEER, limits.peer_faults_max - 1)
    outputs += feed_junk(core, PEER, limits.peer_faults_max - 1 - half)
    assert disconnects(outputs) == [], "one peer's junk counted against another"


def test_a_count_older_than_the_window_starts_again(network: Net) -> None:
    core, _ = network
    feed_junk(core, PEER, limits.peer_faults_max - 1, NOW_MS)
    later = NOW_MS + SETTINGS.peer_fault_window_ms + 1
    assert disconnects(feed_junk(core, PEER, limits.peer_faults_max - 1, later)) == []
    assert disconnects(feed_junk(core, PEER, 1, later))


def test_malformed_frames_disconnect_at_once_and_ban_at_the_bound(network: Net) -> None:
    core, _ = network
    for _ in range(limits.peer_faults_max - 1):
        (plain,) = disconnects(core.handle(FrameReceived(PEER, b"\x93junk"), NOW_MS))
        assert plain.ban_ms == 0 and "malformed" in plain.reason
    (ban,) = disconnects(core.handle(FrameReceived(PEER, b"\x93junk"), NOW_MS))
    assert ban.ban_ms == SETTINGS.peer_fault_ban_ms


def test_a_peer_that_lies_about_its_height_and_answers_empty_is_banned(network: Net) -> None:
    core, _ = network
    core.handle(PeerConnected(PEER), NOW_MS)
    outputs: list[Output] = []
    for attempt in range(limits.peer_faults_max):
        now = NOW_MS + attempt * (SETTINGS.sync_retry_ms + 1)
        asked = core.handle(FrameReceived(PEER, encode_message(StatusMessage(height=10**6))), now)
        requests = [decode_message(o.payload) for o in asked if isinstance(o, Send)]
        assert [type(r) for r in requests] == [SyncRequest], "the claimed height was not asked"
        outputs += core.handle(FrameReceived(PEER, encode_message(SyncResponse(blocks=[]))), now)
    assert core.counters["peer_fault_sync_response_empty"] == limits.peer_faults_max
    assert [d.peer_id for d in disconnects(outputs)] == [PEER]


def test_tracked_peers_are_bounded_oldest_first_out(
    network: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    core, _ = network
    monkeypatch.setattr(limits, "peer_fault_peers_tracked_max", 2)
    feed_junk(core, PEER, limits.peer_faults_max - 1)
    feed_junk(core, b"a" * 32, 1)
    feed_junk(core, b"b" * 32, 1)  # pushes PEER's count out
    assert PEER not in core._peer_faults and len(core._peer_faults) == 2
    assert disconnects(feed_junk(core, PEER, 1)) == []


def test_every_fault_refusal_is_a_name_the_machine_counts() -> None:
    """A renamed refusal in consensus/checks.py would silently stop the ban: pin the names."""
    import inspect

    from chainbook.consensus import checks

    source = inspect.getsource(checks)
    for reason in PEER_FAULT_REFUSALS:
        assert f'"{reason.removeprefix("next_height_")}"' in source, reason
