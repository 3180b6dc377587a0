"""The identity module: registered authorities issue credentials (birth, marriage, degree,
property title, professional licence) as hash commitments bound to a subject, and revoke
them; anyone checks a presented document against a credential, offline, with a state proof."""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.identity import process as _process
from chainbook.apps.identity.actions import ACTIONS, Issue, Revoke
from chainbook.apps.identity.commitment import (
    COMMITMENT_TAG,
    compute_commitment,
    is_salt_size_valid,
)
from chainbook.apps.identity.errors import ERRORS
from chainbook.apps.identity.genesis import (
    GenesisCredential,
    IdentityGenesis,
    verify_identity_genesis,
)
from chainbook.apps.identity.limits import LIMITS
from chainbook.apps.identity.queries import QUERIES, CredentialInfo, CredentialRequest
from chainbook.apps.identity.state import CREDENTIAL_TYPES, compute_status
from chainbook.apps.identity.workload import IdentityWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="Credentials: registered authorities commit to documents bound to a subject; "
    "anyone verifies a document offline; the issuer revokes.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(IdentityGenesis, _process.process_genesis, verify_identity_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=IdentityWorkload,
    assert_invariants=_process.assert_invariants,
)

__all__ = [
    "COMMITMENT_TAG",
    "CREDENTIAL_TYPES",
    "MODULE",
    "CredentialInfo",
    "CredentialRequest",
    "GenesisCredential",
    "IdentityGenesis",
    "Issue",
    "Revoke",
    "compute_commitment",
    "compute_status",
    "is_salt_size_valid",
]
