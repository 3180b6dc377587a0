"""The private-data side of the NodeService (api/private_routes.py): submission and reads.

`Node` (runtime/node.py) inherits it. Trust assumption (docs/APPS.md "private"): a node's API
is local to its organisation (bound to loopback or the organisation's own network, as the
testnet and OPERATIONS.md set it), so whoever reaches it is of the organisation that runs the
node, and may read what the organisation may read: the contents of the collections it is a
member of. The API does not authenticate readers itself; exposing a member node's API beyond
the organisation exposes that organisation's private data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainbook.apps.registry import REGISTRY
from chainbook.chain.tx import DecodedTx, tx_hash
from chainbook.core.inputs import Input
from chainbook.core.node import NodeCore
from chainbook.core.private_data import StoredContent
from chainbook.core.private_wire import PrivateSubmitted
from chainbook.errors import InvalidInput
from chainbook.runtime.verifier import verify_inline
from chainbook.storage.private_store import SqlitePrivateStore


class PrivateDataMixin:
    """Mixed into Node; the attributes are Node's."""

    chain_id: str
    core: NodeCore
    private_store: SqlitePrivateStore

    if TYPE_CHECKING:  # Node's and NodeReads' (declared only for the type checker)

        def _handle(self, input_: Input) -> None: ...

        def submit_tx(self, tx_bytes: bytes) -> DecodedTx: ...

        def get_tx(self, tx_hash: bytes) -> object: ...

    def submit_private(self, tx_bytes: bytes, salt: bytes, content: bytes) -> DecodedTx:
        """Check the content against the signed private.record, admit the transaction, then
        hold the content and push it to the member nodes (core/private_data.py)."""
        checked = verify_inline(self.chain_id, tx_bytes)
        if isinstance(checked, InvalidInput):
            raise checked
        action = REGISTRY.decode_action(checked.action_bytes)
        record = self.core.private.verify_local_submission(
            self.core.ledger.state, action, salt, content
        )
        committed = self.get_tx(tx_hash(tx_bytes)) is not None
        decoded = checked if committed else self.submit_tx(tx_bytes)
        self._handle(PrivateSubmitted(record.collection, record.record, salt, content))
        return decoded

    def get_private(self, collection: str, record: str) -> StoredContent | None:
        return self.private_store.get(collection, record)

    def private_status(self) -> dict[str, int]:
        private = self.core.private
        counters = {name: value for name, value in sorted(private.counters.items())}
        counters["stored"] = self.private_store.count()
        counters["pending"] = private.pending_count
        counters["missing"] = private.missing_count
        return counters


__all__ = ["PrivateDataMixin"]
