"""The node core: everything one node decides, as a sans-IO state machine.

    outputs = core.handle(input, now_ms)

The runtime (asyncio, SQLite, TLS, signature worker processes) and the simulator are two
drivers of this one class: they turn what they observe into inputs (core/inputs.py) and carry
out the outputs in order (core/outputs.py states the order rules). Nothing here reads a clock,
a socket or a file, except the read-only BookReader port for serving block sync.

What the core owns:
- consensus driving: it steps the ConsensusMachine and is the only place in the tree that
  interprets its effects (consensus/effects.py);
- wire messages: it decodes every peer frame (core/wire.py) and encodes every frame it sends;
  a malformed frame disconnects the peer. Provable protocol faults of a peer (a malformed
  frame, a vote or proposal no honest sender makes: bad signature, not a validator, wrong
  proposer, a block not matching its proposal; a synced block that is malformed or whose
  commit does not verify; an empty sync response, or a pruned answer that claims the blocks
  asked for; a pruned peer's answer is not a fault, core/sync.py) are counted per peer, and at
  limits.peer_faults_max within `peer_fault_window_ms` the peer is disconnected and banned for
  `peer_fault_ban_ms` (Disconnect with ban_ms). Gossip is one hop, so the sender of a signed
  message is the one who made it (or relayed a forgery: equally a fault);
- admission: the mempool, the bounded queue of gossiped transactions, their batches through
  the signature checks, and a proposal carrying transactions of the batch being checked waits
  for that batch instead of having block validation check them again (core/admission.py);
- block sync: when and whom to ask, which answers to accept, the verification pipeline of
  synced blocks (core/sync.py);
- the commit sequence: a decided block is executed into a BlockRecord, the core emits
  SaveBlock and applies the block (ledger state, mempool, waiters) only on BlockSaved. The
  commit timeout that starts the next height is held until then, so the next height never
  starts on a state that is not durable (store before apply);
- the next height's validator role: once block h is applied and before height h + 1 starts,
  the machine is given the consensus parameters of h + 1 and, of this node's consensus keys,
  the one in the validator set of h + 1 (a rotated key takes over at its activation height; a
  node voted in starts signing, one voted out stops). Both come from the ledger state;
- evidence: an equivocation the machine reports (EvidenceFound) or a peer sends is verified
  against the chain, kept in the evidence pool (core/evidence.py) until a block commits it,
  gossiped when new and re-sent with the node's votes; the proposer puts it in its block;
- the empty-block rule: on an idle chain the commit timeout is held longer, until a
  transaction waits or consensus.empty_block_interval_ms has passed (core/empty_blocks.py).

Invariants (asserted): the ledger state is never ahead of what the driver confirmed durable;
at most one decided block waits for its BlockSaved; after Halt the core returns nothing.

Why one file past ~550 lines: it is one state machine, the node's, and its inputs' handlers
share its state; what stands alone is in files of its own (admission.py, sync.py, mempool.py,
boot.py, wire.py), as consensus/machine.py keeps the Tendermint rules together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chainbook import codec, limits
from chainbook.chain.block import Block, decode_block, encode_block
from chainbook.chain.commit import Commit, SignedProposal
from chainbook.chain.evidence import (
    DuplicateVoteEvidence,
    InvalidEvidence,
    make_duplicate_vote_evidence,
)
from chainbook.chain.genesis import Genesis
from chainbook.chain.tx import DecodedTx
from chainbook.consensus import effects
from chainbook.consensus.checks import get_proposal_refusal, get_vote_refusal
from chainbook.consensus.events import (
    CommitReceived,
    Event,
    ProposalReceived,
    Resend,
    TimeoutElapsed,
    TimeoutKind,
    VoteReceived,
)
from chainbook.consensus.machine import ConsensusMachine, StateDivergence
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.admission import Admission
from chainbook.core.empty_blocks import get_empty_block_wait_ms
from chainbook.core.evidence import EvidencePool
from chainbook.core.inputs import (
    BlockSaved,
    FrameReceived,
    Input,
    PeerConnected,
    PeerDisconnected,
    PeerId,
    Tick,
    TimerFired,
    TxsSubmitted,
    TxsVerified,
    VerifyResult,
)
from chainbook.core.mempool import Mempool
from chainbook.core.outputs import (
    BlockCommitted,
    BlockRecord,
    Broadcast,
    Disconnect,
    Halt,
    LogEvent,
    Output,
    SaveBlock,
    Send,
    SetTimer,
    TxsAdmitted,
    VerifyTxs,
)
from chainbook.core.private_data import PrivateData
from chainbook.core.private_wire import PrivatePull, PrivatePush, PrivateSubmitted
from chainbook.core.snapshot_proof import ProofBook, build_snapshot_proof
from chainbook.core.snapshots import SNAPSHOTS_OFFERED_MAX, SnapshotOffer, SnapshotSource
from chainbook.core.sync import BlockSync, BookReader, serve_sync
from chainbook.core.wire import (
    ChunkRequest,
    ChunkResponse,
    EvidenceMessage,
    SnapshotProofRequest,
    SnapshotProofResponse,
    SnapshotsRequest,
    SnapshotsResponse,
    StatusMessage,
    SyncPruned,
    SyncRequest,
    SyncResponse,
    TxsMessage,
    WireMessage,
    decode_message,
    encode_message,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import DecodeError, InvalidInput, InvalidTransaction, PeerMisbehaved
from chainbook.ledger.evidence import verify_evidence
from chainbook.ledger.execute import BlockResult
from chainbook.ledger.node_ledger import NodeLedger
from chainbook.types import Hash, Height, Round, TimeMs


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """The core's own cadences (the consensus timeouts are in the genesis)."""

    resend_interval_ms: int = 1_000
    """How often this validator re-sends its latest proposal and votes (recovers losses)."""
    status_interval_ms: int = 1_000
    """How often the committed height is announced to peers (tells laggards to sync)."""
    gossip_flush_ms: int = 10
    """Admitted client transactions are batched this long before they are gossiped."""
    sync_retry_ms: int = 2_000
    """An unanswered sync request may be sent again (to another peer) after this long."""
    peer_fault_window_ms: int = 60_000
    """Faults of one peer are counted over this long (an older count starts again from 0)."""
    peer_fault_ban_ms: int = 60_000
    """How long a peer that reached limits.peer_faults_max is refused by the transport."""


