"""A tiny synchronous cluster for consensus rule tests: instant delivery, a manual clock.

Blocks are real chain.Block values with an empty ledger behind them: the fake app accepts
any block at the right height unless its hash is listed in `invalid`. The simulator
(chainbook.sim) drives the real ledger; these tests pin the consensus rules one by one.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from chainbook import merkle
from chainbook.chain.block import Block, Header, compute_commit_hash
from chainbook.chain.commit import Commit
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.consensus.effects import (
    Broadcast,
    CommitBlock,
    Effect,
    EvidenceFound,
    PersistState,
    ScheduleTimeout,
)
from chainbook.consensus.events import Event, ProposalReceived, TimeoutElapsed, VoteReceived
from chainbook.consensus.machine import ConsensusMachine
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.sim.config import SIM_CONSENSUS_PARAMS

CHAIN_ID = "test-chain"
PARAMS = SIM_CONSENSUS_PARAMS
"""The simulator's small timeouts: the same machine, the same time scale."""


def make_keys(n: int) -> list[PrivateKey]:
    return [PrivateKey.from_label(f"validator-{i}") for i in range(n)]


class FakeApp:
    def __init__(self, validators: ValidatorSet) -> None:
        self.validators = validators
        self.invalid: set[bytes] = set()
        self.committed: list[Block] = []
        self.tag = b""

    def get_validators(self, height: int) -> ValidatorSet:
        return self.validators

    def build_block(
        self, height: int, now_ms: int, proposer: bytes, last_commit: Commit | None
    ) -> Block:
        header = Header(
            chain_id=CHAIN_ID,
            height=height,
            time_ms=now_ms + 1,
            prev_block_hash=self.committed[-1].hash if self.committed else b"\0" * 32,
            last_commit_hash=compute_commit_hash(last_commit),
            txs_root=merkle.EMPTY_ROOT,
            tx_count=0,
            receipts_root=merkle.EMPTY_ROOT,
            app_hash=b"\1" * 31 + self.tag[:1].rjust(1, b"\0"),
            validators_hash=self.validators.hash,
            next_validators_hash=self.validators.hash,
            proposer=proposer,
        )
        return Block(header=header, txs=[], last_commit=last_commit)

    def verify_block(self, block: Block, now_ms: int | None) -> None:
        if block.hash in self.invalid:
            raise InvalidBlock("marked invalid by the test")
        if block.height != len(self.committed) + 1:
            raise InvalidBlock("wrong height")


@dataclass
class TestNode:
    key: PrivateKey
    app: FakeApp
    machine: ConsensusMachine
    persisted: list[bytes] = field(default_factory=list)
    sent: list[object] = field(default_factory=list)
    evidence: list[EvidenceFound] = field(default_factory=list)
    up: bool = True


class Cluster:
    """Validators with equal power, full delivery unless a node is down or a link is cut."""

    def __init__(self, n: int = 4) -> None:
        self.keys = make_keys(n)
        self.validators = ValidatorSet(
            [Validator(k.public_key, 10, f"v{i}") for i, k in enumerate(self.keys)]
        )
        self.now_ms = 0
        self._timers: list[tuple[int, int, int, TimeoutElapsed]] = []
        self._seq = 0
        self.cut: set[tuple[int, int]] = set()
        self.nodes = [self._make_node(k) for k in self.keys]
        self.log: list[str] = []

    def _make_node(
        self, key: PrivateKey, record: bytes | None = None, app: FakeApp | None = None
    ) -> TestNode:
        app = app or FakeApp(self.validators)
        height = len(app.committed) + 1
        machine = ConsensusMachine(
            chain_id=CHAIN_ID,
            app=app,
            params=PARAMS,
            key=key,
            height=height,
            last_commit=None,
            record=record,
        )
        return TestNode(key=key, app=app, machine=machine)

    def index_of(self, address: bytes) -> int:
        return next(i for i, n in enumerate(self.nodes) if n.key.address == address)

    def start(self) -> None:
        for i, node in enumerate(self.nodes):
            if node.up:
                self._perform(i, node.machine.start(self.now_ms))

    def deliver(self, i: int, event: Event) -> None:
        node = self.nodes[i]
        if node.up:
            self._perform(i, node.machine.step(event, self.now_ms))

    def _perform(self, i: int, effects: list[Effect]) -> None:
        node = self.nodes[i]
        for effect in effects:
            match effect:
                case PersistState(record=record):
                    node.persisted.append(record)
                case Broadcast(message=message):
                    node.sent.append(message)
                    for j in range(len(self.nodes)):
                        if j != i and (i, j) not in self.cut:
                            self.deliver(j, self._as_event(message))
                case ScheduleTimeout(kind=kind, height=h, round=r, duration_ms=d):
                    self._seq += 1
                    heapq.heappush(
                        self._timers, (self.now_ms + d, self._seq, i, TimeoutElapsed(kind, h, r))
                    )
                case CommitBlock(block=block):
                    node.app.committed.append(block)
                    self.log.append(f"node{i} commit h={block.height} {block.hash.hex()[:8]}")
                case EvidenceFound():
                    node.evidence.append(effect)

    @staticmethod
    def _as_event(message: object) -> Event:
        if isinstance(message, ProposalMessage):
            return ProposalReceived(message.proposal, message.block)
        assert isinstance(message, VoteMessage)
        return VoteReceived(message.vote)

    def run_until(self, predicate, limit_ms: int = 60_000) -> None:  # type: ignore[no-untyped-def]
        """Fire timers in time order until `predicate()` holds; fail past `limit_ms`."""
        while not predicate():
            assert self._timers, "no timers left and the predicate does not hold"
            at, _, i, timeout = heapq.heappop(self._timers)
            assert at <= limit_ms, f"predicate not reached by {limit_ms} ms"
            self.now_ms = max(self.now_ms, at)
            self.deliver(i, timeout)

    def heights(self) -> list[int]:
        return [len(n.app.committed) for n in self.nodes]
