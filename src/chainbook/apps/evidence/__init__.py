"""The evidence module: court electronic evidence, a party's case file endorsed by registered
courts, notary offices, forensic centres and CAs under a "k of n" policy."""

from chainbook.apps.base import Module
from chainbook.apps.evidence import process as _process
from chainbook.apps.evidence.actions import ACTIONS, Document, Endorse, Submit
from chainbook.apps.evidence.digest import CASE_DIGEST_TAG, compute_case_digest
from chainbook.apps.evidence.errors import ERRORS
from chainbook.apps.evidence.limits import LIMITS
from chainbook.apps.evidence.policy import Endorser, PolicyEntry, compute_matching, count_met
from chainbook.apps.evidence.queries import (
    QUERIES,
    CaseInfo,
    CaseRequest,
    EndorsementAnswer,
    EndorsementInfo,
    EndorsementRequest,
    EntryInfo,
    PolicyInfo,
)
from chainbook.apps.evidence.state import ENDORSING_ROLES
from chainbook.apps.evidence.workload import EvidenceWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="Court evidence: a party's case file (records' hashes) endorsed by registered "
    "courts, notaries, forensic centres and CAs; 'k of n' policies; offline packages.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    errors=ERRORS,
    limits=LIMITS,
    workload=EvidenceWorkload,
)

__all__ = [
    "CASE_DIGEST_TAG",
    "ENDORSING_ROLES",
    "MODULE",
    "CaseInfo",
    "CaseRequest",
    "Document",
    "Endorse",
    "EndorsementAnswer",
    "EndorsementInfo",
    "EndorsementRequest",
    "Endorser",
    "EntryInfo",
    "PolicyEntry",
    "PolicyInfo",
    "Submit",
    "compute_case_digest",
    "compute_matching",
    "count_met",
]
