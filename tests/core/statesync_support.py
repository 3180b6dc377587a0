"""State sync without IO: real serving node cores over a real chain, a StateSyncer, and peers
that lie; frames go through the real wire encoding both ways.

    chain = serving_chain()                       # blocks with transfers, a snapshot at C
    peers = {A: HonestPeer(chain), B: LyingPeer(chain, lie)}
    run = pump(StateSyncer(chain.genesis), peers)  # until RestoreSnapshot or the deadline
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chainbook.apps.bank import Transfer
from chainbook.apps.governance import AddValidator, CastVote, Propose
from chainbook.chain.genesis import Genesis
from chainbook.chain.tx import tx_hash
from chainbook.core.boot import boot_core
from chainbook.core.inputs import (
    BlockSaved,
    FrameReceived,
    Input,
    PeerConnected,
    PeerDisconnected,
    PeerId,
    Tick,
    TxsVerified,
)
from chainbook.core.node import CoreSettings, NodeCore
from chainbook.core.outputs import Disconnect, LogEvent, Output, SaveBlock, Send, VerifyTxs
from chainbook.core.snapshots import make_snapshot
from chainbook.core.statesync import RestoreSnapshot, StateSyncer, SyncerOutput, VerifiedSnapshot
from chainbook.core.wire import WireMessage, decode_message, encode_message
from chainbook.crypto import PrivateKey
from chainbook.runtime.verifier import verify_inline
from chainbook.storage import MemoryBlockStore, MemorySnapshotStore
from tests.apps.governance.chain import VALIDATORS as GOVERNED_VALIDATORS
from tests.apps.governance.chain import AppChain, GovernedLedger
from tests.client.ledger_chain import LedgerChain
from tests.support import ALICE, BOB, GENESIS_TIME_MS, signed, validator_keys

NOW_MS = GENESIS_TIME_MS + 10_000_000
SYNCER_ID = b"s" * 32
SNAPSHOT_HEIGHT = 4
CHAIN_HEIGHT = 7
CHUNK_BYTES_TARGET = 120
"""Small chunks, so that a test state of a few dozen keys is several chunks."""


@dataclass
class ServingChain:
    """A chain (LedgerChain or AppChain: a NodeLedger and the book it committed) a serving
    node is booted over, and the snapshots it serves."""

    chain: LedgerChain | AppChain
    snapshots: MemorySnapshotStore

    @property
    def genesis(self) -> Genesis:
        return self.chain.ledger.genesis


def serving_chain(validators: int = 4) -> ServingChain:
    """CHAIN_HEIGHT blocks of transfers to fresh accounts, signed by `validators` validators,
    with a snapshot of the state after SNAPSHOT_HEIGHT."""
    chain = LedgerChain(validator_keys(validators))
    snapshots = MemorySnapshotStore(keep=2)
    nonces = {ALICE.address: 0, BOB.address: 0}
    for height in range(1, CHAIN_HEIGHT + 1):
        txs = []
        for sender in (ALICE, BOB):
            for i in range(3):
                to = PrivateKey.from_label(f"fresh-{height}-{i}-{sender.address.hex()[:4]}")
                txs.append(signed(sender, nonces[sender.address], Transfer(to.address, 1)))
                nonces[sender.address] += 1
        chain.commit_block(txs)
        if height == SNAPSHOT_HEIGHT:
            offer, chunks = make_snapshot(
                dict(chain.ledger.state.kv), height, chunk_bytes_target=CHUNK_BYTES_TARGET
            )
            snapshots.save(offer, chunks)
    return ServingChain(chain, snapshots)


@dataclass
class GovernedChain:
    """A chain across a validator-set change (four validators admit a fifth), with a snapshot
    after the change and a transfer after the snapshot (governed_chain)."""

    app: AppChain
    serving: ServingChain
    change_height: int
    """The header that announces the new set (in force from the next height)."""
    snapshot_height: int
    transfer_height: int
    transfer_hash: bytes

    @property
    def genesis(self) -> Genesis:
        return self.serving.genesis


NEWCOMER = PrivateKey.from_label("statesync-newcomer")


def governed_chain() -> GovernedChain:
    """Heights: 1 proposes the admission, 2 passes it, header 3 announces the five (they sign
    from 4), the snapshot is of 6, 7 holds a transfer, 8 and 9 follow (9 proves the state after
    8). The commits are signed by the validators of their height (AppChain)."""
    app = AppChain(GovernedLedger(), [*GOVERNED_VALIDATORS, NEWCOMER])
    ledger = app.governed
    admit = AddValidator(NEWCOMER.public_key, 10, "newcomer")
    app.step([ledger.tx(GOVERNED_VALIDATORS[0], Propose("admit", admit))])
    app.step([ledger.tx(k, CastVote(1, "yes")) for k in GOVERNED_VALIDATORS[:3]])
    snapshots = MemorySnapshotStore(keep=2)
    snapshot_height = 6
    while app.ledger.state.height < snapshot_height:
        app.step()
    offer, chunks = make_snapshot(
        dict(app.ledger.state.kv), snapshot_height, chunk_bytes_target=CHUNK_BYTES_TARGET
    )
    snapshots.save(offer, chunks)
    transfer = ledger.tx(ALICE, Transfer(BOB.address, 5, "after the change"))
    app.step([transfer])
    transfer_height = app.ledger.state.height
    app.step()
    app.step()
    [(change_height, _)] = app.ledger.get_validator_changes(app.ledger.state.height)
    assert change_height < snapshot_height < transfer_height
    return GovernedChain(
        app=app,
        serving=ServingChain(app, snapshots),
        change_height=change_height,
        snapshot_height=snapshot_height,
        transfer_height=transfer_height,
        transfer_hash=tx_hash(transfer),
    )


def boot_server(serving: ServingChain, label: str) -> NodeCore:
    """A full node (not a validator) over the chain's book, serving its snapshots."""
    booted = boot_core(
        genesis=serving.genesis,
        key=PrivateKey.from_label(label),
        store=serving.chain.store,
        record=None,
        settings=CoreSettings(),
        snapshots=serving.snapshots,
    )
    booted.core.start(NOW_MS)
    return booted.core


