"""Assembling a node core: the one place a node is put together, for every driver.

    booted = boot_core(genesis=..., key=..., store=..., record=..., settings=...)

1. open the book (core/book.py): refuse a genesis other than the book's (GenesisMismatch,
   nothing changed), load the state checkpoint and verify and replay the blocks after it
   (`full_verify`: every block from genesis), repair (truncate) a damaged tail;
2. the mempool and the evidence pool over that state, the node ledger over them;
3. the consensus machine at the height after the book's, with the stored commit of the
   book's last block, this node's consensus record (None if it never signed), the consensus
   parameters of that height and, of the node's consensus keys, the one in the validator set
   of that height. Whether the node is a validator is decided there, from the chain (the
   ledger state), never from the genesis file or a config: a full node voted in starts
   signing at its activation height, a validator voted out stops, and the NodeCore makes the
   same choice again before every later height (core/node.py). A node whose record the
   driver could not vouch for (`signing_refused`, storage/consensus_record.py's signing
   rule) follows the chain without a key until an operator acts;
4. the NodeCore over all of it.

The runtime (runtime/node.py), the simulator (sim/node.py) and the benchmarks' stage timer
call this, so the node they run is the same node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.commit import Commit
from chainbook.chain.genesis import Genesis
from chainbook.consensus.machine import ConsensusMachine
from chainbook.core.book import BlockReplayed, BookReport, StoredBook, open_book
from chainbook.core.evidence import EvidencePool
from chainbook.core.mempool import Mempool
from chainbook.core.node import CoreSettings, NodeCore, select_signing_key
from chainbook.core.snapshots import SnapshotSource
from chainbook.core.sync import BookReader
from chainbook.crypto import PrivateKey
from chainbook.ledger.node_ledger import NodeLedger
from chainbook.ledger.state_tree import StateTree
from chainbook.types import Height

MachineFactory = Callable[..., ConsensusMachine]
"""Builds the ConsensusMachine from its keyword arguments (tests pass unsafe variants)."""


class NodeBook(StoredBook, BookReader, Protocol):
    """The store a node core is booted from and serves block sync out of."""

    def load_commit(self, height: Height) -> Commit | None: ...


@dataclass(frozen=True, slots=True)
class BootedCore:
    core: NodeCore
    report: BookReport
    """What opening the book found (a damaged tail, a rewritten state table)."""


def boot_core(
    *,
    genesis: Genesis,
    key: PrivateKey,
    store: NodeBook,
    record: bytes | None,
    settings: CoreSettings,
    signing_refused: str | None = None,
    repair: bool = True,
    machine_factory: MachineFactory = ConsensusMachine,
    machine_options: dict[str, Any] | None = None,
    registry: Registry = REGISTRY,
    consensus_keys: tuple[PrivateKey, ...] = (),
    full_verify: bool = False,
    on_block_replayed: BlockReplayed | None = None,
    book: str = "the book",
    snapshots: SnapshotSource | None = None,
    restored: tuple[dict[bytes, bytes], StateTree] | None = None,
) -> BootedCore:
    """`key` is the node's identity (and its consensus key unless `consensus_keys` names
    others: a rotation target held ahead of its activation height); `book` names the store in
    errors (its path); `snapshots` are the state snapshots the node serves (none: None);
    `restored` the state a state sync just wrote and verified (core/book.py open_book)."""
    opened = open_book(
        store,
        genesis,
        repair=repair,
        registry=registry,
        from_checkpoint=not full_verify,
        book=book,
        restored=restored,
        on_block_replayed=on_block_replayed,
    )
    state = opened.state
    mempool = Mempool(genesis.chain_id, state)
    evidence = EvidencePool()
    ledger = NodeLedger(genesis, state, opened.last_header, mempool, evidence)
    keys = (key, *(k for k in consensus_keys if k.address != key.address))
    height = state.height
    may_sign = signing_refused is None
    machine = machine_factory(
        chain_id=genesis.chain_id,
        ledger=ledger,
        params=ledger.get_consensus_params(height + 1),
        key=select_signing_key(ledger, height + 1, keys) if may_sign else None,
        height=height + 1,
        last_commit=store.load_commit(height) if height else None,
        record=record if may_sign else None,
        **(machine_options or {}),
    )
    core = NodeCore(
        genesis=genesis,
        key=key,
        book=store,
        mempool=mempool,
        ledger=ledger,
        machine=machine,
        settings=settings,
        evidence=evidence,
        consensus_keys=keys,
        signing_refused=signing_refused,
        snapshots=snapshots,
    )
    return BootedCore(core=core, report=opened.report)


__all__ = ["BootedCore", "MachineFactory", "NodeBook", "boot_core"]
