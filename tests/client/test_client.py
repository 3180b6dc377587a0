"""The Python SDK (Client, Wallet) against the real API app over a FakeNode."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chainbook.apps.bank import Transfer
from chainbook.apps.fields import InvalidField
from chainbook.client import (
    ApiError,
    Client,
    NodeUnreachable,
    Wallet,
    build_action,
    verify_tx_proof,
)
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, VALIDATORS, FakeNode


@pytest.fixture
def client(http: TestClient) -> Client:
    return Client("http://testserver", http=http)


def test_queries(client: Client, node: FakeNode) -> None:
    node.commit_pending()
    assert client.status().chain_id == CHAIN_ID
    assert client.get_block(1).header.height == 1
    assert client.get_block().header.height == 1
    assert client.get_account(ALICE.address).pending_nonce == 0
    assert client.apps.bank.balance(address=ALICE.address).balance == 1_000_000
    assert client.query("bank", "balance", address=ALICE.address.hex()).exists
    assert client.validators().power_total == 40
    assert "chainbook_height 1" in client.metrics()


def test_wallet_transfers_track_the_nonce_locally(client: Client, node: FakeNode) -> None:
    wallet = Wallet(ALICE, CHAIN_ID, client)
    first = wallet.send(Transfer(BOB.address, 10))
    second = wallet.send(
        build_action("bank", "transfer", to=BOB.address.hex(), amount=20, memo="rent")
    )
    assert first.status == second.status == "pending"
    assert wallet.next_nonce() == 2
    node.commit_pending()
    committed = wallet.send(Transfer(BOB.address, 30), wait=True)
    assert committed.status == "committed" and committed.receipt is not None
    assert committed.receipt.ok
    assert client.apps.bank.balance(address=BOB.address).balance == 60
    assert verify_tx_proof(client.get_tx(committed.hash), VALIDATORS)


def test_wallet_rereads_the_nonce_after_a_nonce_error(client: Client, node: FakeNode) -> None:
    wallet = Wallet(ALICE, CHAIN_ID, client)
    wallet.send(Transfer(BOB.address, 1))
    node.drop_pending()  # the node dropped it: the wallet's count is now ahead
    with pytest.raises(ApiError) as error:
        wallet.send(Transfer(BOB.address, 2))
    assert error.value.code == "invalid_nonce" and error.value.status == 400
    assert wallet.send(Transfer(BOB.address, 3)).status == "pending"


def test_builders_and_query_methods_check_their_fields_before_sending(client: Client) -> None:
    with pytest.raises(InvalidField, match="unknown action 'bank.nope'"):
        build_action("bank", "nope")
    with pytest.raises(InvalidField, match="bank.transfer.to: expected 20 bytes"):
        build_action("bank", "transfer", to="ab", amount=1)
    with pytest.raises(InvalidField, match="missing field 'address'"):
        client.apps.bank.balance()
    with pytest.raises(AttributeError, match="no query 'nope'"):
        client.apps.bank.nope()
    assert sorted(dir(client.apps.bank)) == ["balance", "supply"]


def test_api_errors_are_typed(client: Client) -> None:
    with pytest.raises(ApiError) as error:
        client.get_tx("ab" * 32)
    assert (error.value.status, error.value.code) == (404, "not_found")
    with pytest.raises(ApiError) as error:
        client.submit_tx(b"\x00")
    assert error.value.status == 400


def test_unreachable_node() -> None:
    with pytest.raises(NodeUnreachable), Client("http://127.0.0.1:1", timeout_s=1) as client:
        client.status()