Lie = Callable[[WireMessage], WireMessage | None]
"""Rewrites an honest answer (None: say nothing)."""


class Peer:
    """A serving node core, its answers passed through `lie` (None: honest)."""

    def __init__(self, core: NodeCore, lie: Lie | None = None) -> None:
        self.core = core
        self.lie = lie
        self.asked: list[WireMessage] = []

    def answer(self, payload: bytes, now_ms: int) -> list[bytes]:
        self.asked.append(decode_message(payload))
        outputs = self.core.handle(FrameReceived(SYNCER_ID, payload), now_ms)
        frames = [o.payload for o in outputs if isinstance(o, Send) and o.peer_id == SYNCER_ID]
        if self.lie is None:
            return frames
        lies = [self.lie(decode_message(frame)) for frame in frames]
        return [encode_message(lie) for lie in lies if lie is not None]


@dataclass
class Run:
    restored: VerifiedSnapshot | None = None
    banned: dict[PeerId, str] = field(default_factory=dict)
    logs: list[LogEvent] = field(default_factory=list)
    now_ms: int = NOW_MS

    def events(self) -> list[str]:
        return [log.event for log in self.logs]


def pump(
    syncer: StateSyncer,
    peers: dict[PeerId, Peer],
    deadline_ms: int = 120_000,
    step_ms: int = 250,
    raw: dict[PeerId, Callable[[bytes], list[bytes]]] | None = None,
) -> Run:
    """Drive `syncer` with `peers` until it restores a snapshot or `deadline_ms` of simulated
    time pass. `raw` peers answer with any bytes (malformed frames)."""
    run = Run()
    inputs: list[Input] = [PeerConnected(p) for p in sorted({*peers, *(raw or {})})]
    end_ms = NOW_MS + deadline_ms
    while run.now_ms < end_ms:
        if not inputs:
            run.now_ms += step_ms
            inputs = [Tick()]
        outputs: list[SyncerOutput] = []
        for input_ in inputs:
            outputs += syncer.handle(input_, run.now_ms)
        inputs = []
        for output in outputs:
            match output:
                case RestoreSnapshot(snapshot=snapshot):
                    run.restored = snapshot
                    return run
                case Disconnect(peer_id=peer_id, reason=reason):
                    assert output.ban_ms > 0
                    run.banned[peer_id] = reason
                    inputs.append(PeerDisconnected(peer_id))
                case Send(peer_id=peer_id, payload=payload) if peer_id not in run.banned:
                    if raw is not None and peer_id in raw:
                        answers = raw[peer_id](payload)
                    else:
                        answers = peers[peer_id].answer(payload, run.now_ms)
                    inputs += [FrameReceived(peer_id, a) for a in answers]
                case LogEvent():
                    run.logs.append(output)
                case _:
                    pass
    return run