PEER_FAULT_REFUSALS: frozenset[str] = frozenset(
    prefix + reason
    for prefix in ("", "next_height_")
    for reason in (
        "proposal_wrong_proposer",
        "proposal_bad_pol_round",
        "proposal_block_mismatch",
        "proposal_bad_signature",
        "vote_not_validator",
        "vote_bad_block_hash",
        "vote_bad_signature",
    )
)
"""Refusals of the consensus machine (consensus/checks.py) that no honest sender causes: each
is a fault of the peer whose frame caused it. Not among them: rounds out of the window, stale or
future heights, an invalid or untimely block (a proposer's fault, answered by a new round)."""


class ServedBook(BookReader, ProofBook, Protocol):
    """What the core reads from its own book: blocks for block sync, headers and commits for
    snapshot proofs (every chainbook store)."""


class _PendingApply:
    """A decided block whose record the driver is saving."""

    __slots__ = ("commit_due", "record", "result", "round")

    def __init__(self, record: BlockRecord, result: BlockResult, round_: Round) -> None:
        self.record = record
        self.result = result
        self.round = round_
        self.commit_due = False
        """The commit timeout elapsed already: start the next height as soon as it is applied."""


class _SyncBatch:
    """Synced blocks of one response, waiting for their signature checks, in height order."""

    __slots__ = ("blocks", "peer_id")

    def __init__(self, peer_id: PeerId, blocks: list[tuple[Block, bytes, Commit, int | None]]):
        self.peer_id = peer_id
        self.blocks = blocks
        """(block, its bytes, commit, batch id of its signature check or None if none needed)."""


