"""The benchmark's transactions: deterministic funded accounts and pre-signed transfers.

Accounts: key i is PrivateKey.from_label(f"bench-{i}"), so the orchestrator (which writes them
into the genesis) and the load process (which signs with them) derive the same keys without
passing secrets around. Each benchmark step uses its own slice of accounts, starting at nonce 0,
so no step needs to ask the chain for nonces.

Transaction k of a step (schedule order): sender = slice[k % accounts], nonce = k // accounts,
a bank transfer of 1 unit to another funded account, with a memo padding the signed bytes to
the configured size. Everything is signed before the clock starts: signing is the client's
cost, not the ledger's, and it must not slow the load path.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.crypto import PrivateKey

ACCOUNT_LABEL = "bench-{index}"
TRANSFER_AMOUNT = 1
TX_BYTES_DEFAULT = 250
"""The issue's reference size: a ~250-byte signed transfer (comparable to a Bitcoin payment)."""
MEMO_BYTES_MAX = 200


def bench_key(index: int) -> PrivateKey:
    return PrivateKey.from_label(ACCOUNT_LABEL.format(index=index))


@dataclass(frozen=True)
class SignedBatch:
    """Pre-signed transactions of one step, in schedule order."""

    txs: list[bytes]
    hashes_hex: list[str]
    senders: list[int]
    """Account index of each transaction's sender (it decides the node and the connection)."""


def choose_recipient(sender: int, k: int, accounts_total: int) -> int:
    """Another funded account, spread over the whole population (never the sender)."""
    step = 1 + (k * 7919) % (accounts_total - 1)
    return (sender + step) % accounts_total


def compute_memo(key: PrivateKey, chain_id: str, tx_bytes_target: int) -> str:
    """The memo that brings a transfer closest to `tx_bytes_target` signed bytes."""
    probe_to = bench_key(0).address
    base = len(sign_tx(key, chain_id, 0, Transfer(to=probe_to, amount=TRANSFER_AMOUNT)))
    length = max(0, min(MEMO_BYTES_MAX, tx_bytes_target - base))
    while length > 0:
        memo = "m" * length
        size = len(sign_tx(key, chain_id, 0, Transfer(to=probe_to, amount=TRANSFER_AMOUNT,
                                                      memo=memo)))
        if size <= tx_bytes_target:
            return memo
        length -= 1
    return ""


def sign_transfers(
    chain_id: str,
    count: int,
    first_account: int,
    accounts: int,
    accounts_total: int,
    tx_bytes_target: int = TX_BYTES_DEFAULT,
) -> SignedBatch:
    """`count` transfers from accounts [first_account, first_account + accounts)."""
    keys = [bench_key(first_account + i) for i in range(min(accounts, count))]
    addresses = [bench_key(i).address for i in range(accounts_total)] if count else []
    memo = compute_memo(keys[0], chain_id, tx_bytes_target) if keys else ""
    txs, hashes, senders = [], [], []
    for k in range(count):
        slot = k % len(keys)
        sender = first_account + slot
        recipient = choose_recipient(sender, k, accounts_total)
        action = Transfer(to=addresses[recipient], amount=TRANSFER_AMOUNT, memo=memo)
        tx = sign_tx(keys[slot], chain_id, k // len(keys), action)
        txs.append(tx)
        hashes.append(tx_hash(tx).hex())
        senders.append(sender)
    return SignedBatch(txs=txs, hashes_hex=hashes, senders=senders)


__all__ = [
    "TX_BYTES_DEFAULT",
    "SignedBatch",
    "bench_key",
    "choose_recipient",
    "compute_memo",
    "sign_transfers",
]
