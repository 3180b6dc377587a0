"""Signed transactions: signed bytes, chain id, canonical encoding, size limit."""

import msgspec
import pytest

from chainbook import codec, limits
from chainbook.chain.tx import SignedTx, TxBody, decode_tx, sign_tx, signing_message, verify_tx
from chainbook.crypto import PrivateKey
from chainbook.errors import DecodeError, InvalidSignature, TooLarge, WrongChainId


class Ping(msgspec.Struct, array_like=True, frozen=True, tag="test.ping"):
    text: str


KEY = PrivateKey.from_label("alice")


def test_sign_and_verify() -> None:
    tx = sign_tx(KEY, "test-chain", 7, Ping("hi"))
    decoded = verify_tx("test-chain", tx)
    assert decoded.sender == KEY.address
    assert decoded.nonce == 7
    assert decoded.chain_id == "test-chain"
    assert codec.decode(decoded.action_bytes, Ping) == Ping("hi")


def test_signed_message_layout_is_tag_nul_body() -> None:
    tx = codec.decode(sign_tx(KEY, "c", 0, Ping("x")), SignedTx)
    assert signing_message(tx.body) == b"chainbook/tx/v1\x00" + tx.body
    # The body is [chain_id, nonce, action] with the action as [tag, fields...].
    assert msgspec.msgpack.decode(tx.body) == ["c", 0, ["test.ping", "x"]]


def test_wrong_chain_id_is_named() -> None:
    tx = sign_tx(KEY, "other-chain", 0, Ping("hi"))
    with pytest.raises(WrongChainId, match="other-chain"):
        verify_tx("test-chain", tx)


def test_tampered_body_fails_signature() -> None:
    signed = codec.decode(sign_tx(KEY, "c", 0, Ping("hi")), SignedTx)
    body = codec.decode(signed.body, TxBody)
    forged_body = codec.encode(TxBody(chain_id="c", nonce=1, action=body.action))
    forged = codec.encode(SignedTx(forged_body, signed.public_key, signed.signature))
    with pytest.raises(InvalidSignature):
        verify_tx("c", forged)


def test_malformed_and_oversize() -> None:
    with pytest.raises(DecodeError):
        decode_tx(b"\x93\x01\x02")
    with pytest.raises(DecodeError, match="public_key"):
        decode_tx(codec.encode(SignedTx(b"\x90", b"short", b"s" * 64)))
    with pytest.raises(TooLarge, match=str(limits.tx_bytes_max)):
        decode_tx(b"\x00" * (limits.tx_bytes_max + 1))
