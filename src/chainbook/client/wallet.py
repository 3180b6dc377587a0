"""`Wallet`: sign and send actions of any module from one key, keeping the nonce locally.

Actions come from `chainbook.client.build_action` or a module's action types. The next nonce
is read once from the node (`pending_nonce`, which counts the node's mempool) and then counted
locally, so a wallet can send many actions in a row without a round trip each. If the node
refuses a nonce (another wallet with the same key, a dropped tx), the local count is
forgotten and read again on the next send.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from chainbook.api import views
from chainbook.chain.tx import sign_tx
from chainbook.client.http import ApiError, Client
from chainbook.crypto import PrivateKey
from chainbook.keyfile import load_key_file
from chainbook.types import Address, Nonce

NONCE_ERROR_CODES = frozenset({"invalid_nonce"})


class Wallet:
    def __init__(self, private_key: PrivateKey, chain_id: str, client: Client) -> None:
        self.private_key = private_key
        self.chain_id = chain_id
        self.client = client
        self._next_nonce: Nonce | None = None

    @classmethod
    def from_key_file(cls, path: Path, client: Client, chain_id: str | None = None) -> Wallet:
        """A wallet for a key file; the chain id is asked from the node unless given."""
        chain_id = chain_id if chain_id is not None else client.status().chain_id
        return cls(load_key_file(path), chain_id, client)

    @property
    def address(self) -> Address:
        return self.private_key.address

    def next_nonce(self) -> Nonce:
        if self._next_nonce is None:
            self._next_nonce = self.client.get_account(self.address).pending_nonce
        return self._next_nonce

    def forget_nonce(self) -> None:
        self._next_nonce = None

    def send(
        self, action: msgspec.Struct, wait: bool = False, timeout_s: float = 10.0
    ) -> views.SubmitTxView:
        """Sign any app action with the next nonce and submit it."""
        nonce = self.next_nonce()
        tx_bytes = sign_tx(self.private_key, self.chain_id, nonce, action)
        try:
            submitted = self.client.submit_tx(tx_bytes, wait=wait, timeout_s=timeout_s)
        except ApiError as exc:
            if exc.code in NONCE_ERROR_CODES:
                self.forget_nonce()
            raise
        self._next_nonce = nonce + 1
        return submitted


__all__ = ["Wallet"]
