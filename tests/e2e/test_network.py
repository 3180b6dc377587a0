"""End to end: separate node processes talking mutual TLS over loopback sockets.

Scenarios of the core issue: transfers commit on every node; SIGKILL of one validator does not
stop the others; the killed validator restarts and catches up; a fifth, non-validator node
joins late and syncs, verifying every commit certificate; a tampered book is detected and
repaired from peers; in the end every node holds the same blocks and the same app hash.
"""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import psutil
import pytest

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.client.http import Client
from chainbook.client.verify import verify_tx_proof
from chainbook.client.wallet import Wallet
from chainbook.keyfile import load_key_file
from chainbook.ledger.genesis import load_genesis

pytestmark = pytest.mark.integration

VALIDATORS = ["node0", "node1", "node2", "node3"]


def client_for(root: Path, name: str) -> Client:
    return testnet.load_testnet(root).client(name)


def wallet(root: Path, account: str, node: str) -> Wallet:
    return Wallet.from_key_file(root / "accounts" / f"{account}.json", client_for(root, node))


def height_of(root: Path, name: str) -> int:
    with client_for(root, name) as client:
        return client.status().height


def assert_same_book(root: Path, nodes: list[str], height: int) -> None:
    hashes = testnet.get_block_hashes(root, height, nodes)
    assert len(set(hashes.values())) == 1, hashes


def test_transfers_commit_with_a_verifiable_proof(network: Path) -> None:
    alice = wallet(network, "alice", "node0")
    bob_address = load_key_file(network / "accounts" / "bob.json").address
    answers = [
        alice.send(Transfer(bob_address, 1_000 + i), wait=True) for i in range(3)
    ]
    assert all(a.status == "committed" and a.receipt is not None and a.receipt.ok for a in answers)
    with client_for(network, "node2") as other:
        tx = other.get_tx(answers[-1].hash)
        validators = load_genesis((network / "genesis.json").read_bytes()).validator_set
        assert verify_tx_proof(tx, validators)
        bob = other.apps.bank.balance(address=bob_address)
    assert bob.balance >= 1_000_000 * 10**6 + 3_003
    check_proof_files_of_a_real_node(network, answers[-1].hash, bob_address)


def check_proof_files_of_a_real_node(network: Path, tx_hash: str, bob_address: bytes) -> None:
    """The receipt file and a state proof from a real node verify offline against the genesis
    file; the same answers altered in transit are refused; /blocks/{h}/raw is the block."""
    import msgspec

    from chainbook.chain.block import decode_block
    from chainbook.client.verify import (
        ProofError,
        trust_root_from_genesis,
        verify_receipt_file,
        verify_state_proof_file,
    )

    genesis = load_genesis((network / "genesis.json").read_bytes())
    root = trust_root_from_genesis(genesis)
    with client_for(network, "node1") as node:
        receipt = node.get_receipt_file(tx_hash)
        verified = verify_receipt_file(receipt, root)
        assert verified.ok and verified.tx_hash.hex() == tx_hash
        testnet.wait_until_height(network, verified.height + 1, ["node1"], timeout_s=30)
        proof = node.prove_query("bank", "balance", address=bob_address.hex())
        state = verify_state_proof_file(proof, root)
        assert state.height >= verified.height and state.answer["balance"] >= 1_000
        raw = node.get_block_bytes(verified.height)
        assert decode_block(raw).hash == verified.block_hash
    leaf = receipt.receipt  # 95 c420 <tx hash> c3 (ok): the outcome flipped to c2 (failed)
    assert leaf[70:72] == "c3"
    lies = [
        msgspec.structs.replace(receipt, receipt=leaf[:70] + "c2" + leaf[72:]),
        msgspec.structs.replace(proof, answer={**proof.answer, "balance": 1}),
    ]
    for lie in lies:
        with pytest.raises(ProofError):
            if isinstance(lie, type(receipt)):
                verify_receipt_file(lie, root)
            else:
                verify_state_proof_file(lie, root)


