"""The Hello checks on their own (no sockets): each refusal, its reason and its detail."""

from __future__ import annotations

import msgspec
import pytest

from chainbook.p2p.dialer import Backoff
from chainbook.p2p.frames import FRAME_HEADER_BYTES
from chainbook.p2p.handshake import (
    CHAIN_ID_BYTES_MAX,
    HELLO_BYTES_MAX,
    NETWORK_ID_BYTES_MAX,
    PROTOCOL_VERSION,
    HandshakeRefused,
    Hello,
    encode_hello,
    verify_hello,
    verify_pinned_peer_id,
)
from chainbook.p2p.reasons import CloseReason

KEY = bytes([1]) * 32
OTHER_KEY = bytes([2]) * 32
OURS = Hello(PROTOCOL_VERSION, "chain", bytes([9]) * 32, 26600, network_id=bytes([0xAA]) * 32)


def theirs(**changes: object) -> Hello:
    fields = {
        "protocol_version": PROTOCOL_VERSION,
        "chain_id": "chain",
        "public_key": KEY,
        "listen_port": 26601,
        "network_id": bytes([0xAA]) * 32,
    }
    fields.update(changes)
    return Hello(**fields)  # type: ignore[arg-type]


def refusal(hello: Hello) -> HandshakeRefused:
    with pytest.raises(HandshakeRefused) as caught:
        verify_hello(OURS, hello, KEY)
    assert caught.value.peer_id == KEY
    return caught.value


def test_a_matching_hello_passes() -> None:
    verify_hello(OURS, theirs(), KEY)


@pytest.mark.parametrize(
    ("changes", "reason", "detail"),
    [
        ({"protocol_version": 1}, CloseReason.PROTOCOL_VERSION_MISMATCH, "ours=2 theirs=1"),
        ({"chain_id": "other"}, CloseReason.CHAIN_ID_MISMATCH, "ours='chain' theirs='other'"),
        (
            {"network_id": bytes([0xBB]) * 32},
            CloseReason.NETWORK_ID_MISMATCH,
            "ours=aaaaaaaaaaaaaaaa... theirs=bbbbbbbbbbbbbbbb...",
        ),
        ({"network_id": b""}, CloseReason.NETWORK_ID_MISMATCH, "theirs=(empty)"),
        ({"public_key": OTHER_KEY}, CloseReason.HELLO_KEY_MISMATCH, OTHER_KEY.hex()),
    ],
)
def test_each_mismatch_is_refused_naming_both_values(
    changes: dict[str, object], reason: CloseReason, detail: str
) -> None:
    refused = refusal(theirs(**changes))
    assert refused.reason is reason
    assert detail in refused.detail


def test_the_checks_run_in_order_protocol_chain_network_key() -> None:
    everything_wrong = theirs(
        protocol_version=1, chain_id="x", network_id=b"", public_key=OTHER_KEY
    )
    assert refusal(everything_wrong).reason is CloseReason.PROTOCOL_VERSION_MISMATCH
    assert refusal(theirs(chain_id="x", network_id=b"")).reason is CloseReason.CHAIN_ID_MISMATCH


def test_a_pinned_id_must_match_the_certificate_key() -> None:
    verify_pinned_peer_id(None, KEY)
    verify_pinned_peer_id(KEY, KEY)
    with pytest.raises(HandshakeRefused) as caught:
        verify_pinned_peer_id(OTHER_KEY, KEY)
    assert caught.value.reason is CloseReason.PEER_ID_MISMATCH
    assert OTHER_KEY.hex() in caught.value.detail and KEY.hex() in caught.value.detail


def test_the_largest_hello_fits_its_frame_and_one_byte_more_does_not_decode() -> None:
    largest = Hello(
        PROTOCOL_VERSION,
        "c" * CHAIN_ID_BYTES_MAX,
        KEY,
        65535,
        network_id=b"n" * NETWORK_ID_BYTES_MAX,
    )
    assert len(encode_hello(largest)) <= FRAME_HEADER_BYTES + HELLO_BYTES_MAX
    decoder = msgspec.msgpack.Decoder(Hello)
    too_long = msgspec.msgpack.encode(
        {**msgspec.structs.asdict(largest), "network_id": b"n" * (NETWORK_ID_BYTES_MAX + 1)}
    )
    with pytest.raises(msgspec.ValidationError, match="network_id"):
        decoder.decode(too_long)


def test_a_hello_without_network_id_decodes_as_empty() -> None:
    """What a raw client that builds a Hello positionally sends (see tests/e2e)."""
    legacy = msgspec.msgpack.encode(
        {"protocol_version": 2, "chain_id": "c", "public_key": KEY, "listen_port": 1}
    )
    assert msgspec.msgpack.decode(legacy, type=Hello).network_id == b""


def test_backoff_doubles_up_to_its_cap_and_resets() -> None:
    backoff = Backoff(0.1, 0.5)
    assert [backoff.next_s() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    backoff.reset()
    assert backoff.next_s() == 0.1
    with pytest.raises(ValueError, match="initial_s <= .*max_s"):
        Backoff(1.0, 0.5)
    with pytest.raises(ValueError):
        Backoff(0, 0.5)
