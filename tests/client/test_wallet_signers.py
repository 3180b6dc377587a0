"""The SDK's fees and several signers: the wallet pays the least fee; one party prepares a
transaction, the others add their signatures offline, anyone submits it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chainbook.api import create_app
from chainbook.apps.accounts import SetPolicy, Signer
from chainbook.apps.bank import Transfer
from chainbook.apps.fees import FeesGenesis
from chainbook.chain.tx import decode_tx
from chainbook.client import ApiError, Client, Wallet, describe, is_fully_signed
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode

RATE = 2


@pytest.fixture
def node() -> FakeNode:
    return FakeNode(app_state={"fees": FeesGenesis(min_fee_per_byte=RATE)})


@pytest.fixture
def client(node: FakeNode) -> Client:
    return Client("http://testserver", http=TestClient(create_app(node, node.registry)))


def test_the_wallet_pays_the_least_fee_the_chain_asks(client: Client, node: FakeNode) -> None:
    wallet = Wallet(ALICE, CHAIN_ID, client)
    assert wallet.min_fee_per_byte() == RATE
    submitted = wallet.send(Transfer(BOB.address, 10), wait=True)
    assert submitted.receipt is not None and submitted.receipt.ok
    raw = node.blocks[node.height].txs[0]
    assert decode_tx(raw).fee == RATE * len(raw)
    assert node.balance(ALICE.address) == 1_000_000 - 10 - RATE * len(raw)
    with pytest.raises(ApiError) as error:  # one unit short: refused, naming the minimum
        client.submit_tx(wallet.sign(Transfer(BOB.address, 1), 1, fee=RATE * len(raw) - 1))
    assert error.value.code == "fees.fee_too_low" and "below the minimum" in str(error.value)


def test_a_co_signed_transaction_is_built_offline_and_submitted_once_complete(
    client: Client, node: FakeNode
) -> None:
    alice, bob = Wallet(ALICE, CHAIN_ID, client), Wallet(BOB, CHAIN_ID, client)
    accounts = [ALICE.address, BOB.address]
    partial = alice.prepare(Transfer(BOB.address, 7), [ALICE.public_key, BOB.public_key], accounts)
    assert not is_fully_signed(partial)
    with pytest.raises(ApiError, match="signature 1 .* is missing"):
        client.submit_tx(partial)
    body = describe(partial)  # what Bob reads before he signs
    assert body.accounts == tuple(accounts) and body.nonce == 0 and body.fee > 0
    complete = bob.cosign(partial)
    assert is_fully_signed(complete)
    decoded = decode_tx(complete)
    assert decoded.fee >= RATE * len(complete)  # the fee was chosen for the signed size
    submitted = alice.submit(complete, wait=True)
    assert submitted.receipt is not None and submitted.receipt.ok
    assert alice.next_nonce() == 1 and client.get_account(BOB.address).nonce == 0


def test_a_two_of_two_account_through_the_sdk(client: Client, node: FakeNode) -> None:
    alice, bob = Wallet(ALICE, CHAIN_ID, client), Wallet(BOB, CHAIN_ID, client)
    both = [ALICE.public_key, BOB.public_key]
    make = SetPolicy([Signer(ALICE.address, 1), Signer(BOB.address, 1)], 2)
    result = alice.submit(bob.cosign(alice.prepare(make, both)), wait=True)
    assert result.receipt is not None and result.receipt.ok
    policy = client.apps.accounts.policy(address=ALICE.address)
    assert policy.custom and policy.threshold == 2
    with pytest.raises(ApiError) as error:  # Alice alone no longer speaks for her account
        alice.send(Transfer(BOB.address, 1))
    assert error.value.code == "unauthorized" and "threshold 2" in str(error.value)
    pay = alice.prepare(Transfer(BOB.address, 3), both, nonce=1)
    assert alice.submit(bob.cosign(pay), wait=True).receipt.ok  # type: ignore[union-attr]
