"""What the API asks of a running node: the `NodeService` protocol and the values it returns.

The port is owned by its user: the API (chainbook.api) declares it here and depends on nothing
else of the node, so it is tested against a fake over the real ledger, mempool and index
(tests/support/fake_node.py); the node runtime implements it (runtime/node.py, its reads in
runtime/reads.py, the index, stream and dry run in runtime/chain_reads.py).
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from chainbook.api.stream import EventHub
from chainbook.chain.block import Block
from chainbook.chain.commit import Commit
from chainbook.chain.genesis import Genesis
from chainbook.chain.tx import DecodedTx
from chainbook.chain.validators import Validator
from chainbook.errors import InvalidInput
from chainbook.index.search import TxPage, TxSearch
from chainbook.ledger.proven_query import ProvenQuery
from chainbook.ledger.receipts import Event, Receipt
from chainbook.types import Address, Hash, Height, Nonce, Round, TimeMs


class TxLocation(msgspec.Struct, frozen=True):
    """Where a committed transaction is: its block height, its index there, and its receipt."""

    height: Height
    index: int
    receipt: Receipt


class TxProof(msgspec.Struct, frozen=True):
    """Everything needed to check offline that a transaction is final.

    The tx bytes hash (RFC 6962 leaf) up to `block.header.txs_root` through `audit_path`, its
    receipt up to `block.header.receipts_root` through `receipt_path`; the header hash is what
    `commit` (> 2/3 of the validators' precommits) signs.
    """

    tx: bytes
    location: TxLocation
    audit_path: list[Hash]
    receipt_path: list[Hash]
    """The audit path of the receipt up to `block.header.receipts_root`."""
    tree_size: int
    block: Block
    commit: Commit


class ValidatorSetChange(msgspec.Struct, frozen=True):
    """The header at `height` announced `validators` as the set of height + 1; `header` and
    `commit` are the exact bytes of that header and of its commit certificate, what a verifier
    follows the change by. A node serves them whatever it pruned: from the header rows a
    pruned book keeps, and below the base of a book started by state sync from the changes
    its snapshot proof carried (core/snapshot_proof.py build_validator_hops)."""

    height: Height
    validators: list[Validator]
    header: bytes
    commit: bytes


class AccountView(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An account as the ledger knows it: its nonces. (Its balances belong to modules: the
    bank's at GET /apps/bank/balance.)"""

    address: str
    """40 hex characters."""
    nonce: Nonce
    """The nonce the account's next transaction must carry (committed state)."""
    pending_nonce: Nonce
    """The next nonce counting this node's mempool: what a wallet should use."""


class PeerView(msgspec.Struct, frozen=True):
    node_id: str
    address: str
    direction: str
    connected_since_ms: TimeMs


class ValidatorView(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    address: str
    public_key: str
    power: int


class MempoolSnapshot(msgspec.Struct, frozen=True):
    """What waits in the node's mempool: counts and the first pending hashes in proposal
    order (the mempool changes between two calls, so it is shown, not paged)."""

    txs: int
    bytes: int
    senders: int
    hashes: list[Hash]


class NodeStatus(msgspec.Struct, frozen=True):
    chain_id: str
    node_id: str
    moniker: str
    is_validator: bool
    height: Height
    """Latest committed height."""
    app_hash: str
    latest_block_hash: str
    latest_block_time_ms: TimeMs
    round: Round
    """Current consensus round at height + 1."""
    syncing: bool
    mempool_txs: int
    peers: list[PeerView]
    validators: list[ValidatorView]
    book_repairs: int
    """How many times this node found its stored book damaged and repaired it from peers."""
    signing_refused: str | None = None
    """Why this validator does not sign (its consensus record was lost: an operator must run
    `chainbook node reset-signing`), or None."""
    node_version: str = ""
    """The chainbook release the node runs (filled in by the API)."""
    protocol_version: int = 0
    """The p2p protocol version (filled in by the API)."""
    genesis_hash: str = ""
    """The hash of the genesis file the node runs (filled in by the API)."""
    index_height: int | None = None
    """The height the transaction index has reached (None: no index)."""


class NodeService(Protocol):
    chain_id: str
    genesis: Genesis

    @property
    def events(self) -> EventHub:
        """The stream of committed blocks (api/stream.py) the node publishes to."""
        ...

    def submit_tx(self, tx_bytes: bytes) -> DecodedTx:
        """Admit into the mempool and gossip; raises chainbook.errors.InvalidTransaction."""
        ...

    async def submit_txs(self, txs: list[bytes]) -> list[DecodedTx | InvalidInput]:
        """Admit many: each result is the admitted transaction or the error that refused it."""
        ...

    async def wait_for_tx(self, tx_hash: Hash, timeout_s: float) -> TxLocation | None:
        """Wait until the transaction is committed; None on timeout."""
        ...

    def get_tx(self, tx_hash: Hash) -> TxLocation | None: ...

    def is_pending(self, tx_hash: Hash) -> bool:
        """Whether the transaction waits in this node's mempool."""
        ...

    def get_tx_proof(self, tx_hash: Hash) -> TxProof | None: ...

    def get_block(self, height: Height) -> Block | None: ...

    def get_block_bytes(self, height: Height) -> bytes | None:
        """The block's exact bytes as stored (its canonical MessagePack encoding)."""
        ...

    def get_receipts(self, height: Height) -> list[Receipt] | None:
        """Every receipt of the block at `height`, in block order."""
        ...

    def prove_query(self, module: str, name: str, request: msgspec.Struct) -> ProvenQuery:
        """A module's query on the latest proven state, with a proof of each key it read
        (ledger/proven_query.py); raises InvalidInput (UnknownQuery, ProofUnavailable)."""
        ...

    def get_validator_changes(self, to_height: Height) -> list[ValidatorSetChange]:
        """Every validator-set change announced by a header below `to_height` (so in force at
        `to_height` at the latest), oldest first, each with its header and commit; empty while
        the genesis set holds. Raises LookupError (its message names the height) if the book
        lacks the header or commit of one."""
        ...

    def get_commit(self, height: Height) -> Commit | None: ...

    def get_account(self, address: Address) -> AccountView: ...

    def query(self, module: str, name: str, request: msgspec.Struct) -> Any:
        """A module's query on the committed state (ledger/queries.py); raises InvalidInput
        (UnknownQuery) for an unknown module or query."""
        ...

    def status(self) -> NodeStatus: ...

    def metrics_text(self) -> bytes:
        """Prometheus text exposition of the node's metrics."""
        ...

    def find_block_height(self, block_hash: Hash) -> Height | None:
        """The height of the committed block with this hash, or None."""
        ...

    def get_block_events(self, height: Height) -> list[Event] | None:
        """The block-level events of `height` (begin-block hooks: the bank's mint), as the
        index recorded them; None when the index has not reached the height (or is off)."""
        ...

    def search_txs(self, search: TxSearch) -> TxPage:
        """Committed transactions matching `search`, a page at a time (chainbook.index);
        raises InvalidInput (code index_unavailable) when the node keeps no index."""
        ...

    def get_mempool(self, hashes_max: int) -> MempoolSnapshot: ...

    def dry_run(self, tx: DecodedTx, time_ms: TimeMs) -> Receipt:
        """Execute `tx` on the latest committed state without committing anything
        (api/dry_run.py); raises InvalidInput for a nonce or action the ledger refuses."""
        ...


__all__ = [
    "AccountView",
    "MempoolSnapshot",
    "NodeService",
    "NodeStatus",
    "PeerView",
    "TxLocation",
    "TxProof",
    "ValidatorSetChange",
    "ValidatorView",
]
