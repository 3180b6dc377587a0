"""What the royalty tests share: a chain with a record label (a rights manager with two keys),
a second label, a court (no rights manager) and a bank issuing a freezable token; the song's
holders; ledger wrappers for one-key and co-signed transactions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

from chainbook.apps.assets import AssetsGenesis, GenesisBalance, GenesisToken
from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.apps.royalty import Price, Register, Share
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ask, make_state, run_block, run_refused, tx

LABEL = PrivateKey.from_label("royalty-label")
LABEL2 = PrivateKey.from_label("royalty-label-second-key")
OTHER_LABEL = PrivateKey.from_label("royalty-other-label")
COURT = PrivateKey.from_label("royalty-court")
"""An institution without the rights_manager role."""
BANK = PrivateKey.from_label("royalty-bank")
"""The issuer of MUSX (freezable)."""
AUTHOR = PrivateKey.from_label("royalty-author")
PRODUCER = PrivateKey.from_label("royalty-producer")
SINGER = PrivateKey.from_label("royalty-singer")
LISTENER = PrivateKey.from_label("royalty-listener")
STRANGER = PrivateKey.from_label("royalty-stranger")

SONG = "USRC17607839"
METADATA = hashlib.sha256(b"song metadata").digest()
FUNDS = 10**10
TOKEN = "MUSX"

INSTITUTIONS = [
    GenesisInstitution("sunrise-records", "Sunrise Records", ["rights_manager"],
                       [LABEL.public_key.hex(), LABEL2.public_key.hex()]),
    GenesisInstitution("moon-music", "Moon Music", ["rights_manager"],
                       [OTHER_LABEL.public_key.hex()]),
    GenesisInstitution("court-1", "Court", ["court"], [COURT.public_key.hex()]),
    GenesisInstitution("bank-a", "Bank A", ["issuer"], [BANK.public_key.hex()]),
]
SPLIT = [Share(AUTHOR.address, 5_000), Share(PRODUCER.address, 3_000),
         Share(SINGER.address, 2_000)]
PRICES = [Price("download", 100), Price("licence", 50_000)]


def make_ledger(**app_state: Any) -> LedgerState:
    """Listener and stranger hold FUNDS of the native coin and of MUSX."""
    funded = {LISTENER.address: FUNDS, STRANGER.address: FUNDS}
    token = GenesisToken(TOKEN, "music token", 2, "bank-a", freezable=True,
                         balances=[GenesisBalance(a.hex(), n) for a, n in funded.items()])
    sections: dict[str, Any] = {
        "governance": GovernanceGenesis(institutions=INSTITUTIONS),
        "assets": AssetsGenesis(tokens=[token]),
        **app_state,
    }
    return make_state(funded, app_state=sections)


def song(work: str = SONG, split: Sequence[Share] = SPLIT, token: str = "",
         prices: Sequence[Price] = PRICES) -> Register:
    return Register(work, "Morning Light", METADATA, list(split), list(prices), token)


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def signed_by(state: LedgerState, keys: Sequence[PrivateKey], action: msgspec.Struct) -> Any:
    """A transaction of keys[0]'s account with the others' accounts as co-signers."""
    if len(keys) == 1:
        return tx(keys[0], nonce(state, keys[0]), action)
    return tx(list(keys), nonce(state, keys[0]), action, accounts=[k.address for k in keys])


def run(state: LedgerState, key: PrivateKey | Sequence[PrivateKey],
        action: msgspec.Struct) -> Receipt:
    """One action as the next block; asserts it succeeded."""
    keys = [key] if isinstance(key, PrivateKey) else list(key)
    (receipt,) = run_block(state, [signed_by(state, keys, action)]).receipts
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt


def refused(state: LedgerState, key: PrivateKey | Sequence[PrivateKey], action: msgspec.Struct,
            code: str) -> str:
    """One action as the next block, refused with `code`, changing nothing but the nonce."""
    keys = [key] if isinstance(key, PrivateKey) else list(key)
    return run_refused(state, signed_by(state, keys, action), code).error


def balance(state: LedgerState, key: PrivateKey | bytes, token: str = "") -> int:
    address = key if isinstance(key, bytes) else key.address
    if token == "":
        return int(ask(state, "bank", "balance", address=address).balance)
    return int(ask(state, "assets", "balance", token=token, address=address).balance)


def with_song(**kwargs: Any) -> LedgerState:
    state = make_ledger()
    run(state, LABEL, song(**kwargs))
    return state


__all__ = [
    "AUTHOR",
    "BANK",
    "COURT",
    "FUNDS",
    "INSTITUTIONS",
    "LABEL",
    "LABEL2",
    "LISTENER",
    "METADATA",
    "OTHER_LABEL",
    "PRICES",
    "PRODUCER",
    "SINGER",
    "SONG",
    "SPLIT",
    "STRANGER",
    "TOKEN",
    "balance",
    "make_ledger",
    "nonce",
    "refused",
    "run",
    "signed_by",
    "song",
    "with_song",
]
