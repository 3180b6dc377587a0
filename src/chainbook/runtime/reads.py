"""The read side of the NodeService the API calls (api/service.py): what a running node answers.

`Node` (runtime/node.py) inherits these answers; they read the node core's committed state, the
book and the transport, and never change anything, so they need no lock: the API runs on the
node's own event loop. Submission and waiting for commits stay in Node, beside the driving of
the core they take part in.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook import merkle
from chainbook.api.service import (
    AccountView,
    NodeStatus,
    PeerView,
    TxLocation,
    TxProof,
    ValidatorSetChange,
    ValidatorView,
)
from chainbook.chain.block import Block
from chainbook.chain.commit import Commit
from chainbook.chain.genesis import Genesis
from chainbook.core.node import NodeCore
from chainbook.core.snapshot_proof import build_validator_hops
from chainbook.core.statesync import StateSyncer
from chainbook.crypto import PrivateKey
from chainbook.ledger.proven_query import ProvenQuery, prove_query
from chainbook.ledger.queries import run_query
from chainbook.ledger.receipts import Receipt, encode_receipt_leaf
from chainbook.ledger.state import get_nonce
from chainbook.p2p import Transport
from chainbook.runtime.chain_reads import NodeIndexing
from chainbook.runtime.config import NodeConfig
from chainbook.runtime.home import Home
from chainbook.runtime.metrics import NodeMetrics
from chainbook.storage import SqliteBlockStore
from chainbook.types import Address, Hash, Height


class NodeReads:
    """Mixed into Node; the attributes are Node's."""

    chain_id: str
    config: NodeConfig
    key: PrivateKey
    core: NodeCore
    store: SqliteBlockStore
    transport: Transport | None
    metrics: NodeMetrics
    book_repairs: int
    genesis: Genesis
    home: Home
    syncer: StateSyncer | None
    """Set while the node state-syncs."""
    indexing: NodeIndexing
    _reported: dict[str, int]
    """Core counters already added to the Prometheus counters."""
    _latest_last_commit: Commit | None
    """The latest block's last_commit (the missing-validators metrics), once read."""

    def is_pending(self, tx_hash: Hash) -> bool:
        return tx_hash in self.core.mempool

    def get_tx(self, tx_hash: Hash) -> TxLocation | None:
        stored = self.store.load_tx(tx_hash)
        if stored is None:
            return None
        return TxLocation(height=stored.height, index=stored.index, receipt=stored.receipt)

    def get_tx_proof(self, tx_hash: Hash) -> TxProof | None:
        location = self.get_tx(tx_hash)
        if location is None:
            return None
        block = self.store.load_block(location.height)
        commit = self.store.load_commit(location.height)
        assert block is not None and commit is not None
        receipts = self.store.load_receipts(location.height)
        assert receipts is not None
        leaf_hashes = [merkle.leaf_hash(tx) for tx in block.txs]
        receipt_hashes = [merkle.leaf_hash(encode_receipt_leaf(r)) for r in receipts]
        return TxProof(
            tx=block.txs[location.index],
            location=location,
            audit_path=merkle.inclusion_proof(leaf_hashes, location.index),
            receipt_path=merkle.inclusion_proof(receipt_hashes, location.index),
            tree_size=len(block.txs),
            block=block,
            commit=commit,
        )

    def get_block(self, height: Height) -> Block | None:
        return self.store.load_block(height)

    def get_commit(self, height: Height) -> Commit | None:
        return self.store.load_commit(height)

    def get_block_bytes(self, height: Height) -> bytes | None:
        return self.store.load_block_bytes(height)

    def get_receipts(self, height: Height) -> list[Receipt] | None:
        return self.store.load_receipts(height)

    def prove_query(self, module: str, name: str, request: msgspec.Struct) -> ProvenQuery:
        return prove_query(self.core.ledger.state, module, name, request)

    def get_validator_changes(self, to_height: Height) -> list[ValidatorSetChange]:
        changes = self.core.ledger.get_validator_changes(to_height)
        hops = build_validator_hops(self.store, changes)  # ValidatorHopMissing: a LookupError
        return [
            ValidatorSetChange(
                height=height,
                validators=list(validators.validators),
                header=hop.header,
                commit=hop.commit,
            )
            for (height, validators), hop in zip(changes, hops, strict=True)
        ]

    def get_account(self, address: Address) -> AccountView:
        return AccountView(
            address=address.hex(),
            nonce=get_nonce(self.core.ledger.state.kv, address),
            pending_nonce=self.core.mempool.get_pending_nonce(address),
        )

    def query(self, module: str, name: str, request: msgspec.Struct) -> Any:
        return run_query(self.core.ledger.state, module, name, request)

    def status(self) -> NodeStatus:
        core = self.core
        last = core.ledger.last_header
        peers = self.transport.connected_peers() if self.transport is not None else []
        return NodeStatus(
            chain_id=self.chain_id,
            genesis_hash=self.genesis.hash.hex(),
            node_id=self.key.public_key.hex(),
            moniker=self.config.moniker,
            is_validator=core.machine.is_validator,
            height=core.height,
            app_hash=core.ledger.state.app_hash.hex(),
            latest_block_hash=last.hash.hex() if last is not None else "",
            latest_block_time_ms=last.time_ms if last is not None else 0,
            round=core.machine.round,
            syncing=core.is_syncing or self.syncer is not None,
            mempool_txs=len(core.mempool),
            peers=[
                PeerView(
                    node_id=p.peer_id.hex(),
                    address=f"{p.address[0]}:{p.address[1]}"
                    if isinstance(p.address, tuple)
                    else str(p.address),
                    direction=str(p.direction),
                    connected_since_ms=int(p.connected_since_unix_s * 1000),
                )
                for p in peers
            ],
            validators=[
                ValidatorView(
                    name=v.name,
                    address=v.address.hex(),
                    public_key=v.public_key.hex(),
                    power=v.power,
                )
                for v in core.machine.validators.validators
            ],
            book_repairs=self.book_repairs,
            signing_refused=core.signing_refused,
            index_height=self.indexing.indexed_height,
        )

    def metrics_text(self) -> bytes:
        core, metrics = self.core, self.metrics
        self._add_new("admitted", core.txs_admitted, metrics.txs_admitted.inc)
        checked = core.ledger.txs_checked_in_blocks
        self._add_new("checked", checked, metrics.txs_checked_in_blocks.inc)
        for name, value in sorted(core.counters.items()):
            if name.startswith("tx_refused_"):
                code = name.removeprefix("tx_refused_")
                self._add_new(name, value, metrics.txs_refused.labels(code).inc)
            elif name in _DROP_REASONS:
                self._add_new(name, value, metrics.peer_messages_dropped.labels(name).inc)
        for name, value in sorted(core.admission.counters.items()):
            if name == "admission_queue_full":
                self._add_new(name, value, metrics.peer_messages_dropped.labels(name).inc)
        metrics.height.set(core.height)
        metrics.round.set(core.machine.round)
        metrics.mempool_txs.set(len(core.mempool))
        if self.transport is not None:
            metrics.peers.set(len(self.transport.connected_peers()))
        self._observe_health()
        return metrics.text()

    def _observe_health(self) -> None:
        """The monitoring families of runtime/metrics.py that are read at scrape time."""
        core, metrics = self.core, self.metrics
        if self._latest_last_commit is None and core.height > 0:
            latest = self.store.load_block(core.height)
            self._latest_last_commit = None if latest is None else latest.last_commit
        metrics.observe_validators(core.machine.validators, self._latest_last_commit)
        metrics.syncing.set(1 if core.is_syncing else 0)
        last = core.ledger.last_header
        metrics.latest_block_time.set(0 if last is None else last.time_ms / 1000)
        if self.transport is not None:
            stats = self.transport.stats()
            metrics.observe_totals(
                [("p2p_bytes_received", stats.bytes_in), ("p2p_bytes_sent", stats.bytes_out)]
            )
        metrics.observe_book_file(self.home.book_path)

    def _add_new(self, name: str, total: int, add: Any) -> None:
        new = total - self._reported.get(name, 0)
        if new > 0:
            add(new)
            self._reported[name] = total


_DROP_REASONS = frozenset({"sync_block_malformed", "sync_block_refused"})
"""Core counters reported as chainbook_peer_messages_dropped{reason}."""


__all__ = ["NodeReads"]
