"""The private module: collections of member institutions sharing contents that only their
nodes hold; the chain keeps each record's salted hash (Hyperledger Fabric's private data
collections are the model). The on-chain part is here; the content's travel between member
nodes is core/private_data.py, its store storage/private_store.py, its API
api/private_routes.py, disclosure files cli/private.py and client/private_disclosure.py."""

from chainbook.apps.base import Module
from chainbook.apps.private import process as _process
from chainbook.apps.private.actions import ACTIONS, ApproveMembers, CreateCollection, Record
from chainbook.apps.private.content import compute_record_hash, is_content_of
from chainbook.apps.private.errors import ERRORS
from chainbook.apps.private.limits import LIMITS
from chainbook.apps.private.queries import (
    QUERIES,
    CollectionRequest,
    CollectionView,
    MemberNodeRequest,
    MemberNodeView,
    RecordRequest,
    RecordView,
)
from chainbook.apps.private.workload import PrivateWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary="Private data: member institutions share contents off chain; the chain holds "
    "their salted hashes.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    errors=ERRORS,
    limits=LIMITS,
    workload=PrivateWorkload,
)

__all__ = [
    "MODULE",
    "ApproveMembers",
    "CollectionRequest",
    "CollectionView",
    "CreateCollection",
    "MemberNodeRequest",
    "MemberNodeView",
    "Record",
    "RecordRequest",
    "RecordView",
    "compute_record_hash",
    "is_content_of",
]
