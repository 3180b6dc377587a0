"""Signature checks in worker processes give exactly what verify_tx gives inline."""

from __future__ import annotations

import asyncio

from chainbook import codec
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import SignedTx, sign_tx, verify_tx
from chainbook.crypto import PrivateKey
from chainbook.errors import DecodeError, InvalidInput, InvalidSignature, WrongChainId
from chainbook.node.verifier import SignatureVerifier

CHAIN = "verifier-test"


def make_txs() -> list[bytes]:
    key = PrivateKey.from_label("alice")
    to = PrivateKey.from_label("bob").address
    good = [sign_tx(key, CHAIN, n, Transfer(to=to, amount=1 + n)) for n in range(40)]
    signed = codec.decode(good[5], SignedTx)
    forged = codec.encode(SignedTx(signed.body, signed.public_key, bytes(64)))
    other_chain = sign_tx(key, "other-chain", 0, Transfer(to=to, amount=1))
    return [*good[:5], forged, other_chain, b"\xc1 garbage", *good[5:]]


def test_results_match_inline_verification_in_order() -> None:
    txs = make_txs()

    async def run() -> list[object]:
        verifier = SignatureVerifier(CHAIN, workers=2)
        try:
            return list(await verifier.verify(txs))
        finally:
            verifier.close()

    results = asyncio.run(run())
    assert len(results) == len(txs)
    for tx, result in zip(txs, results, strict=True):
        try:
            expected = verify_tx(CHAIN, tx)
        except InvalidInput as exc:
            assert type(result) is type(exc) and str(result) == str(exc)
        else:
            assert result == expected
    assert isinstance(results[5], InvalidSignature)
    assert isinstance(results[6], WrongChainId)
    assert isinstance(results[7], DecodeError)


def test_empty_batch_needs_no_worker() -> None:
    async def run() -> list[object]:
        verifier = SignatureVerifier(CHAIN, workers=1)
        try:
            return list(await verifier.verify([]))
        finally:
            verifier.close()

    assert asyncio.run(run()) == []
