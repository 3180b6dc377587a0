"""The simulated clients: a seeded stream of signed bank transfers between funded accounts.

Rules kept:
- Each account is one client with a deterministic key (PrivateKey.from_label) funded at
  genesis. A client keeps at most `in_flight_max` transactions that are not yet committed,
  with consecutive nonces, as a real wallet does.
- A transaction not committed `resubmit_after_ms` after it was last submitted is submitted
  again, the same bytes, to another node: mempools are volatile (a crash loses them) and
  gossip is lossy, so a real client retries too. The same bytes can never commit twice (the
  ledger refuses a used nonce), which the no_lost_tx checker would notice.
- The workload learns commits from the agreed chain (`on_committed`), never from one node.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from chainbook.apps.bank import Transfer
from chainbook.chain.genesis import GenesisAccount
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.crypto import PrivateKey
from chainbook.types import Amount, Hash, Nonce, TimeMs

ACCOUNT_FUNDS = 10**12
TRANSFER_AMOUNT_MAX = 1_000


@dataclass(slots=True)
class PendingTx:
    nonce: Nonce
    tx: bytes
    hash: Hash
    submitted_ms: TimeMs


class Client:
    __slots__ = ("key", "next_nonce", "pending")

    def __init__(self, key: PrivateKey) -> None:
        self.key = key
        self.next_nonce: Nonce = 0
        self.pending: list[PendingTx] = []
        """Submitted, not yet seen committed; nonces consecutive and increasing."""


def account_key(index: int) -> PrivateKey:
    return PrivateKey.from_label(f"sim-account-{index}")


def genesis_accounts(count: int) -> list[GenesisAccount]:
    return [
        GenesisAccount(address=account_key(i).address.hex(), amount=ACCOUNT_FUNDS)
        for i in range(count)
    ]


class BankWorkload:
    def __init__(
        self,
        chain_id: str,
        accounts: int,
        in_flight_max: int,
        resubmit_after_ms: int,
    ) -> None:
        self.chain_id = chain_id
        self.clients = [Client(account_key(i)) for i in range(accounts)]
        self.in_flight_max = in_flight_max
        self.resubmit_after_ms = resubmit_after_ms
        self.by_hash: dict[Hash, Client] = {}
        self.submitted = 0
        self.resubmitted = 0
        self.committed = 0

    def next_transaction(self, rng: random.Random, now_ms: TimeMs) -> bytes | None:
        """A stale transaction to submit again, else a new transfer, else None (all busy)."""
        client = rng.choice(self.clients)
        stale = self._stale(client, now_ms)
        if stale is not None:
            stale.submitted_ms = now_ms
            self.resubmitted += 1
            return stale.tx
        if len(client.pending) >= self.in_flight_max:
            return None
        return self._new_transfer(rng, client, now_ms)

    def on_committed(self, tx_hash_: Hash) -> None:
        client = self.by_hash.pop(tx_hash_, None)
        if client is None:
            return
        client.pending = [p for p in client.pending if p.hash != tx_hash_]
        self.committed += 1

    def _stale(self, client: Client, now_ms: TimeMs) -> PendingTx | None:
        for pending in client.pending:
            if now_ms - pending.submitted_ms >= self.resubmit_after_ms:
                return pending
        return None

    def _new_transfer(self, rng: random.Random, client: Client, now_ms: TimeMs) -> bytes:
        recipient = rng.choice(self.clients)
        amount: Amount = rng.randint(1, TRANSFER_AMOUNT_MAX)
        action = Transfer(to=recipient.key.address, amount=amount, memo="")
        tx = sign_tx(client.key, self.chain_id, client.next_nonce, action)
        pending = PendingTx(client.next_nonce, tx, tx_hash(tx), now_ms)
        client.next_nonce += 1
        client.pending.append(pending)
        self.by_hash[pending.hash] = client
        self.submitted += 1
        return tx


__all__ = ["ACCOUNT_FUNDS", "BankWorkload", "account_key", "genesis_accounts"]
