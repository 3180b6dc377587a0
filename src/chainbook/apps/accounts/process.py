"""Accounts state transitions: the policy that says which keys speak for an account.

State (keys relative to the module prefix b"accounts/"; values canonical MessagePack):

    policy/<address 20 bytes>   AccountPolicy   [[[signer address, weight], ...], threshold]
                                                present iff the account has a policy

Rules kept (the counting rule is apps/account_policy.py; the ledger applies it to every
transaction, ledger/authorization.py):
- Only the sender's own policy changes, and only by a transaction the ledger authorized under
  the current policy: a policy changes only with the current threshold (a lost key is replaced
  by the other signers, if they reach it; a rotation is signed by the old key).
- A policy has 1..policy_signers_max signers with distinct addresses (stored sorted), each of
  weight 1..signer_weight_max, and a threshold of 1..the sum of the weights that the
  limits.tx_signatures_max heaviest signers reach together (else no transaction could ever
  carry enough signatures and the account would be locked).
- The transaction that sets a policy must also meet the new policy (its keys reach the new
  threshold); the one that clears it must be signed by the address's own key. So no
  mistyped key can lock an account: whoever will speak for it has just signed.
- Nothing else: no events (the action states the whole policy; the state holds it).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.account_policy import AccountPolicy, is_policy_met
from chainbook.apps.accounts.actions import ClearPolicy, SetPolicy
from chainbook.apps.accounts.errors import NewPolicyNotMet, NoPolicy
from chainbook.apps.accounts.genesis import AccountsGenesis
from chainbook.apps.accounts.rules import make_policy, verify_policy
from chainbook.apps.base import KVReader, KVStore, TxContext
from chainbook.ledger.receipts import Event
from chainbook.types import Address

MODULE_NAME = "accounts"
POLICY_PREFIX = b"policy/"

_policy_decoder = msgspec.msgpack.Decoder(AccountPolicy)


# --- pure accessors -------------------------------------------------------------------------


def policy_key(address: Address) -> bytes:
    return POLICY_PREFIX + address


def get_policy(view: KVReader, address: Address) -> AccountPolicy | None:
    """The policy of `address`, or None (its own key speaks for it). The ledger's hook
    (Module.account_policy): read with `get`, a guard, on every transaction."""
    raw = view.get(POLICY_PREFIX + address)
    return None if raw is None else _policy_decoder.decode(raw)


# --- checks ---------------------------------------------------------------------------------


def verify_new_policy_met(policy: AccountPolicy | None, ctx: TxContext) -> None:
    if is_policy_met(policy, ctx.sender, ctx.key_addresses):
        return
    signed = ", ".join(a.hex() for a in ctx.key_addresses)
    if policy is None:
        raise NewPolicyNotMet(
            f"clearing the policy of {ctx.sender.hex()} needs the signature of the key whose "
            f"address it is (it speaks for the account afterwards); the keys that signed have "
            f"addresses {signed}"
        )
    raise NewPolicyNotMet(
        f"the new policy needs weight {policy.threshold} from its signers, and the keys of "
        f"this transaction (addresses {signed}) reach "
        f"{sum(s.weight for s in policy.signers if s.address in ctx.key_addresses)}: "
        "have the new signers sign this transaction too"
    )


# --- state changes --------------------------------------------------------------------------


def process_set_policy(view: KVStore, ctx: TxContext, action: SetPolicy) -> list[Event]:
    policy = make_policy([(s.address, s.weight) for s in action.signers], action.threshold)
    verify_policy(policy)
    verify_new_policy_met(policy, ctx)
    view.set(policy_key(ctx.sender), codec.encode(policy))
    return []


def process_clear_policy(view: KVStore, ctx: TxContext, action: ClearPolicy) -> list[Event]:
    if view.get(policy_key(ctx.sender)) is None:
        raise NoPolicy(
            f"account {ctx.sender.hex()} has no policy to clear (its own key speaks for it)"
        )
    verify_new_policy_met(None, ctx)
    view.delete(policy_key(ctx.sender))
    return []


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The accounts module's entry point: dispatch on the action type."""
    match action:
        case SetPolicy():
            return process_set_policy(view, ctx, action)
        case ClearPolicy():
            return process_clear_policy(view, ctx, action)
    raise AssertionError(f"accounts received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: AccountsGenesis) -> None:
    """The genesis hook: store the policies (checked by genesis.verify_accounts_genesis)."""
    for address, policy in section.policies_by_address():
        view.set(policy_key(address), codec.encode(policy))


__all__ = [
    "MODULE_NAME",
    "POLICY_PREFIX",
    "get_policy",
    "policy_key",
    "process",
    "process_clear_policy",
    "process_genesis",
    "process_set_policy",
    "verify_new_policy_met",
]
