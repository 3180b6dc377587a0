"""The accounts module: which keys speak for an account (multi-signature, key rotation)."""

from chainbook.apps.accounts import process as _process
from chainbook.apps.accounts.actions import ACTIONS, ClearPolicy, SetPolicy, Signer
from chainbook.apps.accounts.errors import ERRORS
from chainbook.apps.accounts.genesis import (
    AccountsGenesis,
    GenesisPolicy,
    GenesisSigner,
    verify_accounts_genesis,
)
from chainbook.apps.accounts.limits import LIMITS
from chainbook.apps.accounts.queries import QUERIES, PolicyRequest, PolicyView, SignerView
from chainbook.apps.accounts.workload import AccountsWorkload
from chainbook.apps.base import GenesisSection, Module

MODULE = Module(
    name=_process.MODULE_NAME,
    summary=(
        "Account security: k-of-n weighted signers, key rotation without a new address, "
        "a lost key replaced by the other signers."
    ),
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(AccountsGenesis, _process.process_genesis, verify_accounts_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=AccountsWorkload,
    account_policy=_process.get_policy,
)

__all__ = [
    "MODULE",
    "AccountsGenesis",
    "ClearPolicy",
    "GenesisPolicy",
    "GenesisSigner",
    "PolicyRequest",
    "PolicyView",
    "SetPolicy",
    "Signer",
    "SignerView",
]
