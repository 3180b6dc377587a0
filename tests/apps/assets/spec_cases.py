"""The assets module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

import hashlib
from typing import Any

from chainbook.apps.assets import (
    Burn,
    CreateToken,
    Freeze,
    Mint,
    RegisterAsset,
    Transfer,
    TransferAsset,
    Unfreeze,
)
from tests.apps.assets.helpers import BANK_A, BANK_A2, BANK_B, make_ledger
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, signed

DEED = hashlib.sha256(b"title deed of flat 12A").digest()


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "token_lifecycle",
            "Bank A creates the freezable capped token CNYX, mints 1,000 to Alice from its"
            " second key; Alice pays Bob 300; Bank B's mint of CNYX fails (not its issuer);"
            " a mint past the cap fails; Bank A freezes Bob, whose transfer then fails, and"
            " unfreezes him; Alice pays Bank A 100, which burns it; a second CNYX fails.",
            make_ledger(),
            [
                signed(BANK_A, 0, CreateToken("CNYX", "CNY deposit token", 2, 5_000, True)),
                signed(BANK_A2, 0, Mint("CNYX", ALICE.address, 1_000)),
                signed(ALICE, 0, Transfer("CNYX", BOB.address, 300, "rent")),
                signed(BANK_B, 0, Mint("CNYX", BANK_B.address, 1)),
                signed(BANK_A, 1, Mint("CNYX", CAROL.address, 4_001)),
                signed(BANK_A, 2, Freeze("CNYX", BOB.address)),
                signed(BOB, 0, Transfer("CNYX", CAROL.address, 1)),
                signed(BANK_A, 3, Unfreeze("CNYX", BOB.address)),
                signed(ALICE, 1, Transfer("CNYX", BANK_A.address, 100)),
                signed(BANK_A, 4, Burn("CNYX", 100)),
                signed(BANK_B, 1, CreateToken("CNYX", "mine", 2)),
            ],
        ),
        make_vector(
            "unique_asset",
            "Alice registers a title to herself; Bob's registration of the same id fails"
            " naming Alice's record; Alice transfers it to Carol; Bob's transfer fails"
            " (assets.not_owner).",
            make_ledger(),
            [
                signed(ALICE, 0, RegisterAsset("LR-HK-000123", DEED, ALICE.address)),
                signed(BOB, 0, RegisterAsset("LR-HK-000123", DEED, BOB.address)),
                signed(ALICE, 1, TransferAsset("LR-HK-000123", CAROL.address)),
                signed(BOB, 1, TransferAsset("LR-HK-000123", BOB.address)),
            ],
        ),
    ]
