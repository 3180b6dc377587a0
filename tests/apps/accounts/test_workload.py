"""The accounts workload signs by nonce: a policy change it signed and the client then dropped
(refused, later transactions renumbered) no longer decides who signs after it."""

from __future__ import annotations

from chainbook.apps.accounts import ClearPolicy, SetPolicy, Signer
from chainbook.apps.accounts.workload import AccountsWorkload, pool_key
from chainbook.apps.bank import Transfer
from tests.support import ALICE, BOB

PAY = Transfer(BOB.address, 1)


def addresses(keys: object) -> list[bytes] | None:
    return None if keys is None else [k.address for k in keys]  # type: ignore[attr-defined]


def test_signing_again_from_a_nonce_forgets_what_was_signed_from_it() -> None:
    workload = AccountsWorkload()
    workload._derived[ALICE.address] = [pool_key(ALICE.address, i) for i in (1, 2)]
    one = pool_key(ALICE.address, 1)
    rotate = SetPolicy([Signer(one.address, 1)], 1)
    # nonce 0 rotates to `one`: signed by the old key and the new one; then `one` alone.
    assert addresses(workload.signing_keys(ALICE, 0, rotate)) == [ALICE.address, one.address]
    assert addresses(workload.signing_keys(ALICE, 1, PAY)) == [one.address]
    assert addresses(workload.signing_keys(ALICE, 2, PAY)) == [one.address]
    # The rotation was refused and dropped; the payments are signed again from nonce 0.
    assert workload.signing_keys(ALICE, 0, PAY) is None
    assert workload.signing_keys(ALICE, 1, PAY) is None
    # A rotation at nonce 2; nonce 3 signed twice: the second (a clear) replaces the first.
    assert addresses(workload.signing_keys(ALICE, 2, rotate)) == [ALICE.address, one.address]
    assert addresses(workload.signing_keys(ALICE, 3, PAY)) == [one.address]
    assert addresses(workload.signing_keys(ALICE, 3, ClearPolicy())) == [
        ALICE.address,
        one.address,
    ]
    assert workload.signing_keys(ALICE, 4, PAY) is None


def test_an_account_without_a_policy_costs_no_history() -> None:
    workload = AccountsWorkload()
    for nonce in range(10):
        assert workload.signing_keys(ALICE, nonce, PAY) is None
    assert workload._history == {}
