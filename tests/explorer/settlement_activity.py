"""Settlement activity on a real testnet, for the settlement view's browser test and its
screenshots: a bank registered as an issuer by the validators creates HKDE and pays Bob some;
Alice offers native coin for HKDE (open), and locks native coin for Bob under a hash (open).
Everything goes through the SDK, as a user's would."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from chainbook import testnet
from chainbook.apps.assets import CreateToken, Mint
from chainbook.apps.bank.actions import Transfer
from chainbook.apps.governance import CastVote, Propose, RegisterInstitution
from chainbook.apps.settlement import MakeLock, MakeOffer
from chainbook.client.http import Client
from chainbook.client.wallet import Wallet
from chainbook.crypto import PrivateKey
from tests.explorer.activity import WAIT_S, wallet

BANK = PrivateKey.from_label("explorer-settlement-bank")
TOKEN = "HKDE"
SECRET = hashlib.sha256(b"explorer settlement secret").digest()
OFFER_GIVE = 2_000_000
OFFER_WANT = 54_300
LOCK_AMOUNT = 700_000
REGISTER_BLOCKS_MAX = 30


@dataclass(frozen=True)
class SettlementActivity:
    offer_id: int
    offer_hash: str
    lock_id: int
    alice: str
    bob: str


def done(submitted: object) -> dict[str, str]:
    receipt = getattr(submitted, "receipt", None)
    assert receipt is not None and receipt.ok, submitted
    return dict(receipt.events[0].attributes) if receipt.events else {}


def register_issuer(root: Path, client: Client, key: PrivateKey) -> None:
    validators = [wallet(root, client, f"node{i}") for i in range(3)]
    change = RegisterInstitution("explorer-bank", "Explorer Bank", ["issuer"], [key.public_key])
    proposed = validators[0].send(Propose("register explorer-bank", change), wait=True,
                                  timeout_s=WAIT_S)
    proposal_id = int(done(proposed)["proposal_id"])
    for validator in validators:
        done(validator.send(CastVote(proposal_id, "yes"), wait=True, timeout_s=WAIT_S))
    dave = wallet(root, client, "dave")
    for _ in range(REGISTER_BLOCKS_MAX):  # effective two heights after it passed
        if client.apps.governance.institution(id="explorer-bank", role="issuer").authorised:
            return
        done(dave.send(Transfer(dave.address, 1), wait=True, timeout_s=WAIT_S))
    raise AssertionError("the issuer was not registered in time")


def make_settlement_activity(root: Path) -> SettlementActivity:
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        register_issuer(root, client, BANK)
        bank = Wallet(BANK, client.status().chain_id, client)
        alice, bob = wallet(root, client, "alice"), wallet(root, client, "bob")
        done(bank.send(CreateToken(TOKEN, "HKD deposits, Explorer Bank", 2), wait=True,
                       timeout_s=WAIT_S))
        done(bank.send(Mint(TOKEN, bob.address, 1_000_000), wait=True, timeout_s=WAIT_S))
        height = client.status().height
        offered = alice.send(MakeOffer("", OFFER_GIVE, TOKEN, OFFER_WANT, height + 10_000,
                                       b"", "quote 7"), wait=True, timeout_s=WAIT_S)
        offer_id = int(done(offered)["offer_id"])
        locked = alice.send(MakeLock(bob.address, "", LOCK_AMOUNT, hashlib.sha256(SECRET).digest(),
                                     height + 10_000), wait=True, timeout_s=WAIT_S)
        lock_id = int(done(locked)["lock_id"])
    return SettlementActivity(offer_id, offered.hash, lock_id, alice.address.hex(),
                              bob.address.hex())


__all__ = ["SECRET", "SettlementActivity", "make_settlement_activity"]
