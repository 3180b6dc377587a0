"""The chaos suite's clients: transfers sent with the SDK, every outcome recorded.

One thread per funded account sends bank transfers to the other accounts with
`Wallet.send(..., wait=True)`, each to a node drawn at random, and records:

    sent       every transaction it tried to submit (hash -> sender, recipient, amount), whatever
               the answer: a submit that timed out or lost its connection may still commit
    acked      the transactions the node acknowledged as committed, with the height and index
               it reported: the promise the checker holds the network to

The tx hash is known before the request: a signed transaction is deterministic (Ed25519 and the
canonical encoding), so signing the same action at the wallet's next nonce gives the bytes the
wallet sends. After an answer that is not a commit the wallet forgets its nonce and asks a node
again (the outcome is unknown: the nonce may or may not be used).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from chainbook.apps.bank import Transfer
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.client.http import ApiError, ClientError
from chainbook.client.wallet import Wallet
from chainbook.keyfile import load_key_file
from chainbook.testnet.layout import Testnet
from chainbook.types import Address

REQUEST_TIMEOUT_S = 3.0
COMMIT_WAIT_S = 8.0
AMOUNT_MAX = 1_000
BACKOFF_S = 0.2
"""Pause after a refused or failed request, so a client does not spin on a dead node."""


@dataclass(frozen=True)
class SentTx:
    hash: str
    sender: Address
    recipient: Address
    amount: int


@dataclass(frozen=True)
class Ack:
    hash: str
    height: int
    index: int
    node: str


@dataclass
class History:
    sent: dict[str, SentTx] = field(default_factory=dict)
    acked: list[Ack] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


class Workload:
    def __init__(self, net: Testnet, seed: int, nodes: list[str] | None = None) -> None:
        self.net = net
        self.nodes = nodes or [entry.name for entry in net.nodes]
        self.seed = seed
        self.history = History()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.accounts = [
            (a.name, load_key_file(Path(net.root) / a.key_file)) for a in net.accounts
        ]

    def start(self) -> None:
        for index, (name, key) in enumerate(self.accounts):
            rng = random.Random(f"{self.seed}/{name}")
            recipients = [k.address for n, k in self.accounts if n != name]
            thread = threading.Thread(
                target=self._run, args=(key, recipients, rng), name=f"client-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> History:
        self._stop.set()
        for thread in self._threads:
            thread.join(COMMIT_WAIT_S + 2 * REQUEST_TIMEOUT_S + 5)
        return self.history

    def _run(self, key: object, recipients: list[Address], rng: random.Random) -> None:
        clients = {name: self.net.client(name, timeout_s=REQUEST_TIMEOUT_S) for name in self.nodes}
        wallet = Wallet(key, self.net.chain_id, clients[self.nodes[0]])  # type: ignore[arg-type]
        try:
            while not self._stop.is_set():
                node = rng.choice(self.nodes)
                wallet.client = clients[node]
                self._send_one(wallet, node, rng.choice(recipients), rng.randint(1, AMOUNT_MAX))
        finally:
            for client in clients.values():
                client.close()

    def _send_one(self, wallet: Wallet, node: str, recipient: Address, amount: int) -> None:
        history = self.history
        action = Transfer(to=recipient, amount=amount)
        try:
            nonce = wallet.next_nonce()
        except ClientError:
            history.count("nonce_unreadable")
            time.sleep(BACKOFF_S)
            return
        hash_ = tx_hash(sign_tx(wallet.private_key, wallet.chain_id, nonce, action)).hex()
        with history.lock:
            history.sent[hash_] = SentTx(hash_, wallet.address, recipient, amount)
        try:
            answer = wallet.send(action, wait=True, timeout_s=COMMIT_WAIT_S)
        except ApiError as exc:
            history.count(f"refused_{exc.code}")
            wallet.forget_nonce()
            time.sleep(BACKOFF_S)
            return
        except ClientError:
            history.count("no_answer")
            wallet.forget_nonce()
            time.sleep(BACKOFF_S)
            return
        assert answer.hash == hash_, f"the wallet sent {answer.hash}, expected {hash_}"
        if answer.status == "committed" and answer.height is not None:
            assert answer.index is not None
            with history.lock:
                history.acked.append(Ack(hash_, answer.height, answer.index, node))
            history.count("committed")
        else:
            history.count(f"status_{answer.status}")
            wallet.forget_nonce()


__all__ = ["Ack", "History", "SentTx", "Workload"]
