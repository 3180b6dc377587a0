"""What the explorer's browser tests and screenshots look at: a real 4-validator testnet
with a payment (whose memo is hostile HTML), a notarized document, a ballot with votes and a
governance proposal with votes, all sent through the SDK as a user would."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from chainbook import testnet
from chainbook.apps.bank.actions import Transfer
from chainbook.apps.governance import CastVote, Propose, RegisterInstitution
from chainbook.apps.notary.actions import Anchor
from chainbook.apps.vote.actions import Cast, Create
from chainbook.client.http import Client
from chainbook.client.wallet import Wallet

DOCUMENT = b"chainbook explorer: a contract signed on 1 December\n"
HOSTILE_MEMO = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
BALLOT = "budget-2027"
WAIT_S = 30.0


@dataclass(frozen=True)
class Activity:
    transfer_hash: str
    anchor_hash: str
    document_hash: str
    proposal_id: int
    alice: str
    bob: str
    carol: str


def wallet(root: Path, client: Client, name: str) -> Wallet:
    net = testnet.load_testnet(root)
    path = net.account_key_path(name) if name in {a.name for a in net.accounts} else (
        net.home(name).key_path
    )
    return Wallet.from_key_file(path, client)


def make_activity(root: Path) -> Activity:
    """Sends the transactions (a few per block, waiting only for the last of each sender)."""
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        alice, bob, carol = (wallet(root, client, n) for n in ("alice", "bob", "carol"))
        height = client.status().height
        transfer = alice.send(Transfer(to=bob.address, amount=2_500_000, memo=HOSTILE_MEMO))
        anchor = alice.send(Anchor(hash=hashlib.sha256(DOCUMENT).digest(), title="contract"))
        alice.send(
            Create(
                ballot=BALLOT, title="Budget 2027", options=["approve", "reject", "postpone"],
                voters=[alice.address, bob.address, carol.address],
                open_height=height + 1, close_height=height + 10_000,
            ),
            wait=True, timeout_s=WAIT_S,
        )
        alice.send(Cast(ballot=BALLOT, option=0))
        bob.send(Cast(ballot=BALLOT, option=1), wait=True, timeout_s=WAIT_S)
        node0 = wallet(root, client, "node0")
        proposed = node0.send(
            Propose(
                "register the district court",
                RegisterInstitution(id="court-1", name="District Court", roles=["court"],
                                    public_keys=[carol.private_key.public_key]),
                deadline_height=height + 10_000,
            ),
            wait=True, timeout_s=WAIT_S,
        )
        assert proposed.receipt is not None and proposed.receipt.ok, proposed
        [event] = [e for e in proposed.receipt.events if e.kind == "proposed"]
        proposal_id = int(dict(event.attributes)["proposal_id"])
        node0.send(CastVote(proposal_id, "yes"), wait=True, timeout_s=WAIT_S)
        for sent in (transfer, anchor):
            receipt = client.wait_for_receipt(sent.hash, timeout_s=WAIT_S)
            assert receipt.receipt.ok, receipt
    return Activity(
        transfer_hash=transfer.hash,
        anchor_hash=anchor.hash,
        document_hash=hashlib.sha256(DOCUMENT).hexdigest(),
        proposal_id=proposal_id,
        alice=alice.address.hex(),
        bob=bob.address.hex(),
        carol=carol.address.hex(),
    )
