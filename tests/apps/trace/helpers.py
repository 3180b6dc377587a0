"""What the trace tests share: a chain whose registry holds a manufacturer, a second
manufacturer, a logistics operator, a customs office and a retailer; a tea product type with
three steps; send / ok / refused on that chain."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.apps.trace import Accept, Create, HandOver, RegisterProduct, Step
from chainbook.chain.tx import decode_tx
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Event, Receipt
from tests.apps.governance.chain import GovernedLedger
from tests.support import ask, run_refused

MAKER = PrivateKey.from_label("trace-maker")
MAKER_2 = PrivateKey.from_label("trace-maker-second-key")
RIVAL = PrivateKey.from_label("trace-rival-maker")
SHIPPER = PrivateKey.from_label("trace-shipper")
CUSTOMS = PrivateKey.from_label("trace-customs")
SHOP = PrivateKey.from_label("trace-shop")
GREY = PrivateKey.from_label("trace-grey-market")
"""No institution: a holder the registry does not know."""

INSTITUTIONS = [
    GenesisInstitution("longjing-tea", "Longjing Tea Co.", ["manufacturer"],
                       [MAKER.public_key.hex(), MAKER_2.public_key.hex()]),
    GenesisInstitution("rival-tea", "Rival Tea", ["manufacturer"], [RIVAL.public_key.hex()]),
    GenesisInstitution("sf-express", "SF Express", ["logistics_operator"],
                       [SHIPPER.public_key.hex()]),
    GenesisInstitution("ningbo-customs", "Ningbo Customs", ["customs"],
                       [CUSTOMS.public_key.hex()]),
    GenesisInstitution("tea-shop", "The Tea Shop", ["retailer"], [SHOP.public_key.hex()]),
]

TEA_STEPS = [Step("shipped"), Step("customs_cleared", "customs"), Step("sold")]


def make_ledger(product: bool = True) -> GovernedLedger:
    ledger = GovernedLedger(app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)})
    if product:
        ok(ledger, MAKER, RegisterProduct("tea", "Longjing green tea, 250 g", TEA_STEPS))
    return ledger


def ok(ledger: GovernedLedger, key: PrivateKey, action: msgspec.Struct) -> list[Event]:
    receipt = ledger.run(key, action)
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt.events


def send(ledger: GovernedLedger, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    return ledger.run(key, action)


def refused(ledger: GovernedLedger, key: PrivateKey, action: msgspec.Struct, code: str) -> str:
    """Refused with `code`, changing nothing but the nonce (tests/support run_refused)."""
    return run_refused(ledger.state, decode_tx(ledger.tx(key, action)), code).error


def move(ledger: GovernedLedger, item: str, giver: PrivateKey, receiver: PrivateKey,
         counted: int | None = None) -> None:
    """A hand-off and its acceptance (the receiver counts `counted`, default what is held)."""
    quantity = ask(ledger.state, "trace", "item", item=item).quantity
    ok(ledger, giver, HandOver(item, receiver.address))
    ok(ledger, receiver, Accept(item, quantity if counted is None else counted))


def create(ledger: GovernedLedger, item: str = "lot-1", quantity: int = 100) -> None:
    ok(ledger, MAKER, Create(item, "tea", quantity))


def verdict(ledger: GovernedLedger, item: str = "lot-1") -> Any:
    return ask(ledger.state, "trace", "verdict", item=item)


def gap_kinds(ledger: GovernedLedger, item: str = "lot-1") -> list[str]:
    return [g.kind for g in verdict(ledger, item).gaps]


__all__ = [
    "INSTITUTIONS",
    "CUSTOMS",
    "GREY",
    "MAKER",
    "MAKER_2",
    "RIVAL",
    "SHIPPER",
    "SHOP",
    "TEA_STEPS",
    "create",
    "gap_kinds",
    "make_ledger",
    "move",
    "ok",
    "refused",
    "send",
    "verdict",
]
