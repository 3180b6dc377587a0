"""Byzantine behaviours of a real node process (test code only; tests/chaos/node_entry.py).

Each behaviour takes a built runtime Node, patches its core or its node ledger on the
instance (the production classes are unchanged), and returns the coroutine to run. It signs only
with the node's own key: a Byzantine validator holds its key, not anyone else's.

    double_sign        every vote this validator signs is followed by a conflicting vote of
                       the same type, height and round (nil <-> a block), signed outside the
                       machine's never-double-sign guard, to every peer.
                       Expected: honest nodes log `equivocation_evidence` naming it; safety
                       and liveness hold (it has 1/4 of the power).
    invalid_proposal   every block it proposes carries a wrong app hash (a state after the
                       block that execution does not give), validly signed.
                       Expected: honest nodes refuse it (block_invalid), prevote nil, and the
                       round moves on to the next proposer; no such block is ever committed.
    junk               it announces a height of 10^9, answers every sync request with an empty
                       response, and sends votes with broken signatures, all over its valid
                       TLS certificate. Expected: each honest core counts the faults and bans
                       it (core/node.py, `peer_banned` in the log; the transport refuses it).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec

from chainbook.chain.block import Block
from chainbook.chain.commit import NIL, Vote, VoteType, sign_vote
from chainbook.consensus.messages import VoteMessage
from chainbook.core.inputs import PeerId
from chainbook.core.wire import StatusMessage, SyncRequest, SyncResponse, WireMessage
from chainbook.core.wire import encode_message as encode
from chainbook.runtime.node import Node
from chainbook.types import Address, Height, TimeMs

log = logging.getLogger("chainbook.byzantine")

JUNK_INTERVAL_S = 0.05
LIED_HEIGHT = 10**9
Run = Coroutine[Any, Any, None]


def double_sign(node: Node) -> Run:
    core = node.core
    honest_broadcast = core._broadcast
    address = node.key.address

    def broadcast_and_equivocate(message: WireMessage) -> None:
        honest_broadcast(message)
        if isinstance(message, VoteMessage) and message.vote.validator == address:
            vote = message.vote.vote
            other = hashlib.sha256(b"conflict" + vote.block_hash).digest()
            conflict = Vote(vote.type, vote.height, vote.round, NIL if vote.block_hash else other)
            honest_broadcast(VoteMessage(vote=sign_vote(node.key, node.chain_id, conflict)))
            log.warning("byzantine_double_signed", extra={"height": vote.height})

    core._broadcast = broadcast_and_equivocate  # type: ignore[method-assign]
    return node.run()


def invalid_proposal(node: Node) -> Run:
    app = node.core.ledger
    honest_build = app.build_block

    def build_invalid_block(
        height: Height, now_ms: TimeMs, proposer: Address, last_commit: Any
    ) -> Block:
        block = honest_build(height, now_ms, proposer, last_commit)
        lie = hashlib.sha256(b"not the state after this block" + block.header.app_hash).digest()
        log.warning("byzantine_invalid_proposal", extra={"height": height})
        return msgspec.structs.replace(
            block, header=msgspec.structs.replace(block.header, app_hash=lie)
        )

    app.build_block = build_invalid_block  # type: ignore[method-assign]
    return node.run()


def junk(node: Node) -> Run:
    core = node.core
    honest_dispatch = core._dispatch

    def answer_sync_with_nothing(peer_id: PeerId, message: WireMessage) -> None:
        if isinstance(message, SyncRequest):
            core._send(peer_id, SyncResponse(blocks=[]))
            return
        honest_dispatch(peer_id, message)

    core._dispatch = answer_sync_with_nothing  # type: ignore[method-assign]

    async def run() -> None:
        sender = asyncio.create_task(_send_junk(node))
        try:
            await node.run()
        finally:
            sender.cancel()

    return run()


async def _send_junk(node: Node) -> None:
    round_ = 0
    while True:
        await asyncio.sleep(JUNK_INTERVAL_S)
        transport = node.transport
        if transport is None:
            continue
        height = node.core.machine.height
        vote = sign_vote(node.key, node.chain_id, Vote(VoteType.PREVOTE, height, round_ % 50, NIL))
        broken = msgspec.structs.replace(vote, signature=bytes(64))
        transport.broadcast(encode(VoteMessage(vote=broken)))
        transport.broadcast(encode(StatusMessage(height=LIED_HEIGHT)))
        round_ += 1


BEHAVIOURS: dict[str, Callable[[Node], Run]] = {
    "double_sign": double_sign,
    "invalid_proposal": invalid_proposal,
    "junk": junk,
}

__all__ = ["BEHAVIOURS", "LIED_HEIGHT"]
