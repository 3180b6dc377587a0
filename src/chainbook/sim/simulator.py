"""The simulation of one seed: a cluster of real nodes on a simulated clock and network.

One file past 550 lines because it is one idea, the driver of one seed's event loop: carrying
out every output kind, the faults' crash/restart paths and the checkers all act on the same
event queue, nodes and network; what stands alone is beside it (sim/faults.py, network.py,
adversary.py, checkers.py, workload.py, node.py).

Rules kept (TigerBeetle's VOPR and FoundationDB's simulator are the models):
- Determinism: one `random.Random(seed)` is the only source of randomness, simulated time the
  only clock, and every iteration is over lists or dicts built in a deterministic order. A
  seed replays exactly: the same trace, line for line (`SeedResult.trace_digest`).
- The nodes run the real node: each is a NodeCore (core/node.py) booted by core/boot.py over a
  MemoryBlockStore, so consensus, the ledger, the mempool, gossip batching, admission, block
  sync and the commit sequence are the node's own code. The network carries the real wire
  frames of core/wire.py. The driver carries out each step's outputs strictly in order, as
  the runtime does (core/outputs.py):
      SaveConsensusRecord -> the node's store, before any later output
      SaveBlock           -> the node's store, then BlockSaved is fed back
      Send / Broadcast    -> the simulated network (a Byzantine node's broadcasts go
                             through its Adversary, sim/adversary.py)
      SetTimer            -> the event queue          VerifyTxs -> checked inline, answered
                                                                   after a short delay
      TxsAdmitted, LogEvent -> counted                BlockCommitted -> the checkers
      Disconnect          -> counted and checked (never of an honest peer), not carried out:
                             a Byzantine peer's junk keeps coming, as if from new identities
      Halt                -> the seed fails (a node's ledger disagreed with a commit)
- Faults (config.py decides which per seed, sim/faults.py injects them and keeps the budget):
  message loss, partitions that heal, crashes (clean, or torn in the middle of a step's
  effects) with restart from the store, clock skew (up to and beyond time_drift_ms_max) and
  Byzantine validators with named strategies; faulty validators hold less than a third of
  the current sets' power (any share in a safety-only BEYOND_F run, the liars' excepted), and
  no fault starts at or after heal_ms.
- A late state-sync node (config.state_sync_start_ms): the last genesis validator stays down
  until then, and starts with an empty book by state sync (core/statesync.py) from the
  snapshots every node cuts (config.snapshot_interval_blocks) and serves; its syncer's
  outputs are carried out as a core's (Send to the network, Disconnect checked, LogEvent
  counted) and RestoreSnapshot stores the snapshot and boots its core (sim/node.py restore),
  which block-syncs to the head and votes (with config.state_sync_restart_after_ms it then
  crashes once and restarts from its own book). Checked: the state it restored has the agreed app
  hash of its height (app_hash), it never signs at or below it (signed_above_snapshot), its
  store holds the agreed headers and blocks from its base (store_matches); the run is not done
  before it has joined and reached the target height.
- Validator-set changes (sim/governance.py, with config.validator_changes): the validators
  add spare nodes, remove validators, change powers and rotate keys by governance while the
  faults run; spare nodes boot as full nodes when first proposed and sync from genesis.
  Byzantine validators are never targets of governance, only of the evidence policy.
- Institutions (sim/institutions.py): the simulated accounts the module workloads sign as
  institutions are registered by the genesis, but for the seed's plan (drawn right after the
  fault plan, with config.institution_changes): one may be registered late and another
  revoked, each by a governance proposal the validators make and vote on.
- Punishment (`_unpunished`), in a run that demands liveness only: the run is not done before
  every Byzantine validator with Strategy.EQUIVOCATE has its evidence committed and no power,
  nor before every validator named by committed evidence has lost its power. These hold:
  after heal every message between up nodes arrives, one peer per height gets both halves of
  each equivocation (sim/byzantine.py), so an honest node builds the evidence, gossips it, and
  an honest proposer commits it within the evidence age; the policy takes the power two
  heights later. Not demanded: evidence an honest node caught once from another strategy (a
  junk vote replayed at the next height) -- its node may crash before gossiping it, or it may
  age out while partitions stall the chain, and nothing makes the liar repeat it; and
  anything in a safety-only run, where no quorum need ever form again. Always checked, in
  every run: honest nodes report evidence only against Byzantine validators
  (no_false_evidence), and committed evidence names no one else (evidence_against_honest).
- Checks (checkers.py) run as each step's outputs are carried out (store_before_apply: a block
  is applied only once its record is in the store), plus a driver-consistency check after
  every step, a store check after every restart and on every honest node at the end, and
  liveness: after heal every honest node reaches the target height in time (not demanded of
  a safety-only run, which stops safety_only_run_ms after heal).
- Any exception in a step (an invariant of the core, StateDivergence, a checker) ends the
  run with a SimulationFailure that names the seed, the rule and the last trace lines.

This file is longer than most and still one idea, the driver of one seed: it carries out every
node's outputs and decides when each tick happens. What can stand alone does: the scheduled
events (events.py), results (results.py), fault injection and its budget (faults.py),
checkers, network, clock, trace (and how a frame reads in it), nodes, the adversary, the
workload and the governance driver each have their own file.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import Counter, deque

from chainbook.apps.governance.queries import EvidencePage, EvidenceRequest
from chainbook.apps.registry import Registry
from chainbook.chain.genesis import ConsensusParams, Genesis, GenesisValidator
from chainbook.chain.tx import tx_hash, verify_tx
from chainbook.chain.validators import ValidatorSet
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.inputs import (
    BlockSaved,
    FrameReceived,
    Input,
    PeerConnected,
    Tick,
    TimerFired,
    TxsSubmitted,
    TxsVerified,
    VerifyResult,
)
from chainbook.core.node import CoreSettings
from chainbook.core.outputs import (
    BlockCommitted,
    BlockRecord,
    Broadcast,
    Disconnect,
    Halt,
    LogEvent,
    Output,
    SaveBlock,
    SaveConsensusRecord,
    Send,
    SetTimer,
    TxsAdmitted,
    VerifyTxs,
)
from chainbook.core.statesync import RestoreSnapshot, SyncerOutput, VerifiedSnapshot
from chainbook.core.wire import (
    WireMessage,
    decode_message,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidInput
from chainbook.ledger.genesis import make_genesis
from chainbook.ledger.queries import run_query
from chainbook.ledger.state import get_nonce
from chainbook.sim.adversary import Adversary, HonestClocks
from chainbook.sim.checkers import (
    Checkers,
    InvariantViolation,
    proposal_position,
    vote_position,
)
from chainbook.sim.clock import EventQueue
from chainbook.sim.config import FaultPlan, SimConfig, draw_clock_skews, draw_fault_plan
from chainbook.sim.events import (
    FaultTick,
    GovernanceTick,
    Heal,
    NodeTick,
    PartitionHeal,
    Restart,
    Scheduled,
    StateSyncedCrash,
    StateSyncStart,
    Timer,
    Verified,
    WorkloadTick,
)
from chainbook.sim.faults import FaultInjector
from chainbook.sim.governance import GovernanceDriver
from chainbook.sim.institutions import InstitutionPlan, draw_institution_plan
from chainbook.sim.network import DelayModel, Delivery, SimNetwork
from chainbook.sim.node import SIM_SYNCER_TICK_MS, SimNode
from chainbook.sim.results import SeedResult, SimulationFailure
from chainbook.sim.trace import Trace, describe_frame
from chainbook.sim.workload import Workload
from chainbook.types import Address, Hash, Height, TimeMs

CHAIN_ID = "chainbook-sim"
GENESIS_TIME_MS = 1_700_000_000_000


EVIDENCE_MODULE = "governance"
"""The module whose evidence policy commits evidence and takes the offender's power."""
VERIFY_DELAY_MS_MAX = 5
"""Signature checks answer after 0..this many ms: the runtime's workers take time, and a
proposal may arrive while its transactions are being checked (the core then holds it)."""


