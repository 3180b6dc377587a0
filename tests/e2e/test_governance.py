"""End to end, real node processes over TLS on loopback (`chainbook testnet`): a fifth
organisation's node joins as a full node, is voted in as a validator by the four, signs commits,
then is voted out; the chain never stops and every node holds the same blocks. Records made
after both changes verify from the genesis file alone, from a node that holds every block and
from a sixth node that joined by state sync after the changes (it holds no block of either)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.apps.governance import AddValidator, CastVote, Propose, RemoveValidator
from chainbook.client.http import Client
from chainbook.client.verify import (
    trust_root_from_genesis,
    verify_receipt_file,
    verify_state_proof_file,
)
from chainbook.client.wallet import Wallet
from chainbook.ledger.genesis import load_genesis
from chainbook.ledger.receipts import Receipt
from chainbook.runtime.config import write_config
from chainbook.runtime.home import Home
from chainbook.runtime.logs import read_log_lines

pytestmark = pytest.mark.integration

FOUNDERS = ["node0", "node1", "node2", "node3"]
DEADLINE_S = 90.0
SNAPSHOT_INTERVAL_BLOCKS = 4


def configure(root: Path, name: str, **changes: object) -> Home:
    home = testnet.load_testnet(root).home(name)
    write_config(home.config_path, msgspec.structs.replace(home.load_config(), **changes))
    return home


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("governance-testnet")
    testnet.init_testnet(root, validators=4, seed="governance-e2e")
    for name in FOUNDERS:  # they serve snapshots, for the node that joins by state sync
        configure(root, name, snapshot_interval_blocks=SNAPSHOT_INTERVAL_BLOCKS, snapshots_kept=2)
    testnet.up(root)
    try:
        testnet.wait_until_ready(root, timeout_s=30)
        testnet.wait_until_height(root, 2, timeout_s=30)
        yield root
    finally:
        testnet.down(root)


def client_of(root: Path, name: str) -> Client:
    return testnet.load_testnet(root).client(name)


def send(root: Path, signer: str, action: object) -> Receipt:
    """`signer`'s node key signs (a validator's key is its node's); waits for the receipt."""
    key_path = testnet.load_testnet(root).home(signer).key_path
    with client_of(root, "node0") as client:
        submitted = Wallet.from_key_file(key_path, client).send(action, wait=True, timeout_s=30)  # type: ignore[arg-type]
    assert submitted.receipt is not None, submitted
    assert submitted.receipt.ok, submitted.receipt.error
    return submitted.receipt


def pass_proposal(root: Path, proposer: str, change: object, voters: list[str]) -> int:
    """Propose and vote; returns the height the change takes effect."""
    with client_of(root, "node0") as client:
        deadline = client.status().height + 60
    receipt = send(root, proposer, Propose("e2e", change, deadline_height=deadline))  # type: ignore[arg-type]
    [proposed] = [e for e in receipt.events if e.kind == "proposed"]
    proposal_id = int(dict(proposed.attributes)["proposal_id"])
    for voter in voters:
        send(root, voter, CastVote(proposal_id, "yes"))
    with client_of(root, "node0") as client:
        record = client.apps.governance.proposal(id=proposal_id).proposal
    assert record.status == "passed", record
    return int(record.effective_height)


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def signers_of(root: Path, name: str, height: int) -> set[bytes]:
    """Addresses whose signatures are in the commit certificate of `height` (seen by `name`)."""
    with client_of(root, name) as client:
        block = client.get_block(str(height))
        validators = client.apps.governance.validators(height=height).validators
    assert block.commit is not None
    return {validators[s.validator_index].address for s in block.commit.signatures}