def restore_and_boot(
    snapshot: VerifiedSnapshot, genesis: Genesis
) -> tuple[NodeCore, MemoryBlockStore]:
    """What the runtime does with RestoreSnapshot: store it, boot the core from it."""
    store = MemoryBlockStore()
    anchor = snapshot.anchor
    store.restore_snapshot(
        anchor.base_block_bytes,
        anchor.base_block,
        anchor.base_commit,
        snapshot.kv,
        anchor.app_hash,
        [(h.header, h.commit, h.validators) for h in anchor.hops],
    )
    booted = boot_core(
        genesis=genesis,
        key=PrivateKey.from_label("joined"),
        store=store,
        record=None,
        settings=CoreSettings(),
    )
    return booted.core, store


def block_sync(core: NodeCore, store: MemoryBlockStore, server: NodeCore, height: int) -> None:
    """Drive `core` (started here) against `server` by block sync until it reaches `height`;
    signature checks done inline, blocks saved to `store`, as a driver does."""
    server_id, own_id = b"v" * 32, SYNCER_ID
    now = NOW_MS
    pending: list[tuple[str, Input]] = [("core", PeerConnected(server_id))]
    core.start(now)
    pending.append(("server", PeerConnected(own_id)))
    for _ in range(10_000):
        if core.height >= height:
            return
        if not pending:
            now += 1_000
            pending = [("core", Tick()), ("server", Tick())]
        where, input_ = pending.pop(0)
        target, peer = (core, server_id) if where == "core" else (server, own_id)
        outputs: list[Output] = target.handle(input_, now)
        for output in outputs:
            match output:
                case Send(peer_id=p, payload=payload) if p == peer:
                    other = "server" if where == "core" else "core"
                    sender = own_id if where == "core" else server_id
                    pending.append((other, FrameReceived(sender, payload)))
                case VerifyTxs(batch_id=batch_id, txs=txs) if where == "core":
                    results = [verify_inline(core.chain_id, tx) for tx in txs]
                    pending.append(("core", TxsVerified(batch_id, results)))
                case SaveBlock(record=record) if where == "core":
                    store.save_block(
                        record.block_bytes,
                        record.block,
                        record.commit,
                        record.receipts,
                        None,
                        record.app_hash,
                    )
                    pending.append(("core", BlockSaved(record.height)))
                case _:
                    pass
    raise AssertionError(f"block sync stopped at {core.height}, expected {height}")


__all__ = [
    "CHAIN_HEIGHT",
    "NEWCOMER",
    "NOW_MS",
    "SNAPSHOT_HEIGHT",
    "SYNCER_ID",
    "GovernedChain",
    "Lie",
    "Peer",
    "Run",
    "ServingChain",
    "block_sync",
    "boot_server",
    "governed_chain",
    "pump",
    "restore_and_boot",
    "serving_chain",
]
