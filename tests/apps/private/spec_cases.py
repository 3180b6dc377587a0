"""The private module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

import hashlib
from typing import Any

from chainbook.apps.private import ApproveMembers, CreateCollection, Record
from tests.apps.private.helpers import private_state
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, DAVE, signed

HASH = hashlib.sha256(bytes(32) + b"exposure of client 17").digest()


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "collection_and_records",
            "Alice (bank-a) creates collection risk with bank-b, threshold 2, purge after 100"
            " blocks; Bob (bank-b) records a salted hash; Dave (no institution) is refused"
            " (private.not_a_member); Alice's record of the same id is refused"
            " (private.record_exists); Alice and Bob approve adding bank-c (version 2); Carol"
            " (bank-c) records.",
            private_state(),
            [
                signed(ALICE, 0, CreateCollection("risk", ["bank-a", "bank-b"], 2, 100)),
                signed(BOB, 0, Record("risk", "exposure-1", HASH)),
                signed(DAVE, 0, Record("risk", "exposure-2", HASH)),
                signed(ALICE, 1, Record("risk", "exposure-1", HASH)),
                signed(ALICE, 2, ApproveMembers("risk", 1, ["bank-a", "bank-b", "bank-c"], 2)),
                signed(BOB, 1, ApproveMembers("risk", 1, ["bank-a", "bank-b", "bank-c"], 2)),
                signed(CAROL, 0, Record("risk", "exposure-3", HASH)),
            ],
        ),
    ]
