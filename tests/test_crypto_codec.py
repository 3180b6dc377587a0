"""Ed25519 keys and addresses, canonical MessagePack decoding."""

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainbook import codec
from chainbook.crypto import PrivateKey, address_from_public_key, parse_address, verify_signature
from chainbook.errors import DecodeError


def test_rfc8032_test_vector_1() -> None:
    # RFC 8032 section 7.1, TEST 1 (empty message).
    key = PrivateKey(
        bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    assert key.public_key.hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


@given(st.binary(max_size=200))
def test_sign_verify_and_tamper(message: bytes) -> None:
    key = PrivateKey.from_label("alice")
    signature = key.sign(message)
    assert verify_signature(key.public_key, message, signature)
    assert not verify_signature(key.public_key, message + b"!", signature)
    assert not verify_signature(PrivateKey.from_label("bob").public_key, message, signature)
    assert not verify_signature(key.public_key, message, signature[:-1])


def test_address_is_first_20_bytes_of_sha256() -> None:
    key = PrivateKey.from_label("alice")
    address = address_from_public_key(key.public_key)
    assert len(address) == 20
    assert parse_address(address.hex()) == address
    assert parse_address("0x" + address.hex()) == address
    with pytest.raises(ValueError, match="40 hex"):
        parse_address("zz")


class Point(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    x: int
    y: bytes


def test_decode_refuses_wrong_types_and_extra_fields() -> None:
    with pytest.raises(DecodeError, match="Point"):
        codec.decode(codec.encode(["1", b""]), Point)
    with pytest.raises(DecodeError):
        codec.decode(codec.encode([1, b"", 3]), Point)
    with pytest.raises(DecodeError, match="malformed"):
        codec.decode(b"\xc1", Point)


def test_decode_canonical_refuses_non_shortest_encoding() -> None:
    canonical = codec.encode(Point(x=1, y=b"a"))
    assert codec.decode_canonical(canonical, Point) == Point(x=1, y=b"a")
    # 0xcd = uint16: the integer 1 written in three bytes instead of one.
    padded = b"\x92\xcd\x00\x01\xc4\x01a"
    assert codec.decode(padded, Point) == Point(x=1, y=b"a")
    with pytest.raises(DecodeError, match="non-canonical"):
        codec.decode_canonical(padded, Point)


@given(st.integers(0, 2**64 - 1), st.binary(max_size=64))
def test_round_trip(x: int, y: bytes) -> None:
    assert codec.decode_canonical(codec.encode(Point(x=x, y=y)), Point) == Point(x=x, y=y)