def test_killed_validator_does_not_stop_the_network_and_catches_up(network: Path) -> None:
    pid = testnet.load_testnet(network).home("node3").read_pid()
    assert pid is not None
    workers = psutil.Process(pid).children()  # its signature workers
    assert workers, "a validator runs signature worker processes"
    testnet.kill(network, "node3", signal.SIGKILL)
    # A SIGKILLed node cannot stop its workers; each exits when its pipe from the node closes.
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], f"workers outlived their SIGKILLed node: {alive}"
    survivors = VALIDATORS[:3]
    start = min(testnet.get_heights(network, survivors).values())  # type: ignore[type-var]
    alice = wallet(network, "alice", "node1")
    carol_address = load_key_file(network / "accounts" / "carol.json").address
    answer = alice.send(Transfer(carol_address, 7), wait=True)
    assert answer.status == "committed"
    testnet.wait_until_height(network, start + 5, survivors, timeout_s=30)
    testnet.up(network, ["node3"])
    target = max(testnet.get_heights(network, survivors).values())  # type: ignore[type-var]
    # Every node compared must hold `target`: the maximum may be one survivor's alone.
    testnet.wait_until_height(network, target, VALIDATORS, timeout_s=60)
    assert_same_book(network, VALIDATORS, target)
    with client_for(network, "node3") as client:
        assert client.get_tx(answer.hash).height == answer.height


def test_late_full_node_syncs_and_verifies(network: Path) -> None:
    entry = testnet.add_node(network, validator=False)
    testnet.up(network, [entry.name])
    target = max(testnet.get_heights(network, VALIDATORS).values())  # type: ignore[type-var]
    testnet.wait_until_height(network, target, [*VALIDATORS, entry.name], timeout_s=60)
    assert_same_book(network, [*VALIDATORS, entry.name], target)
    with client_for(network, entry.name) as client:
        status = client.status()
    assert not status.is_validator


def test_tampered_book_is_detected_and_repaired_from_peers(network: Path) -> None:
    victim = "node2"
    testnet.down(network, [victim])
    book = network / victim / "data" / "book.sqlite"
    with sqlite3.connect(book) as db:
        height, blob = db.execute("SELECT height, block FROM blocks WHERE height = 2").fetchone()
        tampered = bytearray(blob)
        tampered[-10] ^= 0x01
        db.execute("UPDATE blocks SET block = ? WHERE height = ?", (bytes(tampered), height))
    testnet.up(network, [victim])
    # Block 2 lies below the victim's state checkpoint, so its start does not replay it: the
    # background re-verification (runtime/background_verify.py) finds it and repairs.
    testnet.wait_until(
        network,
        lambda rows: rows[victim].status is not None and rows[victim].status.book_repairs == 1,
        f"{victim} repairs its book",
        [victim],
        60,
    )
    target = max(testnet.get_heights(network, VALIDATORS).values())  # type: ignore[type-var]
    testnet.wait_until_height(network, target, VALIDATORS, timeout_s=60)
    assert_same_book(network, VALIDATORS, 2)
    assert_same_book(network, VALIDATORS, target)
    log = (network / victim / "node.log").read_text()
    assert '"event":"book_corrupt"' in log and '"height":2' in log


def test_the_accounts_worked_example_of_docs_apps_runs_against_the_testnet(
    network: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/APPS.md's pasteable example (multi-signature, co-signer, recovery, rotation),
    run as it is written, on this network instead of ./net. Last in the file: it turns the
    demo accounts into a 2-of-3 account and a rotated one, which the other tests do not
    expect."""
    document = (Path(__file__).resolve().parents[2] / "docs" / "APPS.md").read_text()
    section = document[document.index("## accounts") : document.index("## fees")]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert 'Path("net")' in code
    exec(compile(code.replace('Path("net")', f"Path({str(network)!r})"), "APPS.md", "exec"), {})
    printed = capsys.readouterr().out
    for step in ("2-of-3 at height", "paid at height", "Bob's key replaced", "Dave rotated",
                 "Dave pays with his new key", "co-signed at height"):
        assert step in printed, printed
