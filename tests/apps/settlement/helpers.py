"""What the settlement tests share: a chain where a mainland bank issues CNYT and a Hong Kong
bank HKDT, Alice and Bob hold both and the native coin, and helpers that number each key's
transactions, sign swaps by both parties and read balances in any token."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.assets import AssetsGenesis, GenesisBalance, GenesisToken
from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.apps.settlement import ESCROW
from chainbook.chain.tx import DecodedTx
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, BOB, CAROL, DAVE, ask, make_state, run_block, run_refused, tx

BANK_CN = PrivateKey.from_label("settlement-bank-cn")
BANK_HK = PrivateKey.from_label("settlement-bank-hk")
KEYS = [ALICE, BOB, CAROL, DAVE]
TOKENS = ("", "CNYT", "HKDT")
COINS = 1_000_000
"""What each of Alice, Bob, Carol and Dave holds of every token at genesis."""

INSTITUTIONS = [
    GenesisInstitution("bank-cn", "Mainland Bank", ["issuer"], [BANK_CN.public_key.hex()]),
    GenesisInstitution("bank-hk", "Harbour Bank", ["issuer"], [BANK_HK.public_key.hex()]),
]


def app_state() -> dict[str, msgspec.Struct]:
    """The banks registered as issuers, and COINS of CNYT and HKDT for each test account."""
    holders = [GenesisBalance(k.address.hex(), COINS) for k in KEYS]
    return {
        "governance": GovernanceGenesis(institutions=INSTITUTIONS),
        "assets": AssetsGenesis(tokens=[
            GenesisToken("CNYT", "CNY deposit token", 2, "bank-cn", freezable=True,
                         balances=holders),
            GenesisToken("HKDT", "HKD deposit token", 2, "bank-hk", balances=holders),
        ]),
    }


def make_ledger() -> LedgerState:
    return make_state({k.address: COINS for k in KEYS}, app_state=app_state())


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def signed_by(
    state: LedgerState, keys: Sequence[PrivateKey], action: msgspec.Struct
) -> DecodedTx:
    """The transaction of keys[0]'s account, co-signed by the others' accounts."""
    return tx(list(keys), nonce(state, keys[0]), action, accounts=[k.address for k in keys])


def run(state: LedgerState, key: PrivateKey | Sequence[PrivateKey], action: msgspec.Struct
        ) -> Receipt:
    """One action as the next block (co-signed when `key` is several keys); asserts success."""
    keys = [key] if isinstance(key, PrivateKey) else list(key)
    (receipt,) = run_block(state, [signed_by(state, keys, action)]).receipts
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt


def refused(state: LedgerState, key: PrivateKey | Sequence[PrivateKey], action: msgspec.Struct,
            code: str) -> str:
    """One action as the next block, refused with `code`, changing nothing but the nonce."""
    keys = [key] if isinstance(key, PrivateKey) else list(key)
    return run_refused(state, signed_by(state, keys, action), code).error


def advance_to(state: LedgerState, height: int) -> None:
    """Empty blocks until the committed height is `height`."""
    while state.height < height:
        run_block(state, [])


def balance(state: LedgerState, token: str, who: PrivateKey | bytes) -> int:
    address = who if isinstance(who, bytes) else who.address
    if token == "":
        return int(ask(state, "bank", "balance", address=address).balance)
    return int(ask(state, "assets", "balance", token=token, address=address).balance)


def balances(state: LedgerState) -> dict[tuple[str, bytes], int]:
    """Every test account's and the escrow's balance in every token."""
    addresses = [k.address for k in KEYS] + [ESCROW]
    return {(t, a): balance(state, t, a) for t in TOKENS for a in addresses}


def escrowed(state: LedgerState, token: str) -> int:
    return int(ask(state, "settlement", "escrow", token=token).amount)


def supplies(state: LedgerState) -> dict[str, int]:
    return {
        "": int(ask(state, "bank", "supply").total),
        **{t: int(ask(state, "assets", "token", token=t).supply) for t in TOKENS if t},
    }


__all__ = [
    "BANK_CN",
    "BANK_HK",
    "COINS",
    "KEYS",
    "TOKENS",
    "advance_to",
    "app_state",
    "balance",
    "balances",
    "escrowed",
    "make_ledger",
    "nonce",
    "refused",
    "run",
    "signed_by",
    "supplies",
]
