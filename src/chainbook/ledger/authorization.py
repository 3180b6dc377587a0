"""Authorization: may the keys that signed a transaction speak for the accounts it names?

Rules kept (the counting rule itself is apps/account_policy.py is_policy_met):
- Every account of a transaction (DecodedTx.accounts: the sender, then the co-signers) must be
  spoken for by the transaction's keys: its policy's threshold reached (the module that keeps
  policies, Registry.policy_keeper), or, without a policy, its own key among them. Signatures
  were checked before (chain/tx.py); this is the question only the state can answer.
- The sender is checked before anything of the transaction runs: a transaction whose keys do
  not speak for its sender must not move its nonce nor charge it a fee. In a block that makes
  the whole block invalid: an account's policy changes only through its own transactions, which
  the proposer's mempool applied in nonce order before admitting this one, so an honest
  proposer never includes such a transaction.
- The co-signers are checked after the fee, as part of the action: a co-signer's policy can
  change in the same block through the co-signer's own transaction, which the sender's
  admission could not foresee. A co-signer no longer spoken for refuses the action (a failed
  receipt naming it); the sender, who did authorize it, has paid its fee and used its nonce.
  At admission both are refused alike.
- A key that speaks for none of the accounts is allowed, and grants nothing: TxContext.signers
  lists accounts, never keys. The new signers of a policy sign the transaction that sets it
  that way (apps/accounts: a policy must be met by the transaction that sets it, so a mistyped
  key cannot lock an account). Nobody but the signers can add such a key: every key signed the
  whole body, the list of keys included (chain/tx.py), so an extra, dropped or reordered
  signature breaks the others, and no third party can change a transaction's hash. For the same
  reason more signers of a policy than its threshold needs are allowed.
- One Authorizer per view (a block's, or a sender's speculative state in the mempool)
  remembers the accounts it found without a policy, so an account that signs many
  transactions of a block costs one policy lookup, not one per transaction. Only the module
  that keeps policies writes them, and only through its own actions (apps/accounts has no
  begin/end-block hook and no export), so the memo is dropped whenever such an action is
  about to run on the view (`note_action`): the next check reads the policy again. The first
  lookup is still a read of the view, so a mempool's TrackedView records it as a guard.
"""

from __future__ import annotations

from chainbook.apps.account_policy import (
    AccountPolicy,
    PolicyFn,
    compute_signed_weight,
    is_policy_met,
)
from chainbook.apps.base import KVReader, PrefixedReader
from chainbook.apps.registry import Registry
from chainbook.chain.tx import DecodedTx
from chainbook.errors import Unauthorized
from chainbook.types import Address


class Authorizer:
    """The authorization checks over one state view: built once per block in execution and
    once per sender's speculative state in the mempool; an account costs one policy lookup
    per view while it has no policy (the module docstring)."""

    __slots__ = ("_keeper_actions", "_no_policy", "_policy_fn", "_policy_view")

    def __init__(self, registry: Registry, view: KVReader) -> None:
        keeper = registry.policy_keeper
        self._policy_fn: PolicyFn | None = None
        self._policy_view: KVReader = view
        self._keeper_actions: frozenset[type] = frozenset()
        if keeper is not None and keeper.account_policy is not None:
            self._policy_fn = keeper.account_policy
            self._policy_view = PrefixedReader(view, keeper.prefix)
            self._keeper_actions = frozenset(keeper.actions)
        self._no_policy: set[Address] = set()
        """Accounts found without a policy on the view since the keeper last acted on it."""

    def note_action(self, action: object) -> None:
        """Call before `action` runs on the view: an action of the policy keeper may set or
        clear a policy, so what was remembered is forgotten."""
        if type(action) in self._keeper_actions:
            self._no_policy.clear()

    def get_policy(self, account: Address) -> AccountPolicy | None:
        """The policy of `account` (None: the default rule, or no module keeps policies)."""
        fn = self._policy_fn
        return None if fn is None else fn(self._policy_view, account)

    def verify_account(self, tx: DecodedTx, account: Address, role: str) -> None:
        if account in self._no_policy:
            policy = None
        else:
            policy = self.get_policy(account)
            if policy is None:
                self._no_policy.add(account)
        if is_policy_met(policy, account, tx.key_addresses):
            return
        raise Unauthorized(describe_unauthorized(policy, account, tx.key_addresses, role))

    def verify_sender(self, tx: DecodedTx) -> None:
        # The usual case inlined (no policy remembered, the sender's own key signed): every
        # transaction runs this at admission and again in its block.
        sender = tx.sender
        if sender in self._no_policy and sender in tx.key_addresses:
            return
        self.verify_account(tx, sender, "sender")

    def verify_cosigners(self, tx: DecodedTx) -> None:
        for account in tx.accounts[1:]:
            self.verify_account(tx, account, "co-signer")


def get_account_policy(
    registry: Registry, view: KVReader, account: Address
) -> AccountPolicy | None:
    """The policy of `account` on `view` (None: the default rule)."""
    return Authorizer(registry, view).get_policy(account)


def describe_unauthorized(
    policy: AccountPolicy | None, account: Address, key_addresses: tuple[Address, ...], role: str
) -> str:
    signed = ", ".join(a.hex() for a in key_addresses)
    if policy is None:
        return (
            f"{role} {account.hex()} has no account policy, so the key whose address it is must "
            f"sign; the keys that signed have addresses {signed}"
        )
    signers = ", ".join(f"{s.address.hex()} (weight {s.weight})" for s in policy.signers)
    return (
        f"{role} {account.hex()}: the keys that signed reach weight "
        f"{compute_signed_weight(policy, key_addresses)} of its threshold {policy.threshold}; "
        f"its signers are {signers}"
    )


__all__ = ["Authorizer", "describe_unauthorized", "get_account_policy"]
