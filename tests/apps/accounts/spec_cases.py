"""The accounts module's spec vectors (tests/apps/spec.py gives the format).

Keys: ALICE, BOB, CAROL, DAVE of tests.support; TREASURY is an account no single key controls
(a 2-of-3 policy of ALICE, BOB and CAROL set at genesis), funded with 1,000.
"""

from __future__ import annotations

from typing import Any

from chainbook.apps.accounts import (
    AccountsGenesis,
    ClearPolicy,
    GenesisPolicy,
    GenesisSigner,
    SetPolicy,
    Signer,
)
from chainbook.apps.bank import Transfer
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, DAVE, make_state, signed

TREASURY = PrivateKey.from_label("treasury")


def treasury_state() -> LedgerState:
    policy = GenesisPolicy(
        address=TREASURY.address.hex(),
        signers=[GenesisSigner(k.address.hex()) for k in (ALICE, BOB, CAROL)],
        threshold=2,
    )
    return make_state(
        {ALICE.address: 1_000, BOB.address: 500, TREASURY.address: 1_000},
        app_state={"accounts": AccountsGenesis(policies=[policy])},
    )


def two_of_three(*keys: PrivateKey) -> SetPolicy:
    return SetPolicy([Signer(k.address, 1) for k in keys], 2)


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    tr = [TREASURY.address]
    return [
        make_vector(
            "set_2_of_3",
            "Alice makes her account 2-of-3 (Alice, Bob, Carol), signed by Alice and Bob (the"
            " current key and enough of the new ones); then Bob and Carol pay 10 for her.",
            make_state(),
            [
                signed([ALICE, BOB], 0, two_of_three(ALICE, BOB, CAROL)),
                signed([BOB, CAROL], 1, Transfer(DAVE.address, 10), accounts=[ALICE.address]),
            ],
        ),
        make_vector(
            "rotate_key",
            "Alice rotates her key to Dave's (both sign); the address stays; Dave's key alone"
            " then pays for Alice.",
            make_state(),
            [
                signed([ALICE, DAVE], 0, SetPolicy([Signer(DAVE.address, 1)], 1)),
                signed(DAVE, 1, Transfer(BOB.address, 10), accounts=[ALICE.address]),
            ],
        ),
        make_vector(
            "old_key_after_rotation",
            "After the rotation Alice's old key no longer speaks for her: the block is invalid.",
            make_state(),
            [
                signed([ALICE, DAVE], 0, SetPolicy([Signer(DAVE.address, 1)], 1)),
                signed(ALICE, 1, Transfer(BOB.address, 10)),
            ],
        ),
        make_vector(
            "one_of_two_is_not_enough",
            "One signature of the 2-of-3 treasury is not enough: the block is invalid.",
            treasury_state(),
            [signed(ALICE, 0, Transfer(BOB.address, 10), accounts=tr)],
        ),
        make_vector(
            "lost_key_replaced",
            "Bob lost his key: Alice and Carol (the threshold) replace it by Dave's in the"
            " treasury's policy, then Carol and Dave pay from the treasury.",
            treasury_state(),
            [
                signed([ALICE, CAROL], 0, two_of_three(ALICE, CAROL, DAVE), accounts=tr),
                signed([CAROL, DAVE], 1, Transfer(BOB.address, 100), accounts=tr),
            ],
        ),
        make_vector(
            "new_policy_not_met",
            "Alice names Bob as her only signer but Bob does not sign: refused (a mistyped key"
            " would lock the account); an impossible threshold is refused too.",
            make_state(),
            [
                signed(ALICE, 0, SetPolicy([Signer(BOB.address, 1)], 1)),
                signed(ALICE, 1, SetPolicy([Signer(ALICE.address, 1)], 2)),
                signed(ALICE, 2, ClearPolicy()),
            ],
        ),
        make_vector(
            "co_signer",
            "Alice pays Bob with Bob co-signing (accounts [Alice, Bob]); only Alice's nonce"
            " moves.",
            make_state(),
            [
                signed(
                    [ALICE, BOB], 0, Transfer(BOB.address, 5), accounts=[ALICE.address, BOB.address]
                )
            ],
        ),
        make_vector(
            "co_signer_policy_changed",
            "Bob rotates his key to Carol's first in the block; Alice's transaction co-signed"
            " with Bob's old key then fails, and Alice keeps her used nonce and paid fee.",
            make_state(),
            [
                signed([BOB, CAROL], 0, SetPolicy([Signer(CAROL.address, 1)], 1)),
                signed(
                    [ALICE, BOB],
                    0,
                    Transfer(BOB.address, 5),
                    fee=7,
                    accounts=[ALICE.address, BOB.address],
                ),
            ],
        ),
        make_vector(
            "clear_policy",
            "Alice rotates to Dave, then clears the policy with both keys: her own key speaks"
            " for her again.",
            make_state(),
            [
                signed([ALICE, DAVE], 0, SetPolicy([Signer(DAVE.address, 1)], 1)),
                signed([DAVE, ALICE], 1, ClearPolicy(), accounts=[ALICE.address]),
                signed(ALICE, 2, Transfer(BOB.address, 1)),
            ],
        ),
    ]
