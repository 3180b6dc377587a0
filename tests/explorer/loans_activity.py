"""The loans activity the explorer's loans test and the screenshots look at, on a real
testnet, sent through the SDK as the parties would: Alice lends Bob 100 CBK at 1 % per 1,000
blocks (his registered title pledged, a hostile memo), both signing one transaction; Bob
repays 30 CBK; Alice offers Carol 5 CBK, which Carol accepts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chainbook import testnet
from chainbook.apps.assets import RegisterAsset
from chainbook.apps.loans import Accept, AssetCollateral, Create, Instalment, Offer, Repay
from tests.explorer.activity import HOSTILE_MEMO, WAIT_S, wallet

LOAN = "alice-bob-1"
OFFER = "alice-carol-1"
TITLE = "title-bob-flat-3"


@dataclass(frozen=True)
class LoansActivity:
    lender: str
    borrower: str
    created_hash: str


def done(sent: object) -> None:
    receipt = getattr(sent, "receipt", None)
    assert receipt is not None and receipt.ok, sent


def make_loans_activity(root: Path) -> LoansActivity:
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        alice, bob, carol = (wallet(root, client, n) for n in ("alice", "bob", "carol"))
        done(bob.send(RegisterAsset(TITLE, b"\x07" * 32, bob.address), wait=True,
                      timeout_s=WAIT_S))
        terms = Create(LOAN, alice.address, bob.address, "", 100_000_000, 100, 1_000,
                       [Instalment(500, 60_000_000), Instalment(1_000, 40_000_000)], 50,
                       AssetCollateral(TITLE), None, HOSTILE_MEMO)  # fmt: skip
        tx = alice.prepare(terms, [alice.public_key, bob.public_key], [alice.address, bob.address])
        created = alice.submit(bob.cosign(tx), wait=True, timeout_s=WAIT_S)
        done(created)
        done(bob.send(Repay(LOAN, 30_000_000), wait=True, timeout_s=WAIT_S))
        offer = Offer(OFFER, carol.address, "", 5_000_000, 0, 1, [Instalment(100, 5_000_000)],
                      1_000)  # fmt: skip
        done(alice.send(offer, wait=True, timeout_s=WAIT_S))
        done(carol.send(Accept(OFFER), wait=True, timeout_s=WAIT_S))
    return LoansActivity(alice.address.hex(), bob.address.hex(), created.hash)


__all__ = ["LOAN", "OFFER", "TITLE", "LoansActivity", "make_loans_activity"]
