"""Signed transactions: signed bytes, chain id, canonical encoding, several signers, limits."""

import msgspec
import pytest

from chainbook import codec, limits
from chainbook.chain.tx import (
    MISSING_SIGNATURE,
    SignedTx,
    TxBody,
    add_signature,
    decode_tx,
    fit_fee,
    get_unsigned_keys,
    prepare_tx,
    sign_tx,
    sign_tx_by,
    signing_message,
    verify_tx,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import DecodeError, InvalidSignature, TooLarge, WrongChainId


class Ping(msgspec.Struct, array_like=True, frozen=True, tag="test.ping"):
    text: str


KEY = PrivateKey.from_label("alice")
BOB = PrivateKey.from_label("bob")
CAROL = PrivateKey.from_label("carol")
EVE = PrivateKey.from_label("eve")


def parts(tx: bytes) -> tuple[SignedTx, TxBody]:
    signed = codec.decode(tx, SignedTx)
    return signed, codec.decode(signed.body, TxBody)


def reassemble(body: TxBody, signatures: tuple[bytes, ...]) -> bytes:
    return codec.encode(SignedTx(codec.encode(body), signatures))


def test_sign_and_verify() -> None:
    tx = sign_tx(KEY, "test-chain", 7, Ping("hi"), fee=12)
    decoded = verify_tx("test-chain", tx)
    assert decoded.sender == KEY.address
    assert decoded.accounts == (KEY.address,) and decoded.key_addresses == (KEY.address,)
    assert decoded.nonce == 7 and decoded.fee == 12
    assert decoded.chain_id == "test-chain"
    assert codec.decode(decoded.action_bytes, Ping) == Ping("hi")


def test_signed_message_layout_is_tag_nul_body() -> None:
    signed, _ = parts(sign_tx(KEY, "c", 0, Ping("x")))
    assert signing_message(signed.body) == b"chainbook/tx/v2\x00" + signed.body
    # [chain_id, keys, accounts (nil: the first key's address), nonce, fee, action]
    assert msgspec.msgpack.decode(signed.body) == [
        "c", [KEY.public_key], None, 0, 0, ["test.ping", "x"]
    ]


def test_wrong_chain_id_is_named() -> None:
    tx = sign_tx(KEY, "other-chain", 0, Ping("hi"))
    with pytest.raises(WrongChainId, match="other-chain"):
        verify_tx("test-chain", tx)


def test_tampered_body_fails_signature() -> None:
    signed, body = parts(sign_tx(KEY, "c", 0, Ping("hi")))
    forged = reassemble(msgspec.structs.replace(body, nonce=1), signed.signatures)
    with pytest.raises(InvalidSignature):
        verify_tx("c", forged)
    cheaper = reassemble(msgspec.structs.replace(body, fee=body.fee + 1), signed.signatures)
    with pytest.raises(InvalidSignature):  # nobody but the signer sets the fee
        verify_tx("c", cheaper)


def test_malformed_and_oversize() -> None:
    with pytest.raises(DecodeError):
        decode_tx(b"\x93\x01\x02")
    short_key = TxBody("c", (b"short",), None, 0, 0, msgspec.Raw(codec.encode(Ping("x"))))
    with pytest.raises(DecodeError, match=r"keys\[0\] must be a 32-byte public key"):
        decode_tx(reassemble(short_key, (b"s" * 64,)))
    with pytest.raises(TooLarge, match=str(limits.tx_bytes_max)):
        decode_tx(b"\x00" * (limits.tx_bytes_max + 1))


def test_negative_nonce_and_fee_are_refused() -> None:
    _, body = parts(sign_tx(KEY, "c", 0, Ping("x")))
    for field in ("nonce", "fee"):
        bad = msgspec.structs.replace(body, **{field: -1})
        with pytest.raises(DecodeError, match=f"{field} must be >= 0"):
            decode_tx(reassemble(bad, (b"s" * 64,)))


# --- several signers ----------------------------------------------------------------------------


def test_every_key_signs_the_same_body_and_the_accounts_are_named() -> None:
    tx = sign_tx_by([KEY, BOB], "c", 3, Ping("deal"), accounts=[KEY.address, BOB.address])
    decoded = verify_tx("c", tx)
    assert decoded.sender == KEY.address and decoded.nonce == 3
    assert decoded.accounts == (KEY.address, BOB.address)
    assert decoded.key_addresses == (KEY.address, BOB.address)


def test_nil_accounts_mean_the_first_key_s_address_even_with_more_keys() -> None:
    decoded = verify_tx("c", sign_tx_by([BOB, KEY], "c", 0, Ping("x")))
    assert decoded.sender == BOB.address and decoded.accounts == (BOB.address,)


def test_a_bad_co_signature_refuses_the_whole_transaction() -> None:
    signed, body = parts(sign_tx_by([KEY, BOB], "c", 0, Ping("x")))
    forged = reassemble(body, (signed.signatures[0], EVE.sign(signing_message(signed.body))))
    expected = f"signature 1 does not verify against key {BOB.public_key.hex()}"
    with pytest.raises(InvalidSignature, match=expected):
        verify_tx("c", forged)


def test_nobody_can_add_drop_or_reorder_a_signature() -> None:
    """The keys are in the signed body, so a third party's change breaks the others."""
    tx = sign_tx_by([KEY, BOB], "c", 0, Ping("x"))
    signed, body = parts(tx)
    eve_signs = EVE.sign(signing_message(signed.body))
    with_eve = msgspec.structs.replace(body, keys=(*body.keys, EVE.public_key))
    with pytest.raises(InvalidSignature, match="signature 0"):
        verify_tx("c", reassemble(with_eve, (*signed.signatures, eve_signs)))
    dropped = msgspec.structs.replace(body, keys=body.keys[:1])
    with pytest.raises(InvalidSignature, match="signature 0"):
        verify_tx("c", reassemble(dropped, signed.signatures[:1]))
    swapped = msgspec.structs.replace(body, keys=body.keys[::-1])
    with pytest.raises(InvalidSignature):
        verify_tx("c", reassemble(swapped, signed.signatures[::-1]))
    with pytest.raises(DecodeError, match="2 keys and 3 signatures"):
        verify_tx("c", codec.encode(SignedTx(signed.body, (*signed.signatures, eve_signs))))


def test_keys_and_accounts_limits_at_their_edges() -> None:
    keys = [PrivateKey.from_label(f"k{i}") for i in range(limits.tx_signatures_max + 1)]
    fits = sign_tx_by(keys[:-1], "c", 0, Ping("x"))
    assert len(verify_tx("c", fits).public_keys) == limits.tx_signatures_max
    with pytest.raises(DecodeError, match=f"1 to {limits.tx_signatures_max} keys, got 9"):
        decode_tx(sign_tx_by(keys, "c", 0, Ping("x")))
    accounts = [k.address for k in keys]
    ok = sign_tx_by(keys[:1], "c", 0, Ping("x"), accounts=accounts[:-1])
    assert len(decode_tx(ok).accounts) == limits.tx_accounts_max
    with pytest.raises(DecodeError, match=f"1 to {limits.tx_accounts_max} accounts, got 9"):
        decode_tx(sign_tx_by(keys[:1], "c", 0, Ping("x"), accounts=accounts))
    with pytest.raises(DecodeError, match="got 0"):
        decode_tx(sign_tx_by(keys[:1], "c", 0, Ping("x"), accounts=[]))


def test_repeated_keys_or_accounts_and_bad_account_bytes_are_refused() -> None:
    with pytest.raises(DecodeError, match="a key appears twice"):
        decode_tx(sign_tx_by([KEY, KEY], "c", 0, Ping("x")))
    with pytest.raises(DecodeError, match="an account appears twice"):
        decode_tx(sign_tx_by([KEY], "c", 0, Ping("x"), accounts=[KEY.address, KEY.address]))
    with pytest.raises(DecodeError, match=r"accounts\[1\] must be a 20-byte address"):
        decode_tx(sign_tx_by([KEY], "c", 0, Ping("x"), accounts=[KEY.address, b"x" * 19]))


def test_signers_add_their_signatures_offline_in_any_order() -> None:
    tx = prepare_tx("c", [KEY.public_key, BOB.public_key, CAROL.public_key], 0, Ping("x"))
    assert get_unsigned_keys(tx) == [KEY.public_key, BOB.public_key, CAROL.public_key]
    with pytest.raises(DecodeError, match="signature 0 .* is missing"):
        verify_tx("c", tx)
    for key in (CAROL, KEY, BOB):
        tx = add_signature(tx, key)
    assert get_unsigned_keys(tx) == []
    assert tx == sign_tx_by([KEY, BOB, CAROL], "c", 0, Ping("x"))  # one body, one SignedTx
    assert verify_tx("c", tx).key_addresses == (KEY.address, BOB.address, CAROL.address)
    with pytest.raises(DecodeError, match="is not a signer of this transaction"):
        add_signature(tx, EVE)
    assert parts(prepare_tx("c", [KEY.public_key], 0, Ping("x")))[0].signatures == (
        MISSING_SIGNATURE,
    )


def test_fit_fee_pays_at_least_the_rate_times_the_final_size() -> None:
    for rate in (0, 1, 3, 1_000, 10**9):
        tx = fit_fee(lambda fee: sign_tx(KEY, "c", 0, Ping("x"), fee=fee), rate)
        decoded = decode_tx(tx)
        assert decoded.fee >= rate * len(tx)
        if rate:  # the least such fee: one unit less would not cover this size
            less = sign_tx(KEY, "c", 0, Ping("x"), fee=decoded.fee - 1)
            assert decoded.fee - 1 < rate * len(less)
