"""The clock check with the real ledger: a block once judged too far ahead never halts the node.

The interaction scripts pin where the machine asks for timeliness; these tests pin the other
half of the defect, in NodeLedger: its verdict cache keeps execution failures only, so
deciding a block whose time was refused earlier (our clock skewed, or a Byzantine proposer
dating its block just past the bound and sending it to us first) commits it.
"""

from __future__ import annotations

import msgspec
import pytest

from chainbook.chain.block import Block
from chainbook.chain.commit import NIL, Proposal, Vote, VoteType, sign_proposal, sign_vote
from chainbook.chain.genesis import Genesis
from chainbook.consensus.effects import Broadcast, CommitBlock, Effect
from chainbook.consensus.events import ProposalReceived, VoteReceived
from chainbook.consensus.machine import ConsensusMachine
from chainbook.consensus.messages import VoteMessage
from chainbook.core.mempool import Mempool
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.ledger.node_ledger import NodeLedger
from chainbook.ledger.state import LedgerState
from tests.support.chain import CHAIN_ID, GENESIS_TIME_MS, validator_keys
from tests.support.chain import make_genesis as make_checked_genesis

KEYS = validator_keys(4)


def make_genesis() -> Genesis:
    return make_checked_genesis(validators=KEYS, powers=[10] * len(KEYS))


def make_ledger(genesis: Genesis) -> NodeLedger:
    state = LedgerState.from_genesis(genesis)
    return NodeLedger(genesis, state, None, Mempool(genesis.chain_id, state))


def early_block(genesis: Genesis, now_ms: int) -> tuple[Block, PrivateKey]:
    """Height 1's block from the proposer of round 0, dated 1 ms past the drift bound."""
    proposer = genesis.validator_set.get_proposer(1, 0)
    key = next(k for k in KEYS if k.address == proposer.address)
    drift_ms = genesis.consensus.time_drift_ms_max
    block = make_ledger(genesis).build_block(1, now_ms + drift_ms + 1, key.address, None)
    return block, key


def test_a_clock_verdict_is_not_kept_by_verify_block() -> None:
    genesis = make_genesis()
    now_ms = GENESIS_TIME_MS + 1_000
    block, _ = early_block(genesis, now_ms)
    ledger = make_ledger(genesis)
    with pytest.raises(InvalidBlock, match="ahead of the local clock"):
        ledger.verify_block_time(block, now_ms)
    ledger.verify_block(block)  # execution is fine, and no clock verdict was cached
    ledger.verify_block_time(block, now_ms + 1)  # 1 ms later the same block is timely


def test_an_execution_failure_is_kept() -> None:
    genesis = make_genesis()
    block, _ = early_block(genesis, GENESIS_TIME_MS)
    forged = msgspec.structs.replace(
        block, header=msgspec.structs.replace(block.header, app_hash=b"\x07" * 32)
    )
    ledger = make_ledger(genesis)
    with pytest.raises(InvalidBlock, match="app hash"):
        ledger.verify_block(forged)
    with pytest.raises(InvalidBlock, match="app hash"):
        ledger.verify_block(forged)


def prevotes(effects: list[Effect]) -> list[bytes]:
    return [
        e.message.vote.vote.block_hash
        for e in effects
        if isinstance(e, Broadcast)
        and isinstance(e.message, VoteMessage)
        and e.message.vote.vote.type == VoteType.PREVOTE
    ]


def test_a_block_refused_as_early_then_decided_commits_without_halting() -> None:
    genesis = make_genesis()
    now_ms = GENESIS_TIME_MS + 1_000
    block, proposer_key = early_block(genesis, now_ms)
    victim_key = next(k for k in KEYS if k is not proposer_key)
    machine = ConsensusMachine(
        chain_id=CHAIN_ID,
        ledger=make_ledger(genesis),
        params=genesis.consensus,
        key=victim_key,
        height=1,
        last_commit=None,
    )
    machine.start(now_ms)
    signed = sign_proposal(proposer_key, CHAIN_ID, Proposal(1, 0, -1, block.hash))
    effects = machine.step(ProposalReceived(signed, block), now_ms)
    assert prevotes(effects) == [NIL]
    # The others found it timely: > 2/3 precommit it. Deciding it must not consult our clock.
    others = [k for k in KEYS if k is not victim_key]
    committed: list[Block] = []
    for key in others:
        vote = sign_vote(key, CHAIN_ID, Vote(VoteType.PRECOMMIT, 1, 0, block.hash))
        effects = machine.step(VoteReceived(vote), now_ms)
        committed += [e.block for e in effects if isinstance(e, CommitBlock)]
    assert committed == [block]
    assert machine.counters["block_untimely"] == 1
