"""Peer addresses: ``[id@]host:port``, with errors that say what was wrong and what is accepted."""

from __future__ import annotations

import pytest

from chainbook.p2p.address import (
    PEER_ADDRESS_CHARS_MAX,
    PeerAddress,
    PeerAddressError,
    parse_peer_address,
)

NODE_ID = bytes(range(32))
NODE_ID_HEX = NODE_ID.hex()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:26600", PeerAddress("127.0.0.1", 26600)),
        ("node-1.example.org:1", PeerAddress("node-1.example.org", 1)),
        ("localhost:65535", PeerAddress("localhost", 65535)),
        ("[::1]:26600", PeerAddress("::1", 26600)),
        ("[2001:db8::7]:443", PeerAddress("2001:db8::7", 443)),
        (f"{NODE_ID_HEX}@10.0.0.2:26600", PeerAddress("10.0.0.2", 26600, NODE_ID)),
        (f"{NODE_ID_HEX.upper()}@[::1]:7", PeerAddress("::1", 7, NODE_ID)),
    ],
)
def test_good_addresses_parse(text: str, expected: PeerAddress) -> None:
    assert parse_peer_address(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("127.0.0.1", "no ':<port>'"),
        ("127.0.0.1:", "port '' is not a decimal number"),
        ("127.0.0.1:http", "port 'http' is not a decimal number"),
        ("127.0.0.1:-1", "port '-1' is not a decimal number"),
        ("127.0.0.1:0", "port 0 is outside 1..65535"),
        ("127.0.0.1:65536", "port 65536 is outside 1..65535"),
        ("127.0.0.1:２６", "is not a decimal number"),  # non-ASCII digits
        (":26600", "empty host"),
        ("my host:26600", "contains ' '"),
        ("::1:26600", "IPv6 address '::1' must be in brackets"),
        ("[::1:26600", "'[' without a closing ']'"),
        ("[::1]26600", "no ':<port>' after the bracketed IPv6 address"),
        ("[127.0.0.1]:26600", "'127.0.0.1' in brackets is not an IPv6 address"),
        ("[::1]:0", "port 0 is outside 1..65535"),
        (f"{NODE_ID_HEX[:-2]}@127.0.0.1:26600", "node id has 62 characters, needs 64 hex"),
        (f"{NODE_ID_HEX}00@127.0.0.1:26600", "node id has 66 characters"),
        ("z" * 64 + "@127.0.0.1:26600", "is not hex"),
        ("@127.0.0.1:26600", "node id has 0 characters"),
        (f"a@{NODE_ID_HEX}@127.0.0.1:1", "node id has 66 characters"),
    ],
)
def test_bad_addresses_say_what_is_wrong_and_what_is_accepted(text: str, problem: str) -> None:
    with pytest.raises(PeerAddressError) as caught:
        parse_peer_address(text)
    message = str(caught.value)
    assert problem in message
    assert "expected [<node id: 64 hex digits>@]<host>:<port>" in message
    assert isinstance(caught.value, ValueError)


def test_address_length_is_bounded_at_its_edge() -> None:
    host = "a" * (PEER_ADDRESS_CHARS_MAX - len(":1"))
    assert parse_peer_address(f"{host}:1").host == host
    with pytest.raises(PeerAddressError, match=f"at most {PEER_ADDRESS_CHARS_MAX}"):
        parse_peer_address(f"a{host}:1")


def test_an_address_prints_as_it_parses() -> None:
    for text in ("127.0.0.1:5", "[::1]:5", f"{NODE_ID_HEX}@[::1]:5", f"{NODE_ID_HEX}@h:5"):
        assert str(parse_peer_address(text)) == text
