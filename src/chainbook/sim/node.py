"""One simulated node: a durable book that survives crashes, and a node core that does not.

Rules kept:
- Durable: the node's MemoryBlockStore (blocks, commits, tx index, state checkpoint) and,
  apart from it, its consensus record (MemoryConsensusRecordStore), as a node keeps its record
  file beside its key: a fault that loses the book leaves the record.
  Volatile: the NodeCore (consensus machine, ledger state, mempool, pending sync blocks,
  gossip queues). `crash()` drops the core; `boot()` builds a new one from the
  durable parts alone through core/boot.py, exactly as a restarted process does from its
  SQLite file, so the simulator runs the node's real start-up path.
- The node's consensus keys are durable too (an operator's key files): the node key, then
  any key it was given for a rotation (`add_consensus_key`, kept in the running core at once);
  the core signs with the one in the validator set of each height.
- `incarnation` grows at every boot, so timers and ticks armed by an earlier life of the node
  are recognised and dropped (a restarted process has no old timers).
- A torn crash (`crash_after_outputs`) stops the node in the middle of carrying out a step's
  outputs: what was performed before stays performed (durable writes, messages already sent),
  the rest never happens.
- Snapshots (config.snapshot_interval_blocks) are durable, as the runtime's data/snapshots:
  cut from the ledger state after every interval-th block, served by the core. A node that
  joins by state sync (`start_state_sync`) runs a StateSyncer (core/statesync.py) instead of a
  core until it restores a verified snapshot (`restore`: the store's restore_snapshot, then
  `boot` from it, as the runtime does); while it syncs it is not `up` (it cannot commit, vote
  or be crashed) but `is_running` (frames and ticks reach its syncer).
"""

from __future__ import annotations

from collections import Counter

from chainbook.chain.genesis import Genesis
from chainbook.consensus.machine import ConsensusRecord
from chainbook.core.boot import boot_core
from chainbook.core.node import CoreSettings, NodeCore
from chainbook.core.outputs import BlockRecord, Output
from chainbook.core.snapshots import make_snapshot
from chainbook.core.statesync import StateSyncer, StateSyncSettings, VerifiedSnapshot
from chainbook.crypto import PrivateKey
from chainbook.ledger.state_tree import StateTree
from chainbook.sim.checkers import decode_record
from chainbook.sim.config import SimConfig
from chainbook.storage import (
    MemoryBlockStore,
    MemoryConsensusRecordStore,
    MemorySnapshotStore,
    StateCheckpoints,
    load_signing_record,
)
from chainbook.types import Height, TimeMs

SIM_STATE_CHECKPOINT_BLOCKS = 3
"""Simulated nodes write their state checkpoint every 3 blocks (the node: every 100), so the
crashes of a run land before, after and in the middle of checkpoints."""
SIM_SNAPSHOT_CHUNK_BYTES = 512
"""Small chunks, so that a simulated state of a few dozen keys is fetched in several."""
SIM_SNAPSHOTS_KEPT = 2
SIM_STATE_SYNC_SETTINGS = StateSyncSettings(
    discovery_ms=150, rediscover_ms=400, request_timeout_ms=600, ban_ms=60_000
)
"""The node's state sync cadences scaled down to the simulator's timeouts."""
SIM_SYNCER_TICK_MS = 100
"""A syncing node's syncer is ticked this often (its request timeouts, rediscovery)."""


