"""The trace module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

from chainbook.apps.governance import GovernanceGenesis
from chainbook.apps.trace import Accept, Create, HandOver, Part, Record, RegisterProduct, Split
from chainbook.ledger.state import LedgerState
from tests.apps.spec import MakeVector
from tests.apps.trace.helpers import CUSTOMS, GREY, INSTITUTIONS, MAKER, SHIPPER, TEA_STEPS
from tests.support import make_state, signed


def registry_state() -> LedgerState:
    return make_state(app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)})


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "custody_and_steps",
            "The manufacturer registers a product type and a lot of 100; hands it to the"
            " shipper, who accepts counting 98 (a trace.gap: quantity_mismatch) and records"
            " 'shipped'; customs clears it; the shipper splits 10 off it.",
            registry_state(),
            [
                signed(MAKER, 0, RegisterProduct("tea", "Longjing green tea", TEA_STEPS)),
                signed(MAKER, 1, Create("lot-1", "tea", 100)),
                signed(MAKER, 2, HandOver("lot-1", SHIPPER.address)),
                signed(SHIPPER, 0, Accept("lot-1", 98)),
                signed(SHIPPER, 1, Record("lot-1", "shipped", "Ningbo")),
                signed(CUSTOMS, 0, Record("lot-1", "customs_cleared")),
                signed(SHIPPER, 2, Split("lot-1", [Part("box-1", 10)])),
            ],
        ),
        make_vector(
            "refusals",
            "Refused: a product type by no manufacturer, an item of an unknown type, a"
            " customs step recorded by the holder, a split over the lot; only nonces change.",
            registry_state(),
            [
                signed(GREY, 0, RegisterProduct("fake", "Fake tea")),
                signed(MAKER, 0, Create("lot-1", "tea", 100)),
                signed(MAKER, 1, RegisterProduct("tea", "Longjing green tea", TEA_STEPS)),
                signed(MAKER, 2, Create("lot-1", "tea", 100)),
                signed(MAKER, 3, Record("lot-1", "customs_cleared")),
                signed(MAKER, 4, Split("lot-1", [Part("box-1", 101)])),
            ],
        ),
    ]
