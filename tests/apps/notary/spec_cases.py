"""The notary's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

import hashlib
from typing import Any

from chainbook.apps.notary import Anchor, AnchorBatch, limits
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, make_state, signed

DOC = hashlib.sha256(b"the minutes of 14 March").digest()
ROOT = hashlib.sha256(b"a batch root").digest()


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "anchor_once",
            "Alice anchors a document and a batch root; Bob's anchoring of the same document"
            " later in the block is refused (notary.already_anchored, naming Alice's).",
            make_state(),
            [
                signed(ALICE, 0, Anchor(DOC, "Minutes", '{"pages": 3}')),
                signed(ALICE, 1, AnchorBatch(ROOT, 3, "March")),
                signed(BOB, 0, Anchor(DOC, "mine")),
            ],
        ),
        make_vector(
            "limits",
            "Refusals at the limits: a title one byte too long, a batch of 0 and one of"
            " batch_hashes_max + 1 documents; nothing is written but the nonces.",
            make_state(),
            [
                signed(ALICE, 0, Anchor(DOC, "t" * (limits.title_bytes_max + 1))),
                signed(ALICE, 1, AnchorBatch(ROOT, 0)),
                signed(ALICE, 2, AnchorBatch(ROOT, limits.batch_hashes_max + 1)),
            ],
        ),
    ]
