"""Signature checks in worker processes give exactly what verify_tx gives inline."""

from __future__ import annotations

import asyncio
import io
import struct

import msgspec

from chainbook import codec
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import (
    DecodedTx,
    SignedTx,
    add_signature,
    prepare_tx,
    sign_tx,
    sign_tx_by,
    verify_tx,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import DecodeError, InvalidInput, InvalidSignature, WrongChainId
from chainbook.runtime.verifier import SignatureVerifier, serve_requests

CHAIN = "verifier-test"


def make_txs() -> list[bytes]:
    """40 good one-key transactions with, at 5..12: a forged signature, another chain's, junk,
    a good two-key one, one whose co-signature is forged, one with a co-signature missing,
    one listing a key twice (both signatures good), and a good three-key one."""
    key = PrivateKey.from_label("alice")
    bob, carol = PrivateKey.from_label("bob"), PrivateKey.from_label("carol")
    to = bob.address
    good = [sign_tx(key, CHAIN, n, Transfer(to=to, amount=1 + n)) for n in range(40)]
    signed = codec.decode(good[5], SignedTx)
    forged = codec.encode(SignedTx(signed.body, (bytes(64),)))
    other_chain = sign_tx(key, "other-chain", 0, Transfer(to=to, amount=1))
    pair = sign_tx_by([key, bob], CHAIN, 0, Transfer(to=to, amount=1))
    two = codec.decode(pair, SignedTx)
    bad_cosigner = codec.encode(SignedTx(two.body, (two.signatures[0], carol.sign(b"x"))))
    both = [key.public_key, bob.public_key]
    missing = add_signature(prepare_tx(CHAIN, both, 0, Transfer(to=to, amount=2)), key)
    twice = sign_tx_by([key, key], CHAIN, 0, Transfer(to=to, amount=3))
    three = sign_tx_by([key, bob, carol], CHAIN, 0, Transfer(to=to, amount=4))
    odd = [forged, other_chain, b"\xc1 garbage", pair, bad_cosigner, missing, twice, three]
    return [*good[:5], *odd, *good[5:]]


def test_results_match_inline_verification_in_order() -> None:
    txs = make_txs()

    async def run() -> list[object]:
        verifier = SignatureVerifier(CHAIN, workers=2)
        try:
            return list(await verifier.verify(txs))
        finally:
            await verifier.aclose()

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
    assert isinstance(results[8], DecodedTx) and len(results[8].public_keys) == 2
    assert isinstance(results[9], InvalidSignature) and "signature 1" in str(results[9])
    assert isinstance(results[10], DecodeError) and "missing" in str(results[10])
    assert isinstance(results[11], DecodeError) and "twice" in str(results[11])
    assert isinstance(results[12], DecodedTx) and len(results[12].public_keys) == 3


def test_empty_batch_needs_no_worker() -> None:
    async def run() -> list[object]:
        verifier = SignatureVerifier(CHAIN, workers=1)
        try:
            return list(await verifier.verify([]))
        finally:
            await verifier.aclose()

    assert asyncio.run(run()) == []


def expected_flags(txs: list[bytes]) -> list[bool]:
    flags = []
    for tx in txs:
        try:
            verify_tx(CHAIN, tx)
            flags.append(True)
        except InvalidInput:
            flags.append(False)
    return flags


def test_concurrent_calls_each_get_their_own_results() -> None:
    """Calls made while a worker is busy share its next request; results must not mix."""
    txs = make_txs()
    calls = [txs[i:] for i in range(0, len(txs), 3)]

    async def run() -> list[list[object]]:
        verifier = SignatureVerifier(CHAIN, workers=1)
        try:
            return [list(r) for r in await asyncio.gather(*(verifier.verify(c) for c in calls))]
        finally:
            await verifier.aclose()

    for call, results in zip(calls, asyncio.run(run()), strict=True):
        assert [isinstance(r, DecodedTx) for r in results] == expected_flags(call)
        assert [r.tx_bytes for r in results if isinstance(r, DecodedTx)] == [
            tx for tx, ok in zip(call, expected_flags(call), strict=True) if ok
        ]


def test_a_killed_worker_is_replaced_and_no_call_fails() -> None:
    txs = make_txs()

    async def run() -> tuple[list[object], int, int]:
        verifier = SignatureVerifier(CHAIN, workers=1)
        try:
            await verifier.verify(txs[:2])  # starts the worker
            first = verifier._slots[0]
            assert first is not None
            first.process.kill()
            await first.process.wait()
            results = list(await verifier.verify(txs))
            again = list(await verifier.verify(txs))
            second = verifier._slots[0]
            assert second is not None and list(map(repr, results)) == list(map(repr, again))
            return results, first.process.pid, second.process.pid
        finally:
            await verifier.aclose()

    results, first_pid, second_pid = asyncio.run(run())
    assert first_pid != second_pid
    assert [isinstance(r, DecodedTx) for r in results] == expected_flags(txs)


def test_worker_protocol_answers_one_signature_flag_per_transaction_and_stops_at_eof() -> None:
    """A worker checks signatures only; the node's decoding and chain id check complete it
    (test_results_match_inline_verification_in_order)."""
    txs = make_txs()
    body = msgspec.msgpack.encode(txs)
    requests = io.BytesIO(struct.pack(">I", len(body)) + body + b"\x00\x00")  # torn 2nd head
    answers = io.BytesIO()
    serve_requests(requests, answers)
    data = answers.getvalue()
    assert struct.unpack(">I", data[:4]) == (len(txs),)
    flags = [bool(b) for b in data[4:]]
    # forged signatures, garbage and a missing slot: False; the other chain's tx and the
    # repeated key are validly signed: True (the node's decoding refuses the latter).
    odd = [False, True, False, True, False, False, True, True]
    assert flags == [True] * 5 + odd + [True] * 35


def test_closing_stops_the_workers() -> None:
    async def run() -> asyncio.subprocess.Process:
        verifier = SignatureVerifier(CHAIN, workers=1)
        await verifier.verify(make_txs()[:1])
        worker = verifier._slots[0]
        assert worker is not None
        await verifier.aclose()
        return worker.process

    process = asyncio.run(run())
    assert process.returncode == 0  # ended by its closed stdin, not killed
