"""Assembling a node core: the one place a node is put together, for every driver.

    booted = boot_core(genesis=..., key=..., store=..., record=..., settings=...)

1. open the book (core/book.py): re-verify the stored chain, replay it into the ledger
   state, repair (truncate) a damaged tail;
2. the mempool over that state, the ledger application over both;
3. the consensus machine at the height after the book's, with the stored commit of the
   book's last block and this validator's consensus record (None for a full node, or a
   validator that never signed); a validator whose record the driver could not vouch for
   (`signing_refused`, storage/consensus_record.py's signing rule) follows the chain without
   a key until an operator acts;
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
from chainbook.core.mempool import Mempool
from chainbook.core.node import CoreSettings, NodeCore
from chainbook.core.sync import BookReader
from chainbook.crypto import PrivateKey
from chainbook.ledger.application import LedgerApplication
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
    on_block_replayed: BlockReplayed | None = None,
) -> BootedCore:
    opened = open_book(
        store, genesis, repair=repair, registry=registry, on_block_replayed=on_block_replayed
    )
    state = opened.state
    mempool = Mempool(genesis.chain_id, state)
    app = LedgerApplication(genesis, state, opened.last_header, mempool)
    is_validator = genesis.validator_set.is_validator(key.address)
    height = state.height
    may_sign = is_validator and signing_refused is None
    machine = machine_factory(
        chain_id=genesis.chain_id,
        app=app,
        params=genesis.consensus,
        key=key if may_sign else None,
        height=height + 1,
        last_commit=store.load_commit(height) if height else None,
        record=record if may_sign else None,
        **(machine_options or {}),
    )
    core = NodeCore(
        genesis=genesis,
        key=key,
        is_validator=is_validator,
        book=store,
        mempool=mempool,
        app=app,
        machine=machine,
        settings=settings,
        signing_refused=signing_refused if is_validator else None,
    )
    return BootedCore(core=core, report=opened.report)


__all__ = ["BootedCore", "MachineFactory", "NodeBook", "boot_core"]