# ---------------------------------------------------------------------- genesis


def validator_key(index: int) -> PrivateKey:
    return PrivateKey.from_label(f"sim-validator-{index}")


def make_sim_genesis(
    validators: int, params: ConsensusParams, registry: Registry, workload: Workload
) -> Genesis:
    """The cluster's genesis: `validators` of power 1; each module's section for the
    workload's accounts (the bank funds them)."""
    return make_genesis(
        chain_id=CHAIN_ID,
        genesis_time_ms=GENESIS_TIME_MS,
        validators=[
            GenesisValidator(name=f"n{i}", public_key=validator_key(i).public_key.hex(), power=1)
            for i in range(validators)
        ],
        consensus=params,
        app_state=workload.genesis_sections(),
        registry=registry,
    )


# ---------------------------------------------------------------------- the simulation


class Simulation:
    def __init__(self, seed: int, config: SimConfig, verbose: bool = False) -> None:
        self.seed = seed
        self.config = config
        self.rng = random.Random(seed)
        self.plan: FaultPlan = draw_fault_plan(self.rng, config)
        self.workload = Workload(
            CHAIN_ID,
            config.registry,
            config.accounts,
            config.txs_in_flight_per_account_max,
            config.tx_resubmit_after_ms,
        )
        roster = self.workload.institutions
        self.institution_plan = (
            draw_institution_plan(self.rng, roster)
            if config.institution_changes
            else InstitutionPlan(at_genesis=tuple(roster))
        )
        self.workload.register_at_genesis(self.institution_plan.at_genesis)
        self.genesis = make_sim_genesis(
            config.validators, config.params, config.registry, self.workload
        )
        self.queue: EventQueue[Scheduled] = EventQueue()
        self.network = SimNetwork(self.rng, self.queue, self._delay_model(), self.plan.loss)
        self.trace = Trace(config.trace_lines_max, verbose=verbose)
        self.checkers = Checkers(CHAIN_ID, self.genesis.validator_set)
        node_count = config.validators + (config.spare_nodes if config.validator_changes else 0)
        self.nodes = [
            SimNode(
                i,
                validator_key(i),
                self.genesis,
                config,
                self._draw_settings(),
                byzantine=i in self.plan.byzantine,
            )
            for i in range(node_count)
        ]
        self._index_by_peer_id = {node.key.public_key: node.index for node in self.nodes}
        self.late_node: SimNode | None = None
        """The validator that joins by state sync (config.state_sync_start_ms), or None."""
        if config.state_sync_start_ms is not None:
            if config.snapshot_interval_blocks < 1:
                raise ValueError(
                    "state_sync_start_ms needs snapshot_interval_blocks >= 1 (the snapshots "
                    f"the late node joins from), got {config.snapshot_interval_blocks}"
                )
            self.late_node = self.nodes[config.validators - 1]
        self._request_ids = itertools.count()
        self._requests: dict[int, list[bytes]] = {}
        """Transactions of each TxsSubmitted in progress, to learn admission refusals."""
        self.governance = GovernanceDriver(
            self.rng,
            self.workload,
            self,
            self.plan.byzantine,
            self.plan.power_guarded,
            config.validators,
            self.institution_plan,
        )
        self.evidence_seen: set[bytes] = set()
        """Validators an honest node caught equivocating (it built evidence)."""
        self.adversaries = {
            adversary.index: Adversary(
                adversary,
                validator_key(adversary.index),
                CHAIN_ID,
                config.params,
                config.delay_ms_max,
                self.rng,
            )
            for adversary in self.plan.adversaries
        }
        self._byzantine_addresses: frozenset[Address] = frozenset(
            validator_key(index).address for index in self.plan.byzantine
        )
        """Byzantine validators are never rotated (governance leaves them alone)."""
        self._has_evidence_policy = config.registry.get_module(EVIDENCE_MODULE) is not None
        """A chain without the governance module commits no evidence and takes no power (a
        test registry): punishment is then not demanded."""
        self.faults: Counter[str] = Counter()
        self.injector = FaultInjector(self, self.plan, self.faults, self.rng)
        self.counters: Counter[str] = Counter()
        self.events = 0
        self.stepping: SimNode | None = None
        """The node whose step is running (named in a failure)."""
        self.healed = False
        self.target_height: Height | None = None
        self.deadline_ms: TimeMs = config.heal_ms + config.liveness_ms_max
        self._safety_only_end_ms: TimeMs = config.heal_ms + config.safety_only_run_ms

    # ------------------------------------------------------------------ running

    def run(self) -> SeedResult:
        try:
            self._start()
            while not self._is_done():
                self._run_next_event()
            self._check_final()
        except SimulationFailure:
            raise
        except Exception as exc:  # every failure of a step is the seed's failure
            where = (
                ""
                if self.stepping is None
                else f" (stepping {self.stepping.name}"
                + (", a Byzantine validator)" if self.stepping.byzantine else ")")
            )
            raise self._failure(f"{type(exc).__name__}{where}: {exc}") from exc
        return self._result()

    def _start(self) -> None:
        plan = self._plan_text()
        self.trace.record(0, f"seed {self.seed} n={self.config.validators} plan={plan}")
        skews = draw_clock_skews(self.rng, self.config, self.plan, len(self.nodes))
        for node, skew_ms in zip(self.nodes, skews, strict=True):
            node.clock_skew_ms = skew_ms
            self.faults["clock_skew"] += skew_ms != 0
        for node in self.nodes[: self.config.validators]:
            if node is not self.late_node:
                self.boot(node)
        late, start_ms = self.late_node, self.config.state_sync_start_ms
        if late is not None and start_ms is not None:
            self.queue.push_at(start_ms, StateSyncStart(late.index))
        self.queue.push_at(
            self._next_interval(self.config.tx_interval_ms_min, self.config.tx_interval_ms_max),
            WorkloadTick(),
        )
        if self.config.validator_changes:
            self.queue.push_at(self._next_governance_delay_ms(), GovernanceTick())
        self.queue.push_at(self.config.heal_ms, Heal())
        if self.plan.partitions or self.plan.crashes:
            self.queue.push_at(self.injector.next_tick_delay_ms(), FaultTick())

    def _is_done(self) -> bool:
        if self.target_height is None:
            return False
        if self.late_node is not None and self.late_node.boots == 0:
            return False  # it has not joined yet (it is among the honest nodes once it has)
        if self.plan.safety_only and self.queue.now_ms >= self._safety_only_end_ms:
            return True  # more than f faulty: liveness is not demanded
        if not all(node.height >= self.target_height for node in self.honest_nodes()):
            return False
        return not self._unpunished()

    def _run_next_event(self) -> None:
        next_ms = self.queue.peek_time_ms()
        if next_ms is None or next_ms > self.deadline_ms:
            self._fail_liveness()
        item = self.queue.pop()
        self.events += 1
        self._dispatch(item)

    def _dispatch(self, item: Scheduled) -> None:
        match item:
            case Delivery():
                self._on_delivery(item)
            case Timer(node=index, incarnation=incarnation, timer=timer):
                node = self.nodes[index]
                if node.up and node.incarnation == incarnation:
                    self._trace(node, f"timeout {timer.kind.name} h{timer.height} r{timer.round}")
                    self.step(node, timer)
            case NodeTick(node=index, incarnation=incarnation):
                node = self.nodes[index]
                if (
                    node.is_running
                    and node.incarnation == incarnation
                    and node.tick_at_ms == (self.queue.now_ms)
                ):
                    node.tick_at_ms = None
                    self.step(node, Tick())
            case Verified(node=index, incarnation=incarnation, verified=verified):
                node = self.nodes[index]
                if node.up and node.incarnation == incarnation:
                    self.step(node, verified)
            case WorkloadTick():
                self._on_workload_tick()
            case GovernanceTick():
                self._on_governance_tick()
            case FaultTick():
                self.injector.on_tick()
            case Restart(node=index):
                self.injector.on_restart(self.nodes[index])
            case StateSyncStart(node=index):
                self._start_state_sync(self.nodes[index])
            case StateSyncedCrash(node=index):
                self._crash_state_synced(self.nodes[index])
            case PartitionHeal():
                self.network.heal_partition()
                self.trace.record(self.queue.now_ms, "partition healed")
            case Heal():
                self._on_heal()

    # ------------------------------------------------------------------ one node's step

    def step(self, node: SimNode, input_: Input) -> None:
        """Feed one input, carry out the outputs; inputs they produce (BlockSaved) follow.
        A state-syncing node's input goes to its syncer."""
        if node.syncer is not None:
            self._sync_step(node, input_)
            return
        self.stepping = node
        inputs: deque[Input] = deque([input_])
        while inputs and node.up:
            assert node.core is not None
            outputs = node.core.handle(inputs.popleft(), node.local_time_ms(self.queue.now_ms))
            self._perform(node, outputs, inputs)
        self._after_step(node)

    def boot(self, node: SimNode) -> None:
        outputs = node.boot(self.queue.now_ms)
        self._trace(node, f"boot #{node.boots} at stored height {node.height}")
        if node.boots > 1 and not node.byzantine:
            self._check_restarted(node)
            self.counters["state_synced_node_restarted"] += node.snapshot_height is not None
        inputs: deque[Input] = deque()
        self._perform(node, outputs, inputs)
        for peer in self.nodes:
            if peer is node or not peer.is_running:
                continue
            inputs.append(PeerConnected(peer.key.public_key))
            self.step(peer, PeerConnected(node.key.public_key))
        self.stepping = node
        while inputs and node.up:
            assert node.core is not None
            outputs = node.core.handle(inputs.popleft(), node.local_time_ms(self.queue.now_ms))
            self._perform(node, outputs, inputs)
        self._after_step(node)

    def _after_step(self, node: SimNode) -> None:
        if node.syncer is not None and node.tick_at_ms is None:
            node.tick_at_ms = self.queue.now_ms + SIM_SYNCER_TICK_MS
            self.queue.push_at(node.tick_at_ms, NodeTick(node.index, node.incarnation))
        if not node.up or node.core is None:
            return
        self._schedule_tick(node)
        self._check_driver_consistency(node)

    def _schedule_tick(self, node: SimNode) -> None:
        assert node.core is not None
        due_ms = max(node.sim_time_ms(node.core.next_tick_due_ms()), self.queue.now_ms)
        if node.tick_at_ms is None or due_ms < node.tick_at_ms:
            node.tick_at_ms = due_ms
            self.queue.push_at(due_ms, NodeTick(node.index, node.incarnation))

    def _perform(self, node: SimNode, outputs: list[Output], inputs: deque[Input]) -> None:
        """Carry out outputs strictly in order; a torn crash stops part way."""
        for index, output in enumerate(outputs):
            if node.crash_after_outputs is not None and index >= node.crash_after_outputs:
                self.injector.crash(node, f"torn after {index} of {len(outputs)} outputs")
                return
            self._perform_one(node, output, inputs)
        if node.crash_after_outputs is not None:
            node.crash_after_outputs -= len(outputs)

    def _perform_one(self, node: SimNode, output: Output, inputs: deque[Input]) -> None:
        match output:
            case SaveConsensusRecord(record=record_bytes):
                record = node.persist_record(record_bytes)
                if not node.byzantine:
                    self.checkers.on_record_persisted(node.name, record)
            case SaveBlock(record=record):
                node.save_block(record)
                inputs.append(BlockSaved(record.height))
            case Broadcast(payload=payload):
                self._broadcast(node, payload)
            case Send(peer_id=peer_id, payload=payload):
                self.network.send(node.index, self._index_of(peer_id), payload)
            case SetTimer(kind=kind, height=height, round=round_, duration_ms=duration_ms):
                timer = TimerFired(kind=kind, height=height, round=round_)
                self.queue.push_after(
                    max(duration_ms, 0), Timer(node.index, node.incarnation, timer)
                )
            case VerifyTxs(batch_id=batch_id, txs=txs, hashes=hashes):
                results = [_verify(tx, hash_) for tx, hash_ in zip(txs, hashes, strict=True)]
                self.queue.push_after(
                    self.rng.randint(0, VERIFY_DELAY_MS_MAX),
                    Verified(node.index, node.incarnation, TxsVerified(batch_id, results)),
                )
            case BlockCommitted(record=record):
                self._on_committed(node, record)
            case TxsAdmitted(request_id=request_id, results=results):
                txs = self._requests.pop(request_id, [])
                for tx, result in zip(txs, results, strict=True):
                    if isinstance(result, InvalidInput):
                        self.counters[f"tx_refused_{getattr(result, 'code', 'invalid')}"] += 1
                        dropped = self.workload.on_refused(
                            tx_hash(tx), result, self._agreed_nonce
                        )
                        if dropped is not None and dropped[0] in self.workload.signers:
                            self.governance.on_refused(*dropped)
                    else:
                        self.counters["tx_admitted"] += 1
            case LogEvent(event=event, fields=fields):
                self.counters[f"log_{event}"] += 1
                if event == "equivocation_evidence" and not node.byzantine:
                    validator = bytes.fromhex(str(fields["validator"]))
                    self.checkers.on_evidence(node.name, validator, self._byzantine_addresses)
                    self.evidence_seen.add(validator)
            case Disconnect(peer_id=peer_id, reason=reason):
                self.counters["peer_disconnected"] += 1
                self._trace(node, f"disconnect: {reason}")
                if not node.byzantine:
                    peer = self.nodes[self._index_of(peer_id)]
                    self.checkers.on_disconnect(node.name, peer.name, peer.byzantine, reason)
            case Halt(reason=reason):
                raise InvariantViolation("state_divergence", f"{node.name} halted: {reason}")

    def _on_committed(self, node: SimNode, record: BlockRecord) -> None:
        block, commit, app_hash, receipts = (
            record.block, record.commit, record.app_hash, record.receipts
        )
        self._trace(
            node,
            f"COMMIT h{block.height} {block.hash.hex()[:8]} "
            f"txs={len(block.txs)} app={app_hash.hex()[:8]}",
        )
        self.checkers.on_applied(node.name, block.height, node.store.latest_height())
        assert node.core is not None
        ledger = node.core.ledger
        for height in range(max(1, block.height - 1), block.height + 2):
            self.checkers.on_validator_set(node.name, height, ledger.get_validators(height))
        first = block.height not in self.checkers.committed
        # The equivocator's own machine is the real one and sees every message it gets; a
        # valid certificate for a different block anywhere is a fork.
        self.checkers.on_commit(node.name, block, commit)
        self.checkers.on_block_time(
            node.name, block, self._honest_clocks().fastest_ms, self.config.params
        )
        if first:
            self._check_power_budget(block.height + 2, ledger.get_validators(block.height + 2))
            self.governance.on_committed(receipts, record.events, self.queue.now_ms)
        self.checkers.on_app_hash(node.name, block.height, app_hash)
        node.take_snapshot(block.height)
        for receipt in receipts:
            self.workload.on_committed(receipt.tx_hash, receipt.ok, receipt.code)

    # ------------------------------------------------------------------ state sync

    def _start_state_sync(self, node: SimNode) -> None:
        """The late validator starts with an empty book, by state sync from its peers."""
        node.start_state_sync()
        self._trace(node, "starts by state sync")
        self.counters["state_sync_started"] += 1
        for peer in self.nodes:
            if peer is node or not peer.is_running:
                continue
            self.step(peer, PeerConnected(node.key.public_key))
            self.step(node, PeerConnected(peer.key.public_key))
        self._after_step(node)

    def _sync_step(self, node: SimNode, input_: Input) -> None:
        """Feed a state-syncing node's syncer one input and carry out its outputs in order."""
        assert node.syncer is not None
        self.stepping = node
        outputs: list[SyncerOutput] = node.syncer.handle(
            input_, node.local_time_ms(self.queue.now_ms)
        )
        for output in outputs:
            match output:
                case Send(peer_id=peer_id, payload=payload):
                    self.network.send(node.index, self._index_of(peer_id), payload)
                case Disconnect(peer_id=peer_id, reason=reason):
                    self.counters["peer_disconnected"] += 1
                    self._trace(node, f"state sync disconnect: {reason}")
                    peer = self.nodes[self._index_of(peer_id)]
                    self.checkers.on_disconnect(node.name, peer.name, peer.byzantine, reason)
                case LogEvent(event=event):
                    self.counters[f"log_{event}"] += 1
                case RestoreSnapshot(snapshot=snapshot):
                    self._restore(node, snapshot)
                    return
        self._after_step(node)

    def _restore(self, node: SimNode, snapshot: VerifiedSnapshot) -> None:
        """Store the verified snapshot, boot the core from it, connect it to the peers."""
        anchor = snapshot.anchor
        self.checkers.on_state_synced(node.name, anchor.height, anchor.app_hash)
        self.counters["state_sync_restored"] += 1
        self.counters["state_sync_validator_changes"] += len(anchor.hops)
        self._trace(
            node,
            f"STATE SYNC restored h{anchor.height} app={anchor.app_hash.hex()[:8]} "
            f"changes={len(anchor.hops)}",
        )
        outputs = node.restore(snapshot, self.queue.now_ms)
        self.checkers.check_store(node.name, node.store)
        restart_after_ms = self.config.state_sync_restart_after_ms
        if restart_after_ms is not None:
            self.queue.push_after(restart_after_ms, StateSyncedCrash(node.index))
        inputs: deque[Input] = deque()
        self._perform(node, outputs, inputs)
        inputs.extend(
            PeerConnected(peer.key.public_key)
            for peer in self.nodes
            if peer is not node and peer.is_running
        )
        self.stepping = node
        while inputs and node.up:
            assert node.core is not None
            outputs = node.core.handle(inputs.popleft(), node.local_time_ms(self.queue.now_ms))
            self._perform(node, outputs, inputs)
        self._after_step(node)

    def _crash_state_synced(self, node: SimNode) -> None:
        """The planned crash of the state-synced node: it restarts from its own book (a book
        that begins at its snapshot), if that fits before heal and in the fault budget."""
        now_ms, heal_ms = self.queue.now_ms, self.config.heal_ms
        fits = node.up and node.crash_after_outputs is None and self.injector.crash_fits(node)
        if now_ms >= heal_ms or not fits:
            self.counters["state_synced_node_crash_skipped"] += 1
            return
        self.injector.crash(node, "clean, planned after its state sync")
        restart_ms = min(now_ms + self.config.downtime_ms_min, heal_ms)
        self.queue.push_at(restart_ms, Restart(node.index))

    # ------------------------------------------------------------------ network

    def _broadcast(self, node: SimNode, payload: bytes) -> None:
        peers = self._peers_of(node)
        adversary = self.adversaries.get(node.index)
        if adversary is not None:
            assert node.core is not None
            now_ms = node.local_time_ms(self.queue.now_ms)
            clocks = self._honest_clocks()
            for peer, frame in adversary.route(payload, peers, node.core, now_ms, clocks):
                self.network.send(node.index, peer, frame)
            return
        self._check_signed_message(node, decode_message(payload))
        for peer in peers:
            self.network.send(node.index, peer, payload)

    def _honest_clocks(self) -> HonestClocks:
        """The clocks of the honest nodes whose skew is within the bound, now (spares not yet
        started included: their clocks run all the same)."""
        clocks = [
            node.local_time_ms(self.queue.now_ms)
            for node in self.nodes
            if not node.byzantine and node.index != self.plan.skewed_beyond
        ]
        return HonestClocks(min(clocks), max(clocks))

    def _check_signed_message(self, node: SimNode, message: WireMessage) -> None:
        """no_double_sign and persist_first, for what an honest node sends under its key."""
        if node.snapshot_height is not None:
            self.counters["state_synced_node_signed"] += 1
        match message:
            case VoteMessage(vote=signed) if node.is_own_address(signed.validator):
                self.checkers.on_vote_signed(node.name, signed)
                self.checkers.on_signed_message_sent(
                    node.name, vote_position(signed), node.durable_record
                )
            case ProposalMessage(proposal=signed) if node.is_own_address(signed.proposer):
                self.checkers.on_proposal_signed(node.name, signed)
                self.checkers.on_signed_message_sent(
                    node.name, proposal_position(signed), node.durable_record
                )

    def _on_delivery(self, delivery: Delivery) -> None:
        node = self.nodes[delivery.dst]
        if not node.is_running:
            self.network.counters["dropped_node_down"] += 1
            return
        self._trace(node, f"<- n{delivery.src} {describe_frame(delivery.payload)}")
        sender = self.nodes[delivery.src].key.public_key
        self.step(node, FrameReceived(sender, delivery.payload))

    def _peers_of(self, node: SimNode) -> list[int]:
        return [peer.index for peer in self.nodes if peer.index != node.index]

    def _index_of(self, peer_id: bytes) -> int:
        return self._index_by_peer_id[peer_id]

    # ------------------------------------------------------------------ workload

    def _on_workload_tick(self) -> None:
        tx = self.workload.next_transaction(self.rng, self.queue.now_ms)
        if tx is not None:
            self.submit(tx)
        self.queue.push_after(
            self._next_interval(self.config.tx_interval_ms_min, self.config.tx_interval_ms_max),
            WorkloadTick(),
        )

    def submit(self, tx: bytes, to_most_advanced: bool = False) -> None:
        """A client submits `tx` to a node that is up; the governance driver (a validator that
        acts on what its own node committed) to the most advanced honest one."""
        up = [node for node in self.nodes if node.up]
        if not up:
            return
        advanced = self._most_advanced() if to_most_advanced else None
        node = advanced if advanced is not None else self.rng.choice(up)
        request_id = next(self._request_ids)
        self._requests[request_id] = [tx]
        self.step(node, TxsSubmitted(request_id, [tx], [_verify(tx, None)]))

    def _on_governance_tick(self) -> None:
        self.governance.on_tick(self.queue.now_ms, may_propose=not self.healed)
        self.queue.push_after(self._next_governance_delay_ms(), GovernanceTick())

    # ------------------------------------------------------------------ the agreed chain

    def _most_advanced(self) -> SimNode | None:
        up = [n for n in self.honest_nodes() if n.up and n.core is not None]
        return max(up, key=lambda n: n.height, default=None)

    def agreed_height(self) -> Height:
        return max(self.checkers.committed, default=0)

    def agreed_validators(self, height: Height) -> ValidatorSet:
        node = self._most_advanced()
        if node is None or node.core is None or height > node.core.height + 2:
            return self.checkers.get_validator_set(min(height, max(self.checkers.validator_sets)))
        return node.core.ledger.get_validators(height)

    def _agreed_nonce(self, address: bytes) -> int:
        node = self._most_advanced()
        if node is None or node.core is None:
            return 0
        return get_nonce(node.core.ledger.state.kv, address)

    def boot_spare(self, node: SimNode) -> None:
        """A spare node starts as a full node; it syncs from genesis (the driver's Cluster).
        The late state-sync node is no spare: it joins by state sync at its own time."""
        if node is self.late_node:
            self.counters["spare_is_the_state_sync_node"] += 1
            return
        if not node.up:
            sets = {s.hash for s, _ in self.checkers.validator_sets.values()}
            self.counters["spare_booted"] += 1
            if len(sets) > 1:  # it joins after the set changed: it syncs through the changes
                self.counters["spare_joined_after_changes"] += 1
            self.boot(node)

    def _unpunished(self) -> list[Address]:
        """Validators that must end punished and are not yet (module docstring, Punishment):
        in a run that demands liveness, each Byzantine validator with Strategy.EQUIVOCATE
        until its evidence is committed and it holds no power, and each validator named by
        committed evidence until it holds no power. Nothing in a safety-only run."""
        node = self._most_advanced()
        if self.plan.safety_only or not self._has_evidence_policy:
            return []
        if node is None or node.core is None:
            return []
        validators = node.core.ledger.get_validators(max(node.core.height, 1))
        accused = self._accused(node)
        must = accused | {validator_key(index).address for index in self.plan.equivocators}
        return [
            address
            for address in sorted(must)
            if validators.is_validator(address) or address not in accused
        ]

    def _accused(self, node: SimNode) -> set[Address]:
        """The validators named by the evidence committed on `node`'s chain."""
        if not self._has_evidence_policy:
            return set()
        return {r.offence.validator for r in self._evidence_of(node, b"").records}

    def _evidence_of(self, node: SimNode, address: bytes) -> EvidencePage:
        assert node.core is not None
        answer = run_query(
            node.core.ledger.state, EVIDENCE_MODULE, "evidence", EvidenceRequest(validator=address)
        )
        assert isinstance(answer, EvidencePage)
        return answer

    # ------------------------------------------------------------------ heal

    def _on_heal(self) -> None:
        self.healed = True
        self.injector.heal()
        honest_max = max(node.height for node in self.honest_nodes())
        self.target_height = max(
            honest_max + self.config.heights_after_heal, self.config.target_height_min
        )
        self.trace.record(self.queue.now_ms, f"HEAL: target height {self.target_height}")

    # ------------------------------------------------------------------ checks

    def _check_driver_consistency(self, node: SimNode) -> None:
        """The machine works on the height after the stored one, or has just decided it; the
        ledger state is never ahead of the store (store before apply)."""
        if not node.up or node.core is None:
            return
        machine, stored = node.core.machine, node.height
        self.checkers.on_applied(node.name, node.core.height, stored)
        self.checkers.on_validator_set(node.name, machine.height, machine.validators)
        if machine.height == stored + 1:
            return
        if machine.height == stored and machine.decided is not None:
            return
        raise InvariantViolation(
            "driver_consistency", f"{node.name}: machine at h{machine.height}, stored {stored}"
        )

    def _check_power_budget(self, height: Height, validators: ValidatorSet) -> None:
        """fault_budget: the guarded validators (FaultPlan.power_guarded) hold less than a
        third of the set of `height`; a seed past it would not test what it claims (a bug of
        the simulator's drivers, sim/governance.py, not of the node)."""
        guarded = [self.nodes[index] for index in sorted(self.plan.power_guarded)]
        power = sum(
            v.power
            for v in validators.validators
            if any(node.is_own_address(v.address) for node in guarded)
        )
        if 3 * power >= validators.power_total:
            raise InvariantViolation(
                "fault_budget",
                f"height {height}: the guarded validators {[n.name for n in guarded]} hold "
                f"{power} of {validators.power_total} power, a third or more",
            )

    def _check_restarted(self, node: SimNode) -> None:
        """A restarted node rebuilt the agreed chain and app hash from its store alone."""
        self.checkers.check_store(node.name, node.store)
        assert node.core is not None
        height = node.height
        if height >= 1:
            self.checkers.on_app_hash(node.name, height, node.core.ledger.state.app_hash)

    def _check_final(self) -> None:
        for node in self.honest_nodes():
            self.checkers.check_store(node.name, node.store)
        assert self.injector.down_count() == 0, "every node is up after heal"
        unpunished = self._unpunished()
        if unpunished:
            raise InvariantViolation(
                "evidence_committed",
                f"equivocating validators keep their power or have no evidence committed: "
                f"{[a.hex()[:12] for a in unpunished]}",
            )
        advanced = self._most_advanced()
        assert advanced is not None
        wrongly_accused = self._accused(advanced) - self._byzantine_addresses
        if wrongly_accused:
            raise InvariantViolation(
                "evidence_against_honest",
                f"committed evidence names {[a.hex()[:12] for a in sorted(wrongly_accused)]}",
            )

    def _fail_liveness(self) -> None:
        heights = {n.name: n.height for n in self.honest_nodes()}
        target = self.target_height
        unpunished = [a.hex()[:12] for a in self._unpunished()]
        reached = target is not None and all(h >= target for h in heights.values())
        rule = "evidence_committed" if reached else "liveness"
        raise self._failure(
            f"{rule}: by {self.deadline_ms} ms honest heights are {heights}, "
            f"target {target}, unpunished equivocators {unpunished}; {self._nodes_text()}"
        )

    def _failure(self, reason: str) -> SimulationFailure:
        return SimulationFailure(self.seed, self.config.validators, reason, self.trace.recent)

    # ------------------------------------------------------------------ helpers

    def _draw_settings(self) -> CoreSettings:
        """Each node's cadences, drawn per node so their ticks do not line up."""
        c = self.config
        return CoreSettings(
            resend_interval_ms=self.rng.randint(c.resend_interval_ms_min, c.resend_interval_ms_max),
            status_interval_ms=self.rng.randint(c.resend_interval_ms_min, c.resend_interval_ms_max),
            gossip_flush_ms=c.gossip_flush_ms,
            sync_retry_ms=c.sync_retry_ms,
        )

    def honest_nodes(self) -> list[SimNode]:
        """Honest nodes that ever started (a spare node runs once it is first proposed)."""
        return [node for node in self.nodes if not node.byzantine and node.boots > 0]

    def _next_interval(self, low_ms: int, high_ms: int) -> int:
        return self.rng.randint(low_ms, high_ms)

    def _next_governance_delay_ms(self) -> int:
        c = self.config
        return self._next_interval(c.governance_interval_ms_min, c.governance_interval_ms_max)

    def _delay_model(self) -> DelayModel:
        c = self.config
        return DelayModel(
            c.delay_ms_min, c.delay_ms_typical_max, c.delay_ms_max, c.slow_message_chance
        )

    def _trace(self, node: SimNode, text: str) -> None:
        self.trace.record(self.queue.now_ms, f"{node.name} {text}")

    def _plan_text(self) -> str:
        return ",".join(self.plan.kinds) or "none" + (
            f" loss={self.plan.loss:.2f}" if self.plan.loss else ""
        )

    def _nodes_text(self) -> str:
        return "; ".join(node.describe() for node in self.nodes)

    def _result(self) -> SeedResult:
        honest_heights = [node.height for node in self.honest_nodes()]
        faults = dict(self.faults)
        adversary_counters: Counter[str] = Counter()
        for adversary in self.adversaries.values():
            adversary_counters.update(adversary.all_counters())
        faults["equivocation"] = adversary_counters["equivocated"]
        faults["dropped_loss"] = self.network.counters["dropped_loss"]
        faults["dropped_partition"] = self.network.counters["dropped_partition"]
        return SeedResult(
            seed=self.seed,
            fault_kinds=self.plan.kinds,
            height_min=min(honest_heights),
            height_max=max(honest_heights),
            txs_committed=len(self.checkers.tx_heights),
            faults={k: v for k, v in sorted(faults.items()) if v},
            sim_time_ms=self.queue.now_ms,
            events=self.events,
            trace_digest=self.trace.hexdigest(),
            chain_digest=self._chain_digest(),
            counters=dict(sorted(self._all_counters().items())),
            validator_set_sizes=self._set_sizes(),
            txs_by_module=dict(sorted(self.workload.per_module.items())),
            tx_outcomes=dict(sorted(self.workload.outcomes.items())),
            refusals=dict(sorted(self.workload.refusals.items())),
            registry_outcomes={
                phase: dict(sorted(outcomes.items()))
                for phase, outcomes in sorted(self.workload.registry_outcomes.items())
            },
            institution_plan=self.institution_plan.kinds,
            honest_counters=dict(sorted(self._honest_counters().items())),
            adversary_counters=dict(sorted(adversary_counters.items())),
        )

    def _honest_counters(self) -> Counter[str]:
        """The refusals and no-ops of every honest node's core, over all its lives."""
        counters: Counter[str] = Counter()
        for node in self.honest_nodes():
            counters.update(node.lifetime_counters())
        return counters

    def _set_sizes(self) -> list[int]:
        sizes: list[int] = []
        sets = self.checkers.validator_sets
        for height in sorted(sets):
            size = len(sets[height][0])
            if not sizes or sizes[-1] != size:
                sizes.append(size)
        return sizes

    def _all_counters(self) -> Counter[str]:
        counters = Counter(self.counters)
        counters.update({f"governance_{k}": v for k, v in self.governance.counts.items()})
        sizes = self.governance.sizes_seen
        if sizes:
            counters["validators_fewest"] = min(sizes)
            counters["validators_most"] = max(sizes)
        counters["evidence_caught"] = len(self.evidence_seen)
        counters["workload_refused"] = self.workload.refused
        return counters

    def _chain_digest(self) -> str:
        digest = hashlib.sha256()
        for height in sorted(self.checkers.committed):
            digest.update(self.checkers.committed[height][0])
            app = self.checkers.app_hashes.get(height)
            digest.update(app[0] if app is not None else b"")
        return digest.hexdigest()


def _verify(tx: bytes, hash_: Hash | None) -> VerifyResult:
    """A signature check as the runtime's workers give it (the node's own verify_tx)."""
    try:
        return verify_tx(CHAIN_ID, tx, hash_=hash_)
    except InvalidInput as exc:
        return exc


def run_seed(seed: int, config: SimConfig | None = None, verbose: bool = False) -> SeedResult:
    """Run one seed; raises SimulationFailure if any rule breaks."""
    return Simulation(seed, config or SimConfig(), verbose=verbose).run()


__all__ = [
    "CHAIN_ID",
    "Simulation",
    "make_sim_genesis",
    "run_seed",
    "validator_key",
]
