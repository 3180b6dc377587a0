"""Bad input through the API and the wire against a real network.

Each bad input gets a clear 4xx answer naming what was wrong (API) or a dropped peer with a
log line (wire); the node keeps running and nothing already committed changes.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path

import httpx
import msgspec
import pytest

from chainbook import codec, limits, testnet
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import SignedTx, sign_tx
from chainbook.crypto import PrivateKey
from chainbook.keyfile import load_key_file
from chainbook.ledger.genesis import load_genesis
from chainbook.p2p import tls
from chainbook.p2p.frames import encode_frame, encode_frame_header, read_frame
from chainbook.p2p.transport import HELLO_BYTES_MAX, PROTOCOL_VERSION, Hello

pytestmark = pytest.mark.integration


def api_url(root: Path, name: str = "node0") -> str:
    entry = next(e for e in testnet.load_testnet(root).nodes if e.name == name)
    return f"http://{entry.host}:{entry.api_port}"


def post_tx(root: Path, tx_hex: str, **params: str) -> httpx.Response:
    return httpx.post(f"{api_url(root)}/txs", json={"tx": tx_hex}, params=params, timeout=30)


def alice(root: Path) -> PrivateKey:
    return load_key_file(root / "accounts" / "alice.json")


def bob_address(root: Path) -> bytes:
    return load_key_file(root / "accounts" / "bob.json").address


def chain_id(root: Path) -> str:
    return testnet.load_testnet(root).chain_id


def next_nonce(root: Path, key: PrivateKey) -> int:
    answer = httpx.get(f"{api_url(root)}/accounts/{key.address.hex()}", timeout=10)
    return int(answer.json()["pending_nonce"])


def committed_fingerprint(root: Path) -> dict[str, tuple[str, str]]:
    return testnet.get_block_hashes(root, 2)


def test_api_refuses_bad_transactions_with_named_reasons(network: Path) -> None:
    before = committed_fingerprint(network)
    key, chain = alice(network), chain_id(network)
    nonce = next_nonce(network, key)
    transfer = Transfer(to=bob_address(network), amount=1)

    cases: list[tuple[str, str, int, str]] = []
    cases.append(("not hex", "zz", 400, ""))
    cases.append(("malformed bytes", "c1c1c1", 400, "decode_error"))
    good = sign_tx(key, chain, nonce, transfer)
    signed = codec.decode(good, SignedTx)
    forged = codec.encode(SignedTx(signed.body, (bytes(64),)))
    cases.append(("bad signature", forged.hex(), 400, "invalid_signature"))
    other_chain = sign_tx(key, "other-chain", nonce, transfer)
    cases.append(("wrong chain id", other_chain.hex(), 400, "wrong_chain_id"))
    future = sign_tx(key, chain, nonce + 5, transfer)
    cases.append(("nonce gap", future.hex(), 400, "invalid_nonce"))
    overdraft = sign_tx(key, chain, nonce, Transfer(to=bob_address(network), amount=10**18))
    cases.append(("overdraft", overdraft.hex(), 400, "bank.insufficient_funds"))
    oversize = (
        b"\x93" + b"\xc5" + (limits.tx_bytes_max).to_bytes(2, "big") + bytes(limits.tx_bytes_max)
    )
    cases.append(("oversize tx", oversize.hex(), 400, "too_large"))

    for what, tx_hex, status, code in cases:
        answer = post_tx(network, tx_hex)
        assert answer.status_code == status, (what, answer.text)
        body = answer.json()
        assert body["message"], what
        if code:
            assert body["error"] == code, (what, body)

    committed = post_tx(network, good.hex(), wait="true", timeout="20")
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    replay = post_tx(network, good.hex())
    assert replay.status_code == 200, replay.text
    assert replay.json()["status"] == "committed"
    assert replay.json()["code"] == "already_committed"
    same_nonce = sign_tx(key, chain, nonce, Transfer(to=bob_address(network), amount=2))
    answer = post_tx(network, same_nonce.hex())
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_nonce"
    assert "expected" in answer.json()["message"]

    too_big = httpx.post(
        f"{api_url(network)}/txs",
        content=b"x" * (limits.api_request_bytes_max + 1),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert too_big.status_code == 413
    unknown_field = httpx.post(
        f"{api_url(network)}/txs", json={"tx": good.hex(), "x": 1}, timeout=10
    )
    assert unknown_field.status_code in (400, 422)

    assert httpx.get(f"{api_url(network)}/status", timeout=10).status_code == 200
    assert committed_fingerprint(network) == before


async def _raw_peer(
    root: Path, port: int, seed: bytes, ca_key_pem: bytes | None, chain: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A hand-driven peer: TLS with a certificate for `seed`, then our Hello."""
    ca_cert_pem = (root / "ca" / "ca.pem").read_bytes()
    if ca_key_pem is None:  # a certificate from a CA the network does not trust
        ca_key_pem, other_ca = tls.create_network_ca("rogue CA")
        cert = tls.issue_node_certificate(
            ca_key_pem, other_ca, node_public_key=tls.public_key_of_seed(seed), common_name="rogue"
        )
        context = tls.client_context(ca_cert_pem, cert, seed)
    else:
        cert = tls.issue_node_certificate(
            ca_key_pem, ca_cert_pem, node_public_key=tls.public_key_of_seed(seed), common_name="raw"
        )
        context = tls.client_context(ca_cert_pem, cert, seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    genesis_hash = load_genesis((root / "genesis.json").read_bytes()).hash
    hello = Hello(PROTOCOL_VERSION, chain, tls.public_key_of_seed(seed), 1, genesis_hash)
    writer.write(encode_frame(msgspec.msgpack.encode(hello), HELLO_BYTES_MAX))
    await writer.drain()
    theirs = await asyncio.wait_for(read_frame(reader, HELLO_BYTES_MAX), 10)
    if theirs is None:
        raise ConnectionError("the node closed the connection before its Hello")
    return reader, writer


async def _is_closed(reader: asyncio.StreamReader) -> bool:
    try:
        async with asyncio.timeout(10):
            while await reader.read(65536):
                pass
    except (ConnectionError, ssl.SSLError):
        pass
    return True


def test_wire_drops_misbehaving_peers_and_keeps_running(network: Path) -> None:
    before = committed_fingerprint(network)
    entry = next(e for e in testnet.load_testnet(network).nodes if e.name == "node1")
    ca_key = (network / "ca" / "ca.key").read_bytes()
    chain = chain_id(network)

    async def scenario() -> None:
        reader, writer = await _raw_peer(network, entry.p2p_port, bytes([7]) * 32, ca_key, chain)
        writer.write(encode_frame(b"\xc1 not a message", limits.frame_bytes_max))
        await writer.drain()
        assert await _is_closed(reader)
        reader, writer = await _raw_peer(network, entry.p2p_port, bytes([8]) * 32, ca_key, chain)
        writer.write(encode_frame_header(limits.frame_bytes_max + 1))
        await writer.drain()
        assert await _is_closed(reader)
        # TLS 1.3: the client may finish its handshake before the server refuses its certificate.
        with pytest.raises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)):
            await _raw_peer(network, entry.p2p_port, bytes([9]) * 32, None, chain)

    asyncio.run(scenario())
    log_lines = [
        json.loads(line)
        for line in (network / "node1" / "node.log").read_text().splitlines()
        if line.startswith("{")
    ]
    events = " ".join(str(line.get("event", "")) for line in log_lines)
    assert "malformed" in events
    assert "oversize" in events
    start = testnet.get_heights(network, ["node1"])["node1"] or 0
    testnet.wait_until_height(network, start + 2, ["node1"], timeout_s=30)
    assert committed_fingerprint(network) == before