class NodeCore:
    """One node's decisions. Build it with core/boot.py `boot_core`."""

    def __init__(
        self,
        *,
        genesis: Genesis,
        key: PrivateKey,
        book: ServedBook,
        mempool: Mempool,
        ledger: NodeLedger,
        machine: ConsensusMachine,
        settings: CoreSettings,
        evidence: EvidencePool,
        consensus_keys: tuple[PrivateKey, ...] = (),
        signing_refused: str | None = None,
        snapshots: SnapshotSource | None = None,
    ) -> None:
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.key = key
        self.consensus_keys: tuple[PrivateKey, ...] = consensus_keys or (key,)
        """The keys this node may sign consensus messages with (the node key first); the
        one in the validator set of a height signs at that height."""
        self.evidence = evidence
        self.book = book
        self.mempool = mempool
        self.ledger = ledger
        self.machine = machine
        self.settings = settings
        self.signing_refused = signing_refused
        """Why this validator does not sign (its consensus record is missing), or None."""
        self.snapshots = snapshots
        """The state snapshots this node serves to nodes that state-sync (None: none)."""
        self.admission = Admission()
        self.sync = BlockSync(settings.sync_retry_ms)
        self.private = PrivateData(key.public_key)
        """Private data between member nodes (core/private_data.py)."""
        self.counters: Counter[str] = Counter()
        """Explicit no-ops and refusals of the core, by reason."""
        self.halted: str | None = None
        self.txs_admitted = 0
        self._outputs: list[Output] = []
        self._now_ms: TimeMs = 0
        self._started = False
        self._pending_apply: _PendingApply | None = None
        self._held_proposals: list[tuple[SignedProposal, Block]] = []
        """Proposals waiting for the gossip batch being checked (they carry some of its txs);
        at most limits.proposals_held_for_gossip_max."""
        self._sync_batches: list[_SyncBatch] = []
        self._sync_checks: dict[int, dict[Hash, DecodedTx] | None] = {}
        """Signature checks of synced blocks: batch id -> results (None while pending)."""
        self._pruned_out_logged: Height | None = None
        """The height from which every peer said it pruned, once logged (logged once)."""
        self._next_batch_id = 0
        self._due_ms = {"resend": 0, "status": 0, "gossip": 0}
        self._peer_faults: dict[PeerId, tuple[int, TimeMs]] = {}
        """Per peer: provable faults counted, and when the count started (bounded by
        limits.peer_fault_peers_tracked_max, oldest first out)."""
        self._held_commit: TimeoutElapsed | None = None
        """The commit timeout held by the empty-block rule (the height it would end)."""
        self._next_height_seen = False
        """A consensus message of a later height arrived while the commit timeout is held."""

    # ------------------------------------------------------------------ the interface

    @property
    def height(self) -> Height:
        """The latest height applied to the ledger state (hence durable)."""
        return self.ledger.state.height

    @property
    def is_validator(self) -> bool:
        """Whether this node signs at the height its machine works on."""
        return self.machine.is_validator

    @property
    def is_syncing(self) -> bool:
        return self.sync.is_behind(self.height)

    def next_tick_due_ms(self) -> TimeMs:
        """When the next Tick has work to do (a driver may tick more often; the simulator
        ticks exactly then)."""
        due = self._due_ms
        soonest = min(due["resend"], due["status"])
        if self.admission.has_outbound:
            soonest = min(soonest, due["gossip"])
        return soonest

    def start(self, now_ms: TimeMs) -> list[Output]:
        """Begin (or resume after a restart): the machine's first round, the first status."""
        assert not self._started
        self._started = True
        self._now_ms = now_ms
        self._due_ms = {
            "resend": now_ms + self.settings.resend_interval_ms,
            "status": now_ms + self.settings.status_interval_ms,
            "gossip": now_ms + self.settings.gossip_flush_ms,
        }
        self._carry_out_guarded(lambda: self.machine.start(now_ms))
        return self._take_outputs()

    def handle(self, input_: Input, now_ms: TimeMs) -> list[Output]:
        """Feed one input; returns the outputs to carry out, in order."""
        assert self._started, "call start() first"
        if self.halted is not None:
            self.counters["input_after_halt"] += 1
            return []
        self._now_ms = now_ms
        match input_:
            case Tick():
                self._on_tick()
            case FrameReceived(peer_id=peer_id, payload=payload):
                self._on_frame(peer_id, payload)
            case TimerFired(kind=kind, height=height, round=round_):
                self._on_timer(TimeoutElapsed(kind, height, round_))
            case TxsSubmitted():
                self._on_submitted(input_)
            case TxsVerified(batch_id=batch_id, results=results):
                self._on_verified(batch_id, results)
            case BlockSaved(height=height):
                self._on_block_saved(height)
            case PrivateSubmitted():
                self._outputs += self.private.on_local_submission(
                    input_, self.ledger.state, self.sync.connected
                )
            case PeerConnected(peer_id=peer_id):
                self.sync.on_connected(peer_id)
                self._send(peer_id, StatusMessage(height=self.height))
            case PeerDisconnected(peer_id=peer_id):
                self.sync.on_disconnected(peer_id)
        if self._held_commit is not None:
            self._start_next_height(self._held_commit)
        return self._take_outputs()

    # ------------------------------------------------------------------ inputs

    def _on_tick(self) -> None:
        now = self._now_ms
        due = self._due_ms
        if now >= due["gossip"]:
            due["gossip"] = now + self.settings.gossip_flush_ms
            for txs in self.admission.take_outbound():
                self._broadcast(TxsMessage(txs=txs))
        if now >= due["resend"]:
            due["resend"] = now + self.settings.resend_interval_ms
            self._step_machine(Resend())
            self._resend_evidence()
        if now >= due["status"]:
            due["status"] = now + self.settings.status_interval_ms
            self._broadcast(StatusMessage(height=self.height))
            if self.sync.is_behind(self.height):
                self._request_sync()
        self._outputs += self.private.on_tick(self.ledger.state, self.sync.connected, now)

    def _on_frame(self, peer_id: PeerId, payload: bytes) -> None:
        """The one place where a peer's bytes become the node's inputs."""
        try:
            message = decode_message(payload)
        except PeerMisbehaved as exc:
            self.counters["peer_message_malformed"] += 1
            if not self._note_peer_fault(peer_id, "malformed_message"):
                self._outputs.append(Disconnect(peer_id, f"malformed message: {exc}"))
            return
        if isinstance(message, ProposalMessage | VoteMessage):
            faults_before = self._count_machine_faults()
            self._dispatch(peer_id, message)
            faults = self._count_machine_faults() - faults_before
            if faults:
                self._note_peer_fault(peer_id, "invalid_consensus_message", faults)
            return
        self._dispatch(peer_id, message)

    def _count_machine_faults(self) -> int:
        counters = self.machine.counters
        return sum(counters[reason] for reason in PEER_FAULT_REFUSALS)

    def _note_peer_fault(self, peer_id: PeerId, reason: str, count: int = 1) -> bool:
        """Count a provable fault of `peer_id`; at limits.peer_faults_max within the window,
        disconnect and ban it. True if it was banned now."""
        self.counters["peer_fault_" + reason] += count
        faults, since_ms = self._peer_faults.pop(peer_id, (0, self._now_ms))
        if self._now_ms - since_ms > self.settings.peer_fault_window_ms:
            faults, since_ms = 0, self._now_ms
        faults += count
        if faults < limits.peer_faults_max:
            if len(self._peer_faults) >= limits.peer_fault_peers_tracked_max:
                del self._peer_faults[next(iter(self._peer_faults))]
            self._peer_faults[peer_id] = (faults, since_ms)  # re-inserted: newest last
            return False
        self.counters["peer_banned"] += 1
        ban_ms = self.settings.peer_fault_ban_ms
        self._outputs.append(
            Disconnect(peer_id, f"{faults} protocol faults, the last: {reason}", ban_ms=ban_ms)
        )
        self._outputs.append(
            LogEvent(
                "warning",
                "peer_banned",
                {"peer": peer_id.hex()[:16], "faults": faults, "last": reason, "ban_ms": ban_ms},
            )
        )
        return True

    def _dispatch(self, peer_id: PeerId, message: WireMessage) -> None:
        match message:
            case ProposalMessage(proposal=proposal, block=block):
                self._note_next_height_message(message)
                self._receive_proposal(proposal, block)
            case VoteMessage(vote=vote):
                self._note_next_height_message(message)
                self._step_machine(VoteReceived(vote))
            case TxsMessage(txs=txs):
                self.admission.enqueue(peer_id, txs)
                self._check_next_gossip_batch()
            case StatusMessage(height=height):
                self.sync.on_status(peer_id, height)
                if height > self.height + 1:
                    self._request_sync(peer_id)
            case SyncRequest(from_height=from_height, count=count):
                answer = serve_sync(self.book, from_height, count)
                if answer is None:
                    self.counters["sync_nothing_to_serve"] += 1
                else:
                    self.counters["sync_pruned_answered"] += isinstance(answer, SyncPruned)
                    self._send(peer_id, answer)
            case SyncResponse(blocks=blocks):
                self._on_sync_response(peer_id, blocks)
            case SyncPruned(from_height=from_height, pruned_below=pruned_below):
                self._on_sync_pruned(peer_id, from_height, pruned_below)
            case SnapshotsRequest() | SnapshotProofRequest() | ChunkRequest():
                self._serve_snapshots(peer_id, message)
            case SnapshotsResponse() | SnapshotProofResponse() | ChunkResponse():
                self.counters["snapshot_answer_unsolicited"] += 1  # a syncer's, not ours
            case EvidenceMessage(evidence=evidence):
                for piece in evidence:
                    self._add_evidence(piece)
            case PrivatePush() | PrivatePull():
                self._outputs += self.private.on_message(
                    peer_id, message, self.ledger.state, self.sync.connected
                )

    def _on_timer(self, timeout: TimeoutElapsed) -> None:
        pending = self._pending_apply
        if (
            timeout.kind == TimeoutKind.COMMIT
            and pending is not None
            and timeout.height == pending.record.height
        ):
            pending.commit_due = True  # the next height starts once the block is applied
            return
        if timeout.kind == TimeoutKind.COMMIT:
            self._start_next_height(timeout, rearm=True)
            return
        self._step_machine(timeout)

    def _start_next_height(self, timeout: TimeoutElapsed, *, rearm: bool = False) -> None:
        """The commit timeout of the decided height: into the next height now, or held by the
        empty-block rule (core/empty_blocks.py) with a timer for when the wait ends (set when
        the hold starts, and again with `rearm` when a timer finds the wait not over)."""
        if self.machine.decided is None or timeout.height != self.machine.height:
            self._held_commit = None
            self._step_machine(timeout)  # not a decided height's: the machine judges it
            return
        last = self.ledger.last_header
        assert last is not None and last.height == timeout.height
        wait_ms = get_empty_block_wait_ms(
            interval_ms=self.machine.params.empty_block_interval_ms,
            now_ms=self._now_ms,
            block_time_ms=last.time_ms,
            block_txs=last.tx_count,
            txs_waiting=len(self.mempool) + len(self.evidence),
            catching_up=self.sync.is_behind(self.height) or bool(self._sync_batches),
            next_height_seen=self._next_height_seen,
        )
        if wait_ms > 0:
            if self._held_commit is None or rearm:
                self._outputs.append(SetTimer(timeout.kind, timeout.height, timeout.round, wait_ms))
            if self._held_commit is None:
                self.counters["empty_block_wait"] += 1
            self._held_commit = timeout
            return
        self._held_commit = None
        self._next_height_seen = False
        self._step_machine(timeout)

    def _note_next_height_message(self, message: ProposalMessage | VoteMessage) -> None:
        """While the commit timeout is held: a validator's checked message of the next height
        means it has entered that height, so the hold ends (core/empty_blocks.py). Checked
        here (signer and signature) so that no one but a validator can make an idle chain
        produce blocks; the machine checks it again when it takes it."""
        if self._held_commit is None:
            return
        height = self.machine.height + 1
        validators = self.ledger.get_validators(height)
        if isinstance(message, ProposalMessage):
            if message.proposal.proposal.height != height:
                return
            refusal = get_proposal_refusal(
                self.chain_id, validators, height, 0, message.proposal, message.block
            )
        else:
            if message.vote.vote.height != height:
                return
            refusal = get_vote_refusal(self.chain_id, validators, height, 0, message.vote)
        if refusal is None:
            self._next_height_seen = True

    def _on_submitted(self, submitted: TxsSubmitted) -> None:
        results: list[VerifyResult] = []
        for tx, checked in zip(submitted.txs, submitted.checked, strict=True):
            if isinstance(checked, InvalidInput):
                results.append(checked)
                continue
            try:
                results.append(self._admit(tx, checked, gossip=True))
            except InvalidTransaction as exc:
                results.append(exc)
        self._outputs.append(TxsAdmitted(submitted.request_id, results))

    def _on_verified(self, batch_id: int, results: list[VerifyResult]) -> None:
        if batch_id in self._sync_checks:
            self._sync_checks[batch_id] = {r.hash: r for r in results if isinstance(r, DecodedTx)}
            self._feed_sync_blocks()
            return
        batch = self.admission.finish_batch(batch_id)
        if batch is None:
            self.counters["verified_unknown_batch"] += 1
            return
        for tx, verified in zip(batch.txs, results, strict=True):
            if isinstance(verified, InvalidInput):
                self._count_refusal(verified)
                continue
            try:
                self._admit(tx, verified, gossip=False)
            except InvalidTransaction as exc:
                # Normal under races (a nonce already committed here): not a fault.
                self._count_refusal(exc)
        held, self._held_proposals = self._held_proposals, []
        for proposal, block in held:
            self._step_machine(ProposalReceived(proposal, block))
        self._check_next_gossip_batch()

    def _on_block_saved(self, height: Height) -> None:
        pending = self._pending_apply
        assert pending is not None and pending.record.height == height, (
            f"BlockSaved({height}) but the block waiting is "
            f"{None if pending is None else pending.record.height}"
        )
        self._pending_apply = None
        record = pending.record
        self.ledger.commit(record.block, pending.result)
        assert self.ledger.state.height == height
        self.mempool.update_after_commit(
            record.block.tx_hashes, self.ledger.state, pending.result.changes.keys()
        )
        self.admission.remember_committed(record.block.tx_hashes)
        self.evidence.prune(self._is_evidence_acceptable)
        self._prepare_next_height(height + 1)
        self._outputs.append(BlockCommitted(record, pending.round))
        self._outputs += self.private.on_committed(record, self.ledger.state, self._now_ms)
        if pending.commit_due:
            self._start_next_height(TimeoutElapsed(TimeoutKind.COMMIT, height, self.machine.round))
        self._feed_sync_blocks()

    # ------------------------------------------------------------------ consensus

    def _receive_proposal(self, proposal: SignedProposal, block: Block) -> None:
        """Hand a proposal to consensus, after the gossip batch in signature checks if the
        block carries some of its transactions.

        Gossip often trails a proposal: block validation then checks the signatures of the
        transactions this node has not admitted yet, inline. Those of the batch being checked
        right now would be checked twice, so the proposal waits for that batch (at most
        admission_batch_txs_max signatures, a few ms) instead. Held proposals are not checked
        yet, so at most limits.proposals_held_for_gossip_max wait; past it a proposal goes to
        consensus at once (which checks and bounds it; its transactions may then be checked
        twice, never lost). Sending all unseen ones to the
        workers ahead of gossip measured worse (2,354 tx/s at 3,000 offered): the proposal then
        waits behind the workers' queue, and blocks slow down.
        """
        if (
            block.height == self.machine.height
            and len(self._held_proposals) < limits.proposals_held_for_gossip_max
            and self.admission.is_checking_any(block.tx_hashes)
        ):
            self._held_proposals.append((proposal, block))
            self.counters["proposal_held_for_gossip"] += 1
            return
        self._step_machine(ProposalReceived(proposal, block))

    def _step_machine(self, event: Event) -> None:
        self._carry_out_guarded(lambda: self.machine.step(event, self._now_ms))

    def _carry_out_guarded(self, step: Callable[[], list[effects.Effect]]) -> None:
        if self.halted is not None:
            return
        try:
            self._carry_out(step())
        except StateDivergence as exc:
            self.halted = str(exc)
            self._outputs.append(LogEvent("critical", "state_divergence", {"reason": str(exc)}))
            self._outputs.append(Halt(str(exc)))

    def _carry_out(self, machine_effects: list[effects.Effect]) -> None:
        """The one interpreter of consensus effects (their order: consensus/effects.py)."""
        for effect in machine_effects:
            match effect:
                case effects.SaveConsensusRecord():
                    self._outputs.append(effect)
                case effects.Broadcast(message=message):
                    self._broadcast(message)
                case effects.ScheduleTimeout(kind=kind, height=height, round=round_):
                    self._schedule(kind, height, round_, effect.duration_ms)
                case effects.CommitBlock(block=block, commit=commit):
                    self._decide(block, commit)
                case effects.FallenBehind():
                    self._request_sync()
                case effects.EvidenceFound(first=first, second=second):
                    self.counters["evidence_found"] += 1
                    self._outputs.append(
                        LogEvent(
                            "warning",
                            "equivocation_evidence",
                            {
                                "validator": first.validator.hex(),
                                "height": first.vote.height,
                                "round": first.vote.round,
                                "first": first.vote.block_hash.hex(),
                                "second": second.vote.block_hash.hex(),
                            },
                        )
                    )
                    self._add_evidence(make_duplicate_vote_evidence(first, second))

    def _schedule(self, kind: TimeoutKind, height: Height, round_: Round, ms: int) -> None:
        if kind == TimeoutKind.COMMIT and ms <= 0:
            # A block decided through sync needs no pause: the next height starts as soon as
            # it is applied, so a node catching up runs at the speed of verification.
            assert self._pending_apply is not None and self._pending_apply.record.height == height
            self._pending_apply.commit_due = True
            return
        self._outputs.append(SetTimer(kind, height, round_, ms))

    def _decide(self, block: Block, commit: Commit) -> None:
        """CommitBlock: execute (already done when it was validated) and ask for the save."""
        assert self._pending_apply is None, "a second block decided before the first was saved"
        result = self.ledger.result_for(block)
        # The state tree of this block is built now, while the commit timeout runs, not while
        # the block was proposed and voted on (its root goes into the next header).
        tree = self.ledger.compute_state_tree_for(block, result)
        record = BlockRecord(
            block=block,
            block_bytes=encode_block(block),
            commit=commit,
            receipts=result.receipts,
            events=result.events,
            changes=result.changes,
            app_hash=tree.root,
        )
        self._pending_apply = _PendingApply(record, result, commit.round)
        self._outputs.append(SaveBlock(record))

    # ------------------------------------------------------------------ the next height

    def _prepare_next_height(self, height: Height) -> None:
        """Between heights: the machine gets the parameters and the signing key of `height`
        (see the module docstring). Nothing is signed in between: the machine has decided."""
        self.machine.params = self.ledger.get_consensus_params(height)
        if self.signing_refused is None:
            self.machine.key = select_signing_key(self.ledger, height, self.consensus_keys)

    # ------------------------------------------------------------------ evidence

    def _add_evidence(self, evidence: DuplicateVoteEvidence) -> None:
        """Verify and keep a piece of evidence; a new one is gossiped at once."""
        if self.evidence.add(evidence, self._verify_evidence):
            self._broadcast(EvidenceMessage(evidence=[evidence]))

    def _verify_evidence(self, evidence: DuplicateVoteEvidence) -> None:
        verify_evidence(self.ledger.state, self.chain_id, self.ledger.governed, evidence)

    def _is_evidence_acceptable(self, evidence: DuplicateVoteEvidence) -> bool:
        try:
            ledger = self.ledger
            verify_evidence(
                ledger.state, self.chain_id, ledger.governed, evidence, check_signatures=False
            )
        except InvalidEvidence:
            return False
        return True

    def _resend_evidence(self) -> None:
        pending = self.evidence.candidates()
        step = limits.evidence_per_message_max
        for start in range(0, len(pending), step):
            self._broadcast(EvidenceMessage(evidence=pending[start : start + step]))

    # ------------------------------------------------------------------ admission

    def _admit(self, tx: bytes, verified: DecodedTx, *, gossip: bool) -> DecodedTx:
        added = self.mempool.add(tx, verified=verified)
        if not added.duplicate:
            self.txs_admitted += 1
            if gossip:
                self.admission.gossip(tx)
        return added.tx

    def _check_next_gossip_batch(self) -> None:
        """Send the next gossip batch to the signature checks, unless one is there already.

        Transactions whose signatures block validation already checked (they came in a
        proposal first) are admitted at once, without another check.
        """
        while True:
            batch = self.admission.next_batch(self._next_batch_id, self._is_pending)
            if batch is None or batch.batch_id != self._next_batch_id:
                return
            self._next_batch_id += 1
            fresh = [
                (tx, hash_)
                for tx, hash_ in zip(batch.txs, batch.hashes, strict=True)
                if not self._admit_preverified(tx, hash_)
            ]
            if fresh:
                batch.narrow(fresh)
                self._outputs.append(VerifyTxs(batch.batch_id, batch.txs, batch.hashes))
                return
            self.admission.finish_batch(batch.batch_id)

    def _admit_preverified(self, tx: bytes, hash_: Hash) -> bool:
        verified = self.ledger.preverified.get(hash_)
        if verified is None:
            return False
        try:
            self._admit(tx, verified, gossip=False)
        except InvalidTransaction as exc:
            self._count_refusal(exc)
        return True

    def _is_pending(self, hash_: Hash) -> bool:
        return hash_ in self.mempool

    def _count_refusal(self, exc: InvalidInput) -> None:
        self.counters["tx_refused_" + getattr(exc, "code", "decode_error")] += 1

    def is_at_api_capacity(self) -> bool:
        """Past this many pending transactions the API refuses new ones (503, retry later)."""
        return len(self.mempool) >= limits.mempool_txs_api_max

    # ------------------------------------------------------------------ block sync

    def _request_sync(self, peer_id: PeerId | None = None) -> None:
        from_height = self.machine.height
        plan = self.sync.plan_request(from_height, self._now_ms, peer_id)
        if plan is None:
            if self.sync.is_pruned_out(from_height) and self._pruned_out_logged != from_height:
                self._pruned_out_logged = from_height
                self._outputs.append(
                    LogEvent(
                        "warning",
                        "sync_every_peer_pruned",
                        {
                            "from_height": from_height,
                            "peers": len(self.sync.connected),
                            "what_to_do": "connect a peer that keeps every block "
                            "(prune_keep_blocks = 0), or start this node afresh by state sync",
                        },
                    )
                )
            return
        self._send(
            plan.peer_id,
            SyncRequest(from_height=plan.from_height, count=limits.sync_blocks_per_response_max),
        )
        self._outputs.append(
            LogEvent(
                "info",
                "sync_requested",
                {
                    "peer": plan.peer_id.hex()[:16],
                    "from_height": plan.from_height,
                    "target_height": self.sync.best_peer_height,
                },
            )
        )

    def _on_sync_response(self, peer_id: PeerId, blocks: list[tuple[bytes, bytes]]) -> None:
        """Decode a batch of synced blocks and start their signature checks.

        Catch-up is a pipeline: the next batch is requested as soon as this one arrives, and
        the signatures of every block of the batch are checked (VerifyTxs) while the core
        decides and the driver stores the blocks before them. Consensus decides each block
        only if its commit certificate verifies.
        """
        if not self.sync.accept_response(peer_id):
            return
        if not blocks:
            # An honest peer answers only with blocks it has (serve_sync): it lied about its height.
            self._note_peer_fault(peer_id, "sync_response_empty")
            return
        decoded: list[tuple[Block, bytes, Commit]] = []
        for block_bytes, commit_bytes in blocks:
            try:
                block = decode_block(block_bytes)
                decoded.append((block, block_bytes, codec.decode(commit_bytes, Commit)))
            except DecodeError as exc:
                self._refuse_sync_block(peer_id, "malformed", str(exc))
                return
        fresh = [entry for entry in decoded if entry[0].height >= self.machine.height]
        if not fresh:
            self.counters["sync_response_stale"] += 1
            return
        if self.sync.peer_heights.get(peer_id, 0) > fresh[-1][0].height:
            plan = self.sync.plan_next(peer_id, fresh[-1][0].height, self._now_ms)
            self._send(
                plan.peer_id,
                SyncRequest(
                    from_height=plan.from_height, count=limits.sync_blocks_per_response_max
                ),
            )
        entries: list[tuple[Block, bytes, Commit, int | None]] = []
        for block, block_bytes, commit in fresh:
            unknown = [
                (tx, hash_)
                for tx, hash_ in zip(block.txs, block.tx_hashes, strict=True)
                if self.ledger.get(hash_) is None
            ]
            batch_id: int | None = None
            if unknown:
                batch_id = self._next_batch_id
                self._next_batch_id += 1
                self._sync_checks[batch_id] = None
                self._outputs.append(
                    VerifyTxs(batch_id, [t for t, _ in unknown], [h for _, h in unknown])
                )
            entries.append((block, block_bytes, commit, batch_id))
        self._sync_batches.append(_SyncBatch(peer_id, entries))
        self._feed_sync_blocks()

    def _on_sync_pruned(self, peer_id: PeerId, from_height: Height, pruned_below: Height) -> None:
        """The peer asked no longer holds the blocks from `from_height` (pruned, or never held
        below a state sync's snapshot): not a fault; it is not asked below `pruned_below`
        again, and the next peer is asked at once (core/sync.py)."""
        if not self.sync.accept_response(peer_id):
            return
        if pruned_below <= from_height:
            # It says it holds every block from `from_height` on, and sends none of them.
            self._note_peer_fault(peer_id, "sync_pruned_false")
            return
        self.sync.on_pruned(peer_id, pruned_below)
        self.counters["sync_peer_pruned"] += 1
        self._outputs.append(
            LogEvent(
                "info",
                "sync_peer_pruned",
                {
                    "peer": peer_id.hex()[:16],
                    "from_height": from_height,
                    "pruned_below": pruned_below,
                },
            )
        )
        self._request_sync()

    def _feed_sync_blocks(self) -> None:
        """Hand consensus the synced block for its height once its checks are done and the
        previous block is applied."""
        while self._sync_batches and self.halted is None:
            batch = self._sync_batches[0]
            if not batch.blocks:
                self._sync_batches.pop(0)
                continue
            if self._pending_apply is not None or self.machine.decided is not None:
                return
            block, _, commit, batch_id = batch.blocks[0]
            if block.height < self.machine.height:
                self._drop_sync_entry(batch)
                continue
            if block.height > self.machine.height:
                self.counters["sync_block_gap"] += 1
                self._drop_sync_batch(0)
                continue
            if batch_id is not None:
                checked = self._sync_checks.get(batch_id)
                if checked is None:
                    return  # its signatures are still being checked
                self.ledger.preverified.update(checked)
            self._drop_sync_entry(batch)
            self._step_machine(CommitReceived(block, commit))
            if self._pending_apply is None and self.machine.height == block.height:
                self._refuse_sync_block(batch.peer_id, "refused", f"height {block.height}")
                self._drop_sync_batch(0)

    def _drop_sync_entry(self, batch: _SyncBatch) -> None:
        _, _, _, batch_id = batch.blocks.pop(0)
        if batch_id is not None:
            self._sync_checks.pop(batch_id, None)

    def _drop_sync_batch(self, index: int) -> None:
        batch = self._sync_batches.pop(index)
        for _, _, _, batch_id in batch.blocks:
            if batch_id is not None:
                self._sync_checks.pop(batch_id, None)

    def _refuse_sync_block(self, peer_id: PeerId, what: str, detail: str) -> None:
        self.counters["sync_block_" + what] += 1
        self._outputs.append(
            LogEvent(
                "warning", "sync_block_" + what, {"peer": peer_id.hex()[:16], "detail": detail}
            )
        )
        self._note_peer_fault(peer_id, "sync_block_" + what)

    # ------------------------------------------------------------------ serving state sync

    def _get_served_offers(self) -> list[SnapshotOffer]:
        """The stored snapshots whose proof this book holds (header C + 1 is committed)."""
        if self.snapshots is None:
            return []
        offers = [o for o in self.snapshots.list_offers() if o.height + 1 <= self.height]
        return offers[:SNAPSHOTS_OFFERED_MAX]

    def _serve_snapshots(
        self, peer_id: PeerId, request: SnapshotsRequest | SnapshotProofRequest | ChunkRequest
    ) -> None:
        """Answer a state-syncing peer (core/statesync.py) from the snapshots kept; what is
        not kept gets no answer (counted), and the peer asks another."""
        offers = self._get_served_offers()
        match request:
            case SnapshotsRequest():
                self._send(peer_id, SnapshotsResponse(offers=offers))
                return
            case SnapshotProofRequest(height=height) if any(o.height == height for o in offers):
                changes = self.ledger.get_validator_changes(height + 1)
                proof = build_snapshot_proof(self.book, changes, height)
                if proof is not None:
                    self._send(peer_id, SnapshotProofResponse(proof=proof))
                    return
            case ChunkRequest(height=height, index=index) if any(
                o.height == height for o in offers
            ):
                assert self.snapshots is not None
                chunk = self.snapshots.load_chunk(height, index)
                if chunk is not None:
                    self._send(peer_id, ChunkResponse(height=height, index=index, chunk=chunk))
                    return
        self.counters["snapshot_nothing_to_serve"] += 1

    # ------------------------------------------------------------------ sending

    def _send(self, peer_id: PeerId, message: WireMessage) -> None:
        self._outputs.append(Send(peer_id, encode_message(message)))

    def _broadcast(self, message: WireMessage) -> None:
        self._outputs.append(Broadcast(encode_message(message)))

    def _take_outputs(self) -> list[Output]:
        outputs, self._outputs = self._outputs, []
        return outputs


def select_signing_key(
    ledger: NodeLedger, height: Height, keys: tuple[PrivateKey, ...]
) -> PrivateKey:
    """Of `keys`, the one in the validator set of `height`; the first one if none is (the
    node then follows as a full node). A set never holds two keys of one node: a rotation
    replaces the old key in the same change."""
    validators = ledger.get_validators(height)
    for key in keys:
        if validators.is_validator(key.address):
            return key
    return keys[0]


__all__ = ["CoreSettings", "NodeCore", "ServedBook", "select_signing_key"]
