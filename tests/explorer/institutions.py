"""Chain activity for the records views' browser tests (assets, trace, evidence): institutions
registered through governance as docs/APPS.md's worked examples do (a validator proposes,
three of the four vote yes, the change takes effect two heights after it passes), and rounds
of transactions sent together and waited for together.

Rules kept:
- Keys are deterministic (PrivateKey.from_label), so a run names the same accounts each time.
- A round sends every transaction without waiting and then waits for each receipt, so the
  transactions of one round share a block or two; a refused one fails the fixture with its
  receipt. Every wait has a deadline (WAIT_S).
- The proposals are spread over the validators, at most
  governance's open_proposals_per_proposer_max (4) each.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import msgspec

from chainbook.api.views import TxView
from chainbook.apps.bank.actions import Transfer
from chainbook.apps.governance import CastVote, Propose, RegisterInstitution
from chainbook.apps.governance.limits import open_proposals_per_proposer_max
from chainbook.client.http import Client
from chainbook.client.wallet import Wallet
from chainbook.crypto import PrivateKey
from tests.explorer.activity import wallet

WAIT_S = 30.0
VOTERS = 3
"""Validators that vote yes: 3 of the testnet's 4 equal powers is more than 2/3."""


def key_wallet(client: Client, label: str) -> Wallet:
    """A wallet of the deterministic test key `explorer/<label>` (no coins needed: the
    testnet charges no fee)."""
    return Wallet(PrivateKey.from_label(f"explorer/{label}"), client.status().chain_id, client)


def send_round(client: Client, sends: Sequence[tuple[Wallet, msgspec.Struct]]) -> list[TxView]:
    """Send every (wallet, action) without waiting, then wait for each; the committed
    transactions, in order. A refused action fails with its receipt."""
    hashes = [w.send(action).hash for w, action in sends]
    committed = []
    for tx_hash, (_, action) in zip(hashes, sends, strict=True):
        tx = client.wait_for_receipt(tx_hash, timeout_s=WAIT_S)
        assert tx.receipt.ok, (action, tx.receipt)
        committed.append(tx)
    return committed


def register_institutions(root: Path, client: Client,
                          changes: Sequence[RegisterInstitution]) -> None:
    """Register each institution through governance and wait until every one is authorised."""
    validators = [wallet(root, client, f"node{i}") for i in range(4)]
    assert len(changes) <= len(validators) * open_proposals_per_proposer_max, len(changes)
    proposed = send_round(client, [
        (validators[i % len(validators)], Propose(f"register {change.id}", change))
        for i, change in enumerate(changes)
    ])
    ids = []
    for tx in proposed:
        [event] = [e for e in tx.receipt.events if e.kind == "proposed"]
        ids.append(int(dict(event.attributes)["proposal_id"]))
    send_round(client, [(v, CastVote(number, "yes")) for number in ids
                        for v in validators[:VOTERS]])
    dave = wallet(root, client, "dave")
    deadline = time.monotonic() + WAIT_S
    for change in changes:
        while not client.apps.governance.institution(id=change.id).authorised:
            assert time.monotonic() < deadline, f"{change.id} not registered in {WAIT_S} s"
            dave.send(Transfer(dave.address, 1), wait=True, timeout_s=WAIT_S)  # one more block


__all__ = ["WAIT_S", "key_wallet", "register_institutions", "send_round"]
