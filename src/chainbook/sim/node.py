"""One simulated node: a durable store that survives crashes, and volatile parts that do not.

Rules kept:
- Durable: the node's MemoryBlockStore (blocks, commits, tx index, state, consensus record).
  Volatile: the ConsensusMachine, the LedgerApplication with its LedgerState, the Mempool,
  pending sync blocks. `crash()` drops every volatile part; `boot()` rebuilds them from the
  store alone, as a restarted process would from its SQLite file:
      ledger state  <- replay stored blocks 1..latest from the genesis state (replay_block
                       re-executes each and checks the header's app hash)
      machine       <- height latest + 1, last_commit = stored commit of latest,
                       record = load_consensus_state()
- `incarnation` grows at every boot, so timers and ticks armed by an earlier life of the node
  are recognised and dropped (a restarted process has no old timers).
- A torn crash (`crash_after_effects`) stops the node in the middle of carrying out a step's
  effects: what was performed before stays performed (durable writes, messages already
  sent), the rest never happens.
"""

from __future__ import annotations

from chainbook.chain.block import Block, encode_block
from chainbook.chain.commit import Commit
from chainbook.chain.genesis import Genesis
from chainbook.consensus.effects import Effect
from chainbook.consensus.machine import ConsensusMachine, ConsensusRecord
from chainbook.core.book import open_book
from chainbook.core.mempool import Mempool
from chainbook.crypto import PrivateKey
from chainbook.ledger.application import LedgerApplication
from chainbook.sim.checkers import decode_record
from chainbook.sim.config import SimConfig
from chainbook.storage.base import StateCheckpoints
from chainbook.storage.memory import MemoryBlockStore
from chainbook.types import Hash, Height, TimeMs

SIM_STATE_CHECKPOINT_BLOCKS = 3
"""Simulated nodes write their state checkpoint every 3 blocks (the node: every 100), so the
crashes of a run land before, after and in the middle of checkpoints."""


class SimNode:
    def __init__(
        self, index: int, key: PrivateKey, genesis: Genesis, config: SimConfig, byzantine: bool
    ) -> None:
        self.index = index
        self.name = f"n{index}"
        self.key = key
        self.genesis = genesis
        self.config = config
        self.byzantine = byzantine
        self.clock_skew_ms: int = 0
        # Durable.
        self.store = MemoryBlockStore()
        self.durable_record: ConsensusRecord | None = None
        """The decoded consensus record in the store (derived; rebuilt at boot)."""
        # Volatile.
        self.up = False
        self.incarnation = 0
        self.machine: ConsensusMachine | None = None
        self.app: LedgerApplication | None = None
        self.mempool: Mempool | None = None
        self.state_checkpoints = StateCheckpoints(SIM_STATE_CHECKPOINT_BLOCKS)
        self.sync_blocks: dict[Height, tuple[Block, Commit]] = {}
        self.crash_after_effects: int | None = None
        self.boots = 0

    # ------------------------------------------------------------------ life cycle

    def boot(self, now_ms: TimeMs) -> list[Effect]:
        """Start (or restart) from the durable store alone; returns the machine's first effects."""
        assert not self.up
        self.store.reopen()
        # The node's own start-up: verify and replay the book, check the state checkpoint
        # against the replay, bring it forward. A simulated store is never damaged, so any
        # finding is a bug (in checkpointing, or in what a crash left behind).
        opened = open_book(self.store, self.genesis)
        report = opened.report
        assert report.corrupt_height is None and not report.state_table_rewritten, (
            f"{self.name}: book at boot: {report}"
        )
        state, last_header = opened.state, opened.last_header
        # Changes a checkpoint writes are counted from the replayed height (pending ones died).
        self.state_checkpoints = StateCheckpoints(SIM_STATE_CHECKPOINT_BLOCKS)
        self.mempool = Mempool(self.genesis.chain_id, state)
        self.app = LedgerApplication(self.genesis, state, last_header, self.mempool)
        self.machine = self._build_machine(state.height)
        self.durable_record = self._load_durable_record()
        self.sync_blocks = {}
        self.crash_after_effects = None
        self.up = True
        self.incarnation += 1
        self.boots += 1
        return self.machine.start(self.local_time_ms(now_ms))

    def crash(self) -> None:
        """Lose every volatile part; the store stays as it is."""
        assert self.up
        self.store.close()
        self.up = False
        self.machine = None
        self.app = None
        self.mempool = None
        self.sync_blocks = {}
        self.crash_after_effects = None

    def _build_machine(self, latest: Height) -> ConsensusMachine:
        assert self.app is not None
        last_commit = self.store.load_commit(latest) if latest >= 1 else None
        return self.config.machine_factory(
            chain_id=self.genesis.chain_id,
            app=self.app,
            params=self.config.params,
            key=self.key,
            height=latest + 1,
            last_commit=last_commit,
            record=self.store.load_consensus_state(),
        )

    def _load_durable_record(self) -> ConsensusRecord | None:
        record = self.store.load_consensus_state()
        return None if record is None else decode_record(record)

    # ------------------------------------------------------------------ effects

    def persist_record(self, record_bytes: bytes) -> ConsensusRecord:
        """PersistState: durable before any later effect (the store write is immediate)."""
        self.store.save_consensus_state(record_bytes)
        assert self.store.load_consensus_state() == record_bytes  # read back
        self.durable_record = decode_record(record_bytes)
        return self.durable_record

    def commit_block(self, block: Block, commit: Commit) -> Hash:
        """CommitBlock: apply to the ledger and store it; returns the app hash after it."""
        assert self.app is not None
        height = block.height
        assert height == self.store.latest_height() + 1, (
            f"{self.name} commits {height}, stored up to {self.store.latest_height()}"
        )
        result = self.app.result_for(block)
        self.app.commit(block, result)
        state_changes = self.state_checkpoints.changes_to_save(height, result.changes)
        self.store.save_block(
            encode_block(block), block, commit, result.receipts, state_changes, result.app_hash
        )
        assert self.store.latest_height() == height  # read back
        return result.app_hash

    # ------------------------------------------------------------------ helpers

    def local_time_ms(self, sim_now_ms: TimeMs) -> TimeMs:
        """This node's wall clock: genesis time + simulated time + its skew."""
        return self.genesis.genesis_time_ms + sim_now_ms + self.clock_skew_ms

    @property
    def height(self) -> Height:
        """The latest committed (stored) height."""
        return self.store.latest_height()

    def describe(self) -> str:
        if not self.up or self.machine is None:
            return f"{self.name} down h{self.height}"
        m = self.machine
        return f"{self.name} h{m.height} r{m.round} s{int(m.step_)} stored{self.height}"


__all__ = ["SimNode"]
