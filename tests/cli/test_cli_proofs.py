"""`receipt get/verify`, `proof get/verify`, `genesis hash` and `tx --verify --genesis`, through
real HTTP to a real ledger served on loopback; `verify` contacts no node; tampered, truncated
and foreign files fail with the reason and exit 1, never a traceback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import uvicorn
from typer.testing import CliRunner

from chainbook import codec
from chainbook.api import create_app
from chainbook.chain.tx import tx_hash
from chainbook.cli.main import app
from chainbook.client.verify import ReceiptLeaf
from chainbook.ledger.genesis import dump_genesis
from tests.client.ledger_chain import LedgerChain, transfers_chain
from tests.conftest import SERVER_START_TIMEOUT_S, free_port
from tests.support import ALICE, BOB, make_genesis

WIDE = {"COLUMNS": "250"}


@pytest.fixture(scope="module")
def served_chain() -> Iterator[tuple[LedgerChain, list[bytes], str]]:
    chain, txs = transfers_chain()
    port = free_port()
    config = uvicorn.Config(
        create_app(chain),  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield chain, txs, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_TIMEOUT_S)


@pytest.fixture
def genesis_file(tmp_path: Path, served_chain: tuple[LedgerChain, list[bytes], str]) -> Path:
    path = tmp_path / "genesis.json"
    path.write_bytes(dump_genesis(served_chain[0].genesis))
    return path


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), env=WIDE)


def test_receipt_get_then_verify_offline(
    tmp_path: Path, served_chain: tuple[LedgerChain, list[bytes], str], genesis_file: Path
) -> None:
    _, txs, url = served_chain
    out = tmp_path / "receipt.json"
    got = run("receipt", "get", tx_hash(txs[0]).hex(), "-o", str(out), "--node", url)
    assert got.exit_code == 0, got.output
    checked = run("receipt", "verify", str(out), "--genesis", str(genesis_file))
    assert checked.exit_code == 0, checked.output
    text = checked.output
    assert "verified" in text and "succeeded" in text and "bank.transfer" in text
    assert ALICE.address.hex() in text and BOB.address.hex() in text and "rent" in text
    assert "height" in text and "UTC" in text and "0.0001 CBK" in text


def test_a_failed_transfer_reads_as_failed(
    tmp_path: Path, served_chain: tuple[LedgerChain, list[bytes], str], genesis_file: Path
) -> None:
    _, txs, url = served_chain
    out = tmp_path / "failed.json"
    got = run("receipt", "get", tx_hash(txs[1]).hex(), "-o", str(out), "--node", url)
    assert got.exit_code == 0
    checked = run("receipt", "verify", str(out), "--genesis", str(genesis_file))
    assert checked.exit_code == 0 and "FAILED: bank.insufficient_funds" in checked.output


def test_tampered_truncated_foreign_files_fail_cleanly(
    tmp_path: Path, served_chain: tuple[LedgerChain, list[bytes], str], genesis_file: Path
) -> None:
    _, txs, url = served_chain
    out = tmp_path / "r.json"
    got = run("receipt", "get", tx_hash(txs[0]).hex(), "-o", str(out), "--node", url)
    assert got.exit_code == 0
    document = json.loads(out.read_text())
    leaf = codec.decode(bytes.fromhex(document["receipt"]), ReceiptLeaf)
    document["receipt"] = codec.encode(msgspec.structs.replace(leaf, ok=False)).hex()
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(out.read_bytes()[:100])
    foreign = tmp_path / "foreign.json"
    foreign.write_bytes(dump_genesis(make_genesis(chain_id="another-chain")))
    cases = {
        tampered: "the outcome, error or events were changed",
        truncated: "truncated",
        tmp_path / "missing.json": "No such file",
    }
    for path, reason in cases.items():
        result = run("receipt", "verify", str(path), "--genesis", str(genesis_file))
        assert result.exit_code == 1 and reason in result.output, result.output
        assert "Traceback" not in result.output and "verified" not in result.output
    other = run("receipt", "verify", str(out), "--genesis", str(foreign))
    assert other.exit_code == 1 and "chain" in other.output


def test_proof_get_then_verify_offline(
    tmp_path: Path, served_chain: tuple[LedgerChain, list[bytes], str], genesis_file: Path
) -> None:
    chain, _, url = served_chain
    out = tmp_path / "balance.json"
    got = run(
        "proof", "get", "bank", "balance", f"address={BOB.address.hex()}", "-o", str(out),
        "--node", url, "--genesis", str(genesis_file),
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    checked = run("proof", "verify", str(out), "--genesis", str(genesis_file))
    assert checked.exit_code == 0, checked.output
    assert "verified" in checked.output and f"after block {chain.height - 1}" in checked.output
    document = json.loads(out.read_text())
    document["answer"]["balance"] += 1
    out.write_text(json.dumps(document))
    lie = run("proof", "verify", str(out), "--genesis", str(genesis_file))
    assert lie.exit_code == 1 and "not what the proven state gives" in lie.output
    bad = run("proof", "get", "bank", "balance", "address", "-o", str(out), "--node", url)
    assert bad.exit_code == 1 and "name=value" in bad.output


def test_proof_get_reads_integer_fields_from_text(
    served_chain: tuple[LedgerChain, list[bytes], str], tmp_path: Path, genesis_file: Path
) -> None:
    """`offer_id=1` is the integer 1, as for the generated query commands (it was sent as the
    string "1" and refused); a field that is no integer is refused naming it."""
    _, _, url = served_chain
    out = tmp_path / "offer.json"
    got = run("proof", "get", "settlement", "offer", "offer_id=1", "-o", str(out), "--node", url)
    assert got.exit_code == 0, got.output
    checked = run("proof", "verify", str(out), "--genesis", str(genesis_file), "--json")
    assert checked.exit_code == 0, checked.output
    answer = json.loads(checked.output)["answer"]
    assert (answer["offer_id"], answer["found"]) == (1, False)
    bad = run("proof", "get", "settlement", "offer", "offer_id=one", "-o", str(out), "--node", url)
    assert bad.exit_code == 1 and "offer_id" in bad.output and "Traceback" not in bad.output


def test_tx_verify_with_genesis_checks_the_outcome(
    served_chain: tuple[LedgerChain, list[bytes], str], genesis_file: Path
) -> None:
    _, txs, url = served_chain
    shown = run("tx", tx_hash(txs[1]).hex(), "--verify", "--genesis", str(genesis_file),
                "--node", url)  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "proof verified" in shown.output and "failed (bank.insufficient_funds)" in shown.output


def test_genesis_hash(
    genesis_file: Path, served_chain: tuple[LedgerChain, list[bytes], str]
) -> None:
    chain = served_chain[0]
    result = run("genesis", "hash", str(genesis_file))
    assert result.exit_code == 0 and result.output.strip() == chain.genesis.hash.hex()
    assert chain.store.load_block(1) is not None
    assert chain.store.load_block(1).header.prev_block_hash == chain.genesis.hash  # type: ignore[union-attr]
