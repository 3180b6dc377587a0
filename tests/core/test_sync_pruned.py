"""Block sync beside pruned peers, at the node core's inputs and outputs (core/sync.py).

A peer asked for blocks it pruned (or never held: a book started by state sync) answers
SyncPruned with its first whole block; that is no fault: it is not asked below that height
again and the next peer is asked at once. A peer that claims the blocks and sends none is a
fault as before (an empty SyncResponse, or a SyncPruned that does not cover the height asked).
The serving cores are real, over a real chain (tests/core/statesync_support.py).
"""

from __future__ import annotations

import copy
from collections import deque

import pytest

from chainbook import limits
from chainbook.core.boot import boot_core
from chainbook.core.inputs import (
    BlockSaved,
    FrameReceived,
    Input,
    PeerConnected,
    PeerDisconnected,
    Tick,
    TxsVerified,
)
from chainbook.core.node import CoreSettings, NodeCore
from chainbook.core.outputs import Disconnect, LogEvent, Output, SaveBlock, Send, VerifyTxs
from chainbook.core.statesync import StateSyncer
from chainbook.core.wire import (
    StatusMessage,
    SyncPruned,
    SyncRequest,
    SyncResponse,
    WireMessage,
    decode_message,
    encode_message,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import PeerMisbehaved
from chainbook.runtime.verifier import verify_inline
from chainbook.storage import MemoryBlockStore
from tests.core.statesync_support import (
    CHAIN_HEIGHT,
    NOW_MS,
    SNAPSHOT_HEIGHT,
    Peer,
    ServingChain,
    boot_server,
    pump,
    restore_and_boot,
    serving_chain,
)

PRUNED_BELOW = 5
SETTINGS = CoreSettings()
SERVING = serving_chain()
ARCHIVE, PRUNED, JOINER = b"a" * 32, b"p" * 32, b"j" * 32


def pruned_book(serving: ServingChain, below: int = PRUNED_BELOW) -> MemoryBlockStore:
    """A copy of the chain's book, its state checkpoint at the head, pruned below `below`."""
    store = copy.deepcopy(serving.chain.store)
    state = serving.chain.ledger.state
    store.replace_state(dict(state.kv), state.height, state.app_hash)
    assert store.prune_blocks(below, 1_000) == below
    return store


def boot(store: MemoryBlockStore, label: str) -> NodeCore:
    core = boot_core(
        genesis=SERVING.genesis,
        key=PrivateKey.from_label(label),
        store=store,
        record=None,
        settings=SETTINGS,
    ).core
    core.start(NOW_MS)
    return core


def messages(outputs: list[Output], to: bytes) -> list[WireMessage]:
    return [decode_message(o.payload) for o in outputs if isinstance(o, Send) and o.peer_id == to]


def frame(message: WireMessage) -> bytes:
    return encode_message(message)


class Cluster:
    """A joining core and serving cores, frames carried both ways in order; the joiner's
    signature checks are done inline and its blocks saved, as a driver does."""

    def __init__(self, servers: dict[bytes, NodeCore]) -> None:
        self.store = MemoryBlockStore()
        self.joiner = boot(self.store, "joiner")
        self.servers = servers
        self.now_ms = NOW_MS
        self.asked: list[tuple[bytes, SyncRequest]] = []
        self.asked_at_ms: list[int] = []
        self.answers: list[tuple[bytes, WireMessage]] = []
        self.joiner_outputs: list[Output] = []
        self.pending: deque[tuple[bytes, Input]] = deque()
        for peer_id in servers:
            self.pending.append((JOINER, PeerConnected(peer_id)))
            self.pending.append((peer_id, PeerConnected(JOINER)))

    def run(self, height: int, steps_max: int = 20_000) -> None:
        for _ in range(steps_max):
            if self.joiner.height >= height:
                return
            if not self.pending:
                self.now_ms += SETTINGS.sync_retry_ms // 2
                self.pending.extend([(JOINER, Tick()), *((p, Tick()) for p in self.servers)])
            where, input_ = self.pending.popleft()
            if where == JOINER:
                self._joiner_step(input_)
            else:
                for message in messages(self.servers[where].handle(input_, self.now_ms), JOINER):
                    self.answers.append((where, message))
                    self.pending.append((JOINER, FrameReceived(where, frame(message))))
        raise AssertionError(f"the joiner stopped at {self.joiner.height}, expected {height}")

    def _joiner_step(self, input_: Input) -> None:
        outputs = self.joiner.handle(input_, self.now_ms)
        self.joiner_outputs += outputs
        for output in outputs:
            match output:
                case Send(peer_id=peer_id, payload=payload) if peer_id in self.servers:
                    message = decode_message(payload)
                    if isinstance(message, SyncRequest):
                        self.asked.append((peer_id, message))
                        self.asked_at_ms.append(self.now_ms)
                    self.pending.append((peer_id, FrameReceived(JOINER, payload)))
                case VerifyTxs(batch_id=batch_id, txs=txs):
                    results = [verify_inline(self.joiner.chain_id, tx) for tx in txs]
                    self.pending.append((JOINER, TxsVerified(batch_id, results)))
                case SaveBlock(record=r):
                    self.store.save_block(
                        r.block_bytes, r.block, r.commit, r.receipts, None, r.app_hash
                    )
                    self.pending.append((JOINER, BlockSaved(r.height)))
                case _:
                    pass


# --- serving ----------------------------------------------------------------------------------


def test_a_pruned_book_answers_pruned_below_its_first_whole_block_and_serves_from_it() -> None:
    core = boot(pruned_book(SERVING), "pruned")
    core.handle(PeerConnected(JOINER), NOW_MS)
    below = core.handle(FrameReceived(JOINER, frame(SyncRequest(1, 10))), NOW_MS)
    assert messages(below, JOINER) == [SyncPruned(from_height=1, pruned_below=PRUNED_BELOW)]
    edge = core.handle(FrameReceived(JOINER, frame(SyncRequest(PRUNED_BELOW - 1, 10))), NOW_MS)
    assert messages(edge, JOINER) == [SyncPruned(PRUNED_BELOW - 1, PRUNED_BELOW)]
    served = messages(core.handle(FrameReceived(JOINER, frame(SyncRequest(5, 10))), NOW_MS), JOINER)
    assert len(served) == 1 and isinstance(served[0], SyncResponse)
    assert len(served[0].blocks) == CHAIN_HEIGHT - PRUNED_BELOW + 1
    assert core.counters["sync_pruned_answered"] == 2
    # Above its head: nothing to serve, no answer (as before).
    above = core.handle(FrameReceived(JOINER, frame(SyncRequest(CHAIN_HEIGHT + 1, 10))), NOW_MS)
    assert messages(above, JOINER) == []


# --- asking -----------------------------------------------------------------------------------


def boot_archive() -> NodeCore:
    """A node that keeps every block (and serves the chain's snapshot)."""
    return boot_server(SERVING, "archive")


def test_a_pruned_peer_is_no_fault_and_is_not_asked_below_its_first_whole_block_again() -> None:
    cluster = Cluster({PRUNED: boot(pruned_book(SERVING), "pruned"), ARCHIVE: boot_archive()})
    cluster.run(CHAIN_HEIGHT)
    assert cluster.store.load_block(CHAIN_HEIGHT) is not None
    pruned_answers = [m for p, m in cluster.answers if isinstance(m, SyncPruned)]
    assert pruned_answers == [SyncPruned(1, PRUNED_BELOW)], "asked once below, it said so"
    said_at = next(i for i, (p, r) in enumerate(cluster.asked) if p == PRUNED)
    assert cluster.asked[said_at][1].from_height < PRUNED_BELOW
    # The next peer was asked at once (no retry time waited), then the pruned one only for
    # blocks it holds.
    assert cluster.asked[said_at + 1][0] == ARCHIVE
    assert cluster.asked_at_ms[said_at + 1] == cluster.asked_at_ms[said_at]
    later = [r.from_height for p, r in cluster.asked[said_at + 1 :] if p == PRUNED]
    assert all(h >= PRUNED_BELOW for h in later), later
    assert not [o for o in cluster.joiner_outputs if isinstance(o, Disconnect)]
    assert not [k for k in cluster.joiner.counters if k.startswith("peer_fault")]
    assert cluster.joiner.counters["sync_peer_pruned"] == 1


def test_a_state_synced_peer_answers_pruned_below_its_snapshot() -> None:
    """A book started by state sync at C holds block C as a header only: pruned below C + 1."""
    run = pump(StateSyncer(SERVING.genesis), {ARCHIVE: Peer(boot_archive())})
    assert run.restored is not None
    synced, store = restore_and_boot(run.restored, SERVING.genesis)
    synced.start(NOW_MS)
    synced.handle(PeerConnected(JOINER), NOW_MS)
    answer = synced.handle(FrameReceived(JOINER, frame(SyncRequest(1, 10))), NOW_MS)
    assert messages(answer, JOINER) == [SyncPruned(1, SNAPSHOT_HEIGHT + 1)]
    assert store.load_pruned_below() == SNAPSHOT_HEIGHT + 1


def asked_joiner() -> NodeCore:
    """A fresh core that a peer told of height 10**3: it asks that peer from height 1."""
    joiner = boot(MemoryBlockStore(), "joiner")
    joiner.handle(PeerConnected(PRUNED), NOW_MS)
    asked = joiner.handle(FrameReceived(PRUNED, frame(StatusMessage(height=10**3))), NOW_MS)
    assert messages(asked, PRUNED) == [SyncRequest(1, limits.sync_blocks_per_response_max)]
    return joiner


def test_every_peer_pruned_means_nobody_is_asked_and_it_is_logged_once() -> None:
    joiner = asked_joiner()
    outputs = joiner.handle(FrameReceived(PRUNED, frame(SyncPruned(1, 50))), NOW_MS)
    assert messages(outputs, PRUNED) == [] and not [o for o in outputs if isinstance(o, Disconnect)]
    later: list[Output] = []
    for step in range(1, 6):
        later += joiner.handle(Tick(), NOW_MS + step * SETTINGS.sync_retry_ms)
    assert messages(outputs + later, PRUNED) == []
    logs = [o for o in outputs + later if isinstance(o, LogEvent)]
    assert [log.event for log in logs].count("sync_every_peer_pruned") == 1
    assert joiner.sync.counters["request_every_peer_pruned"] >= 5
    # A peer that reconnects is asked again (what it pruned is forgotten with the connection).
    joiner.handle(PeerDisconnected(PRUNED), NOW_MS + 10_000)
    joiner.handle(PeerConnected(PRUNED), NOW_MS + 10_000)
    again = joiner.handle(FrameReceived(PRUNED, frame(StatusMessage(10**3))), NOW_MS + 10_000)
    assert messages(again, PRUNED) == [SyncRequest(1, limits.sync_blocks_per_response_max)]


@pytest.mark.parametrize(("from_height", "pruned_below"), [(1, 1), (1, 0), (9, 3)])
def test_a_pruned_answer_that_covers_the_height_asked_is_a_fault(
    from_height: int, pruned_below: int
) -> None:
    """`pruned below H` for a height at or above H: it claims the block, and sends nothing."""
    joiner = asked_joiner()
    answer = SyncPruned(from_height, pruned_below)
    outputs = joiner.handle(FrameReceived(PRUNED, frame(answer)), NOW_MS)
    assert joiner.counters["peer_fault_sync_pruned_false"] == 1
    assert joiner.counters["sync_peer_pruned"] == 0 and joiner.sync.holds(PRUNED, 1)
    assert not [o for o in outputs if isinstance(o, Disconnect)]  # banned at the bound only


def test_false_pruned_answers_ban_their_peer_at_the_bound() -> None:
    joiner = asked_joiner()
    outputs: list[Output] = []
    for attempt in range(limits.peer_faults_max):
        now = NOW_MS + (attempt + 1) * (SETTINGS.sync_retry_ms + 1)
        if attempt:
            asked = joiner.handle(FrameReceived(PRUNED, frame(StatusMessage(10**3))), now)
            assert [type(m) for m in messages(asked, PRUNED)] == [SyncRequest]
        # Asked from 1, it says it pruned below 1: it claims block 1 on, and sends none.
        outputs += joiner.handle(FrameReceived(PRUNED, frame(SyncPruned(1, 1))), now)
    assert joiner.counters["peer_fault_sync_pruned_false"] == limits.peer_faults_max
    assert [d.peer_id for d in outputs if isinstance(d, Disconnect)] == [PRUNED]


def test_an_unsolicited_pruned_answer_is_a_counted_no_op() -> None:
    joiner = boot(MemoryBlockStore(), "joiner")
    joiner.handle(PeerConnected(PRUNED), NOW_MS)
    outputs = joiner.handle(FrameReceived(PRUNED, frame(SyncPruned(1, 50))), NOW_MS)
    assert outputs == [] and joiner.sync.counters["response_unsolicited"] == 1
    assert joiner.sync.holds(PRUNED, 1), "an answer nobody asked for changes nothing"


def test_a_pruned_answer_from_height_zero_is_malformed() -> None:
    with pytest.raises(PeerMisbehaved, match="heights start at 1"):
        decode_message(frame(SyncPruned(0, 5)))
