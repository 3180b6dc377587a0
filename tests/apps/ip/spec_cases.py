"""The ip module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

import hashlib
from typing import Any

from chainbook.apps.ip import GrantLicence, Register, Transfer
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, make_state, signed

WORK = hashlib.sha256(b"a novel").digest()


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "first_filing_wins",
            "Alice files a work; Bob's filing of the same hash later in the block fails naming"
            " Alice's; Alice licenses it to Bob (event: licence 1) and transfers it to Carol;"
            " Bob's transfer of a work he does not own fails (ip.not_owner).",
            make_state(),
            [
                signed(ALICE, 0, Register(WORK, "The Novel", "Jane Doe", '{"isbn": "x"}')),
                signed(BOB, 0, Register(WORK, "Mine", "Bob")),
                signed(ALICE, 1, GrantLicence(WORK, BOB.address, "print, EU", "height", 0, 100)),
                signed(ALICE, 2, Transfer(WORK, CAROL.address)),
                signed(BOB, 1, Transfer(WORK, BOB.address)),
            ],
        ),
    ]