class SimNode:
    def __init__(
        self,
        index: int,
        key: PrivateKey,
        genesis: Genesis,
        config: SimConfig,
        settings: CoreSettings,
        byzantine: bool,
    ) -> None:
        self.index = index
        self.name = f"n{index}"
        self.key = key
        self.genesis = genesis
        self.config = config
        self.settings = settings
        self.byzantine = byzantine
        self.clock_skew_ms: int = 0
        # Durable, each on its own: losing or rolling back the book leaves the record.
        self.store = MemoryBlockStore()
        self.records = MemoryConsensusRecordStore()
        self.consensus_keys: list[PrivateKey] = [key]
        self.snapshots = MemorySnapshotStore(SIM_SNAPSHOTS_KEPT)
        self.snapshot_height: Height | None = None
        """The height of the snapshot this node restored (None: it started from genesis)."""
        self.durable_record: ConsensusRecord | None = None
        """The decoded consensus record in the store (derived; rebuilt at boot)."""
        # Volatile.
        self.up = False
        self.incarnation = 0
        self.core: NodeCore | None = None
        self.syncer: StateSyncer | None = None
        """Set while the node state-syncs (it has no core yet)."""
        self.state_checkpoints = StateCheckpoints(SIM_STATE_CHECKPOINT_BLOCKS)
        self.crash_after_outputs: int | None = None
        self.tick_at_ms: TimeMs | None = None
        """Simulated time of the next Tick queued for this incarnation."""
        self.boots = 0
        self._past_lives_counters: Counter[str] = Counter()
        """The core counters of earlier incarnations (a crash drops the core, not the count)."""

    # ------------------------------------------------------------------ life cycle

    @property
    def is_running(self) -> bool:
        """Up (a core), or state-syncing (a syncer): frames and ticks reach it."""
        return self.up or self.syncer is not None

    def start_state_sync(self) -> None:
        """Start with an empty book by state sync: the signing rule's start-up step (a fresh
        validator: FRESH_RECORD saved), then a StateSyncer until a snapshot is restored."""
        assert not self.up and self.syncer is None and self.store.latest_height() == 0
        load_signing_record(self.records, 0)
        self.syncer = StateSyncer(self.genesis, SIM_STATE_SYNC_SETTINGS)
        self.incarnation += 1
        self.tick_at_ms = None

    def restore(self, snapshot: VerifiedSnapshot, now_ms: TimeMs) -> list[Output]:
        """RestoreSnapshot: the verified snapshot becomes the book's checkpoint, then the core
        boots from it (runtime/node.py does the same); returns the core's first outputs."""
        assert self.syncer is not None
        anchor = snapshot.anchor
        self.store.restore_snapshot(
            anchor.base_block_bytes,
            anchor.base_block,
            anchor.base_commit,
            snapshot.kv,
            anchor.app_hash,
            [(hop.header, hop.commit, hop.validators) for hop in anchor.hops],
        )
        assert self.store.latest_height() == anchor.height  # read back
        self._past_lives_counters.update(
            {f"state_sync_{k}": v for k, v in self.syncer.counters.items()}
        )
        self.syncer = None
        self.snapshot_height = anchor.height
        return self.boot(now_ms, restored=(snapshot.kv, snapshot.tree))

    def take_snapshot(self, height: Height) -> None:
        """After block `height` is applied: every snapshot_interval_blocks, cut the ledger
        state into a snapshot the core serves."""
        interval = self.config.snapshot_interval_blocks
        if not interval or height % interval or self.core is None:
            return
        assert self.core.height == height
        kv = dict(self.core.ledger.state.kv)
        offer, chunks = make_snapshot(kv, height, chunk_bytes_target=SIM_SNAPSHOT_CHUNK_BYTES)
        self.snapshots.save(offer, chunks)

    def boot(
        self, now_ms: TimeMs, restored: tuple[dict[bytes, bytes], StateTree] | None = None
    ) -> list[Output]:
        """Start (or restart) from the durable store alone; returns the core's first outputs.
        `restored`: the state a state sync just verified and stored (not read back again)."""
        assert not self.up and self.syncer is None
        self.store.reopen()
        booted = boot_core(
            genesis=self.genesis,
            key=self.key,
            store=self.store,
            record=load_signing_record(self.records, self.store.latest_height()),
            settings=self.settings,
            machine_factory=self.config.machine_factory,
            registry=self.config.registry,
            consensus_keys=tuple(self.consensus_keys),
            snapshots=self.snapshots if self.config.snapshot_interval_blocks else None,
            restored=restored,
        )
        # A simulated store is never damaged, so any finding of the book check is a bug (in
        # checkpointing, or in what a crash left behind).
        report = booted.report
        assert report.corrupt_height is None and not report.state_table_rewritten, (
            f"{self.name}: book at boot: {report}"
        )
        # Changes a checkpoint writes are counted from the replayed height (pending ones died).
        self.state_checkpoints = StateCheckpoints(SIM_STATE_CHECKPOINT_BLOCKS)
        self.core = booted.core
        self.durable_record = self._load_durable_record()
        self.crash_after_outputs = None
        self.tick_at_ms = None
        self.up = True
        self.incarnation += 1
        self.boots += 1
        return self.core.start(self.local_time_ms(now_ms))

    def add_consensus_key(self, key: PrivateKey) -> None:
        """A key this node will sign with once the validator set holds it (a rotation)."""
        self.consensus_keys.append(key)
        if self.core is not None:
            self.core.consensus_keys = tuple(self.consensus_keys)

    def is_own_address(self, address: bytes) -> bool:
        return any(key.address == address for key in self.consensus_keys)

    def crash(self) -> None:
        """Lose every volatile part; the store stays as it is."""
        assert self.up
        self._past_lives_counters.update(self._core_counters())
        self.store.close()
        self.up = False
        self.core = None
        self.crash_after_outputs = None
        self.tick_at_ms = None

    def lifetime_counters(self) -> Counter[str]:
        """The core's refusals and no-ops by reason (machine, core, sync, admission), summed
        over every life of the node."""
        counters = Counter(self._past_lives_counters)
        counters.update(self._core_counters())
        return counters

    def _core_counters(self) -> Counter[str]:
        core = self.core
        if core is None:
            return Counter()
        counters = Counter(core.machine.counters)
        counters.update(core.counters)
        counters.update({f"sync_{k}": v for k, v in core.sync.counters.items()})
        counters.update(core.admission.counters)
        return counters

    def _load_durable_record(self) -> ConsensusRecord | None:
        record = self.records.load()
        return decode_record(record) if record else None

    # ------------------------------------------------------------------ durable outputs

    def persist_record(self, record_bytes: bytes) -> ConsensusRecord:
        """SaveConsensusRecord: durable before any later output (the write is immediate)."""
        self.records.save(record_bytes)
        assert self.records.load() == record_bytes  # read back
        self.durable_record = decode_record(record_bytes)
        return self.durable_record

    def save_block(self, record: BlockRecord) -> None:
        """SaveBlock: the block record becomes durable (the driver then feeds BlockSaved)."""
        height = record.height
        assert height == self.store.latest_height() + 1, (
            f"{self.name} saves {height}, stored up to {self.store.latest_height()}"
        )
        changes = self.state_checkpoints.changes_to_save(height, record.changes)
        self.store.save_block(
            record.block_bytes,
            record.block,
            record.commit,
            record.receipts,
            changes,
            record.app_hash,
        )
        assert self.store.latest_height() == height  # read back

    # ------------------------------------------------------------------ helpers

    def local_time_ms(self, sim_now_ms: TimeMs) -> TimeMs:
        """This node's wall clock: genesis time + simulated time + its skew."""
        return self.genesis.genesis_time_ms + sim_now_ms + self.clock_skew_ms

    def sim_time_ms(self, local_ms: TimeMs) -> TimeMs:
        """The simulated time at which this node's clock shows `local_ms`."""
        return local_ms - self.genesis.genesis_time_ms - self.clock_skew_ms

    @property
    def height(self) -> Height:
        """The latest committed (stored) height."""
        return self.store.latest_height()

    def describe(self) -> str:
        if self.syncer is not None:
            return f"{self.name} state-syncing"
        if not self.up or self.core is None:
            return f"{self.name} down h{self.height}"
        m = self.core.machine
        return f"{self.name} h{m.height} r{m.round} s{int(m.step_)} stored{self.height}"


__all__ = ["SimNode"]
