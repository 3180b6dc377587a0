"""The accounts module's simulated clients: key rotations, k-of-n policies and their removal.

Each simulated account may use a pool of three keys: its own (whose address it is) and two
derived from it. The workload draws policies over that pool and tracks, by nonce, which keys
speak for the account after each transaction it signs: every later transaction of the
account, of any module, is signed by exactly the keys its policy lists (or its own key alone
without one), and the transaction that changes the policy also by the keys of the new one.
When a client signs again from an earlier nonce (a refused transaction was dropped and the
later ones renumbered, sim/workload.py), what was tracked from that nonce on is forgotten, so
a dropped policy change never decides the keys of the transactions after it. So the
simulation runs multi-key transactions, rotated keys acting for an address that is not
theirs, and policy lookups on every node, through crashes and restarts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import msgspec

from chainbook.apps.accounts.actions import ClearPolicy, SetPolicy, Signer
from chainbook.apps.base import Rng
from chainbook.crypto import PrivateKey
from chainbook.types import Address, Nonce

POOL_KEYS = 3
POLICY_SHARE = 0.3
"""Of this module's turns, the share that changes a policy (the others send nothing)."""
HISTORY_MAX = 256
"""Signed transactions remembered per account: a client signs again only from a nonce at or
above its committed one, at most in_flight_max (a few) below its next."""

Speaking = frozenset[Address] | None
"""The addresses of the keys an account's policy lists (None: no policy, its own key)."""


def pool_key(account: Address, index: int) -> PrivateKey:
    """Key `index` (1, 2) of an account's pool; index 0 is the account's own key."""
    return PrivateKey.from_label(f"sim-accounts/{account.hex()}/{index}")


class AccountsWorkload:
    def __init__(self) -> None:
        self._derived: dict[Address, list[PrivateKey]] = {}
        self._history: dict[Address, deque[tuple[Nonce, Speaking]]] = {}
        """Account -> (nonce, who speaks for it after that transaction) for the last
        transactions signed for it, increasing nonces (absent: no policy, its own key)."""
        self.failed = 0
        """Policy changes refused at execution (a drawn policy should never be: tests check)."""
        self.changes = 0

    def genesis_section(self, accounts: Sequence[Address]) -> msgspec.Struct | None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        if rng.random() >= POLICY_SHARE:
            return None
        derived = self._derived.setdefault(
            sender, [pool_key(sender, i) for i in range(1, POOL_KEYS)]
        )
        if self._get_speaking(sender, None) is not None and rng.random() < 0.3:
            return ClearPolicy()
        one, two = derived[0].address, derived[1].address
        match rng.randint(0, 2):
            case 0:  # a key rotation: the address stays, another key speaks for it
                return SetPolicy([Signer(one, 1)], 1)
            case 1:  # 2 of 3
                return SetPolicy([Signer(sender, 1), Signer(one, 1), Signer(two, 1)], 2)
        # weighted: the second derived key alone, or the other two together
        return SetPolicy([Signer(sender, 1), Signer(one, 1), Signer(two, 2)], 2)

    def _get_speaking(self, sender: Address, nonce: Nonce | None) -> Speaking:
        """Who speaks for `sender` before its transaction `nonce` (None: after the last one
        signed); with a nonce, what was signed from it on is forgotten."""
        history = self._history.get(sender)
        if history is None:
            return None
        while nonce is not None and history and history[-1][0] >= nonce:
            history.pop()
        return history[-1][1] if history else None

    def signing_keys(
        self, own_key: PrivateKey, nonce: Nonce, action: msgspec.Struct
    ) -> Sequence[PrivateKey] | None:
        """The keys that sign the account's transaction `nonce`, which carries `action`; None:
        its own key alone. A policy change takes effect here, for the transactions after it."""
        sender = own_key.address
        speaking = self._get_speaking(sender, nonce)
        signing = {sender} if speaking is None else set(speaking)
        after: Speaking
        match action:
            case SetPolicy(signers=signers):
                after = frozenset(s.address for s in signers)
                signing |= after
            case ClearPolicy():
                after = None
                signing.add(sender)
            case _:
                after = speaking
        if isinstance(action, SetPolicy | ClearPolicy):
            self.changes += 1
        if after is not None or sender in self._history:
            history = self._history.setdefault(sender, deque(maxlen=HISTORY_MAX))
            history.append((nonce, after))
        if signing == {sender}:
            return None
        pool = [own_key, *self._derived[sender]]
        return [key for key in pool if key.address in signing]

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok and isinstance(action, SetPolicy | ClearPolicy):
            self.failed += 1


__all__ = ["AccountsWorkload", "pool_key"]
