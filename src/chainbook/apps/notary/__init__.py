"""The notary module: proof of existence by anchoring a document's SHA-256 (or a batch root)."""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.notary import process as _process
from chainbook.apps.notary.actions import ACTIONS, Anchor, AnchorBatch
from chainbook.apps.notary.batch import (
    compute_audit_paths,
    compute_batch_root,
    is_document_in_batch,
)
from chainbook.apps.notary.errors import ERRORS, AlreadyAnchored, InvalidBatch, TextTooLong
from chainbook.apps.notary.genesis import GenesisAnchor, NotaryGenesis, verify_notary_genesis
from chainbook.apps.notary.limits import LIMITS
from chainbook.apps.notary.queries import QUERIES, AnchorInfo, AnchorRequest
from chainbook.apps.notary.workload import NotaryWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="Proof of existence: a document's SHA-256 (or a batch's Merkle root), anchored once.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(NotaryGenesis, _process.process_genesis, verify_notary_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=NotaryWorkload,
)

__all__ = [
    "MODULE",
    "AlreadyAnchored",
    "Anchor",
    "AnchorBatch",
    "AnchorInfo",
    "AnchorRequest",
    "GenesisAnchor",
    "InvalidBatch",
    "NotaryGenesis",
    "TextTooLong",
    "compute_audit_paths",
    "compute_batch_root",
    "is_document_in_batch",
]
