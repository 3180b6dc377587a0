"""`Wallet`: sign and send actions of any module from one key, keeping the nonce locally.

Actions come from `chainbook.client.build_action` or a module's action types. The next nonce
is read once from the node (`pending_nonce`, which counts the node's mempool) and then counted
locally, so a wallet can send many actions in a row without a round trip each. If the node
refuses a nonce (another wallet with the same key, a dropped tx), the local count is
forgotten and read again on the next send.

Fees: the wallet asks the node once for the minimum fee per byte (the fees module's `params`
query; 0 when the node's chain has no fees module) and pays the least fee that covers each
transaction's size (chain.tx.fit_fee); `fee=` overrides it.

Several signers (docs/PROTOCOL.md): one party `prepare`s a transaction naming every key that
will sign and the accounts it acts for (itself first), signing its own slot; it passes the
bytes to the others, offline, and each adds its signature with `cosign`; once every key has
signed (`is_fully_signed`), anyone submits it (`submit`). Each signer reads the body it signs
(`describe`) before signing: the body names the action, the accounts, the fee and the nonce.

    tx = seller.prepare(action, keys=[seller.public_key, buyer_key], accounts=[seller, buyer])
    tx = buyer_wallet.cosign(tx)           # on the buyer's machine
    seller.submit(tx, wait=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from chainbook import codec
from chainbook.api import views
from chainbook.chain.tx import (
    SignedTx,
    TxBody,
    add_signature,
    encode_tx_body,
    fit_fee,
    get_unsigned_keys,
    prepare_tx,
    sign_tx,
    sign_tx_by,
)
from chainbook.client.http import ApiError, Client
from chainbook.crypto import SIGNATURE_BYTES, PrivateKey, address_from_public_key
from chainbook.keyfile import load_key_file
from chainbook.types import Address, Amount, Nonce, PublicKey

NONCE_ERROR_CODES = frozenset({"invalid_nonce"})


class Wallet:
    def __init__(
        self,
        private_key: PrivateKey,
        chain_id: str,
        client: Client,
        account: Address | None = None,
    ) -> None:
        """`account`: the account this key speaks for, when it is not the key's own address
        (a key rotated in by `accounts.set_policy`)."""
        self.private_key = private_key
        self.chain_id = chain_id
        self.client = client
        self.account = private_key.address if account is None else account
        self._next_nonce: Nonce | None = None
        self._min_fee_per_byte: Amount | None = None

    @classmethod
    def from_key_file(cls, path: Path, client: Client, chain_id: str | None = None) -> Wallet:
        """A wallet for a key file; the chain id is asked from the node unless given."""
        chain_id = chain_id if chain_id is not None else client.status().chain_id
        return cls(load_key_file(path), chain_id, client)

    @property
    def address(self) -> Address:
        """The account the wallet sends for (its key's address unless given `account`)."""
        return self.account

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key

    def next_nonce(self) -> Nonce:
        if self._next_nonce is None:
            self._next_nonce = self.client.get_account(self.address).pending_nonce
        return self._next_nonce

    def forget_nonce(self) -> None:
        self._next_nonce = None

    def min_fee_per_byte(self) -> Amount:
        """The chain's minimum fee per byte, asked once (0 without a fees module)."""
        if self._min_fee_per_byte is None:
            if self.client.registry.get_module("fees") is None:
                self._min_fee_per_byte = 0
            else:
                self._min_fee_per_byte = int(self.client.query("fees", "params").min_fee_per_byte)
        return self._min_fee_per_byte

    def sign(self, action: msgspec.Struct, nonce: Nonce, fee: Amount | None = None) -> bytes:
        """A one-key transaction of this wallet's account (the least fee the chain asks,
        unless `fee`)."""
        if self.account == self.private_key.address:
            key = self.private_key

            def make(f: Amount) -> bytes:
                return sign_tx(key, self.chain_id, nonce, action, fee=f)
        else:
            keys, accounts = [self.private_key], [self.account]

            def make(f: Amount) -> bytes:
                return sign_tx_by(keys, self.chain_id, nonce, action, fee=f, accounts=accounts)

        return make(fee) if fee is not None else fit_fee(make, self.min_fee_per_byte())

    def send(
        self,
        action: msgspec.Struct,
        wait: bool = False,
        timeout_s: float = 10.0,
        fee: Amount | None = None,
    ) -> views.SubmitTxView:
        """Sign any app action with the next nonce and submit it."""
        nonce = self.next_nonce()
        submitted = self.submit(self.sign(action, nonce, fee), wait, timeout_s)
        self._next_nonce = nonce + 1
        return submitted

    def submit(
        self, tx_bytes: bytes, wait: bool = False, timeout_s: float = 10.0
    ) -> views.SubmitTxView:
        """Submit signed transaction bytes (a refused nonce makes the wallet ask again)."""
        try:
            return self.client.submit_tx(tx_bytes, wait=wait, timeout_s=timeout_s)
        except ApiError as exc:
            if exc.code in NONCE_ERROR_CODES:
                self.forget_nonce()
            raise

    # --- several signers ----------------------------------------------------------------------

    def prepare(
        self,
        action: msgspec.Struct,
        keys: Sequence[PublicKey],
        accounts: Sequence[Address] | None = None,
        *,
        nonce: Nonce | None = None,
        fee: Amount | None = None,
    ) -> bytes:
        """A transaction signed by the keys `keys` (this wallet's among them), acting for
        `accounts` (the sender first; None: the address of keys[0]), with this wallet's
        signature in its slot and the others empty. The nonce is the sender's: this wallet's
        next one when it is the sender, else pass `nonce` (the sender's pending nonce).
        The fee is the least that covers the transaction once every key has signed."""
        sender = accounts[0] if accounts else address_from_public_key(keys[0])
        if nonce is None:
            if sender != self.address:
                raise ValueError(
                    f"the sender {sender.hex()} is not this wallet's account: pass its nonce"
                )
            nonce = self.next_nonce()
            self._next_nonce = nonce + 1
        if fee is None:
            fee = compute_fee_when_signed(
                self.chain_id, keys, nonce, action, accounts, self.min_fee_per_byte()
            )
        tx = prepare_tx(self.chain_id, keys, nonce, action, fee=fee, accounts=accounts)
        return add_signature(tx, self.private_key)

    def cosign(self, tx_bytes: bytes) -> bytes:
        """`tx_bytes` with this wallet's signature added (offline; read `describe` first)."""
        return add_signature(tx_bytes, self.private_key)


def compute_fee_when_signed(
    chain_id: str,
    keys: Sequence[PublicKey],
    nonce: Nonce,
    action: msgspec.Struct,
    accounts: Sequence[Address] | None,
    min_fee_per_byte: Amount,
) -> Amount:
    """The least fee for the transaction once every slot holds its 64-byte signature."""

    def filled(fee: Amount) -> bytes:
        body = encode_tx_body(chain_id, keys, nonce, action, fee=fee, accounts=accounts)
        return codec.encode(SignedTx(body, (bytes(SIGNATURE_BYTES),) * len(keys)))

    tx = fit_fee(filled, min_fee_per_byte)
    return codec.decode(codec.decode(tx, SignedTx).body, TxBody).fee


def is_fully_signed(tx_bytes: bytes) -> bool:
    """Whether every key of the transaction has put its signature in (it may be submitted)."""
    return not get_unsigned_keys(tx_bytes)


def describe(tx_bytes: bytes) -> TxBody:
    """The body a signer is asked to sign: chain, keys, accounts, nonce, fee, action bytes."""
    return codec.decode(codec.decode(tx_bytes, SignedTx).body, TxBody)


__all__ = ["Wallet", "compute_fee_when_signed", "describe", "is_fully_signed"]