def test_a_fifth_organisation_joins_signs_and_leaves_without_the_chain_stopping(
    network: Path,
) -> None:
    entry = testnet.add_node(network, validator=False)
    testnet.up(network, [entry.name])
    everyone = [*FOUNDERS, entry.name]
    start = max(h for h in testnet.get_heights(network, FOUNDERS).values() if h is not None)
    testnet.wait_until_height(network, start, everyone, timeout_s=60)  # synced as a full node
    with client_of(network, entry.name) as client:
        assert not client.status().is_validator
    newcomer = bytes.fromhex(entry.public_key)
    newcomer_address = bytes.fromhex(entry.address)

    joined_at = pass_proposal(
        network, "node0", AddValidator(newcomer, power=10, name=entry.name), FOUNDERS[:3]
    )
    testnet.wait_until_height(network, joined_at + 6, everyone, timeout_s=60)
    with client_of(network, entry.name) as client:
        assert client.status().is_validator
        assert client.apps.governance.validators(height=joined_at).power_total == 50
    assert any(
        newcomer_address in signers_of(network, "node1", h) for h in range(joined_at, joined_at + 6)
    ), "the new validator's precommits are in the commits after it joined"
    assert all(
        newcomer_address not in signers_of(network, "node1", h)
        for h in range(max(1, joined_at - 3), joined_at)
    )

    left_at = pass_proposal(network, "node1", RemoveValidator(newcomer_address), FOUNDERS)
    testnet.wait_until_height(network, left_at + 5, everyone, timeout_s=60)
    with client_of(network, entry.name) as client:
        assert not client.status().is_validator
        assert client.apps.governance.validators(height=left_at).power_total == 40
    for height in range(left_at, left_at + 5):
        assert newcomer_address not in signers_of(network, "node2", height)

    # The chain went on through both changes, and every node holds the same book.
    target = max(h for h in testnet.get_heights(network, everyone).values() if h is not None)
    testnet.wait_until_height(network, target, everyone, timeout_s=60)
    hashes = testnet.get_block_hashes(network, target, everyone)
    assert len(set(hashes.values())) == 1, hashes
    with client_of(network, "node3") as client:
        history = client.apps.governance.history().entries
    assert [type(e.change).__name__ for e in history[:2]] == ["RemoveValidator", "AddValidator"]

    # A record made after both changes verifies from the genesis file alone: the receipt file
    # and a state proof carry the chain of validator-set changes (issue 18, item 3).
    net = testnet.load_testnet(network)
    payer = net.accounts[0]
    with client_of(network, "node3") as client:
        wallet = Wallet.from_key_file(net.account_key_path(payer.name), client)
        paid = wallet.send(Transfer(to=newcomer_address, amount=1), wait=True, timeout_s=30)
        assert paid.receipt is not None and paid.receipt.ok, paid
        receipt_file = client.get_receipt_file(paid.receipt.tx_hash)
        proof_file = client.prove_query("bank", "balance", address=newcomer_address.hex())
    root = trust_root_from_genesis(
        load_genesis(net.genesis_path.read_bytes()), "the testnet's genesis.json"
    )
    verified = verify_receipt_file(receipt_file, root)
    assert verified.validator_changes == 2, verified  # joined, then left
    proven = verify_state_proof_file(proof_file, root)
    assert proven.validator_changes == 2, proven

    # A sixth node joins by state sync after both changes: its book starts at a snapshot above
    # them (their headers and commits are only in the validator-set changes its snapshot proof
    # carried), and the records it makes verify from the genesis file alone just the same.
    joiner = testnet.add_node(network)
    home = configure(network, joiner.name, state_sync=True)
    testnet.up(network, [joiner.name])
    try:
        head = max(h for h in testnet.get_heights(network, FOUNDERS).values() if h is not None)
        testnet.wait_until_height(network, head, [joiner.name], timeout_s=60)
        [proof_log] = read_log_lines(home.log_path, "state_sync_proof_verified")
        assert proof_log["validator_changes"] == 2 and proof_log["height"] > left_at, proof_log
        with client_of(network, joiner.name) as client:
            wallet = Wallet.from_key_file(net.account_key_path(payer.name), client)
            paid = wallet.send(Transfer(to=newcomer_address, amount=2), wait=True, timeout_s=30)
            assert paid.receipt is not None and paid.receipt.ok, paid
            receipt_file = client.get_receipt_file(paid.receipt.tx_hash)
            proof_file = client.prove_query("bank", "balance", address=newcomer_address.hex())
    finally:
        testnet.down(network, [joiner.name])
    assert receipt_file.height > proof_log["height"]
    assert verify_receipt_file(receipt_file, root).validator_changes == 2
    synced = verify_state_proof_file(proof_file, root)
    assert synced.validator_changes == 2 and synced.answer["balance"] >= 3, synced
