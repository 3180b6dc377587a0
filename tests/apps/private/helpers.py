"""What the private tests share: a chain whose registry holds member institutions, each with
a user key and a node key, and a sender with the right nonce."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, BOB, CAROL, make_state, run_block, tx

NODE_A = PrivateKey.from_label("private/node-a")
NODE_B = PrivateKey.from_label("private/node-b")
NODE_C = PrivateKey.from_label("private/node-c")
OUTSIDER_NODE = PrivateKey.from_label("private/outsider-node")
INSTITUTIONS = {
    "bank-a": (ALICE, NODE_A),
    "bank-b": (BOB, NODE_B),
    "bank-c": (CAROL, NODE_C),
}
"""Institution id -> (its user's key, its node's key). DAVE belongs to none."""


def institutions_genesis(extra: int = 0) -> GovernanceGenesis:
    entries = [
        GenesisInstitution(id=i, name=i.upper(), roles=["bank"],
                           public_keys=[user.public_key.hex(), node.public_key.hex()])
        for i, (user, node) in INSTITUTIONS.items()
    ]
    entries += [
        GenesisInstitution(id=f"inst-{n}", name=f"Institution {n}", roles=["bank"],
                           public_keys=[PrivateKey.from_label(f"inst-{n}").public_key.hex()])
        for n in range(extra)
    ]
    return GovernanceGenesis(institutions=entries)


def private_state(extra_institutions: int = 0, **kwargs: Any) -> LedgerState:
    return make_state(app_state={"governance": institutions_genesis(extra_institutions)},
                      **kwargs)


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def send(state: LedgerState, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    """`action` of `key` alone in the next block; its receipt (ok or not)."""
    receipt: Receipt = run_block(state, [tx(key, nonce(state, key), action)]).receipts[0]
    return receipt
