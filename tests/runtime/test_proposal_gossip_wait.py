"""A proposal that carries transactions of the gossip batch being checked waits for that
batch instead of having block validation check those signatures again (node/runtime.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from chainbook.runtime.node import Node
from chainbook.testnet import init_testnet


def make_node(tmp_path: Path) -> tuple[Node, list[Any]]:
    testnet = init_testnet(tmp_path / "net", validators=1, seed="proposal-wait")
    node = Node(testnet.home(testnet.nodes[0].name))
    stepped: list[Any] = []
    node._step = stepped.append  # type: ignore[method-assign,assignment]  # record, not decide
    return node, stepped


def proposal_block(node: Node, hashes: list[bytes]) -> Any:
    return SimpleNamespace(height=node.machine.height, tx_hashes=hashes, txs=[b""] * len(hashes))


def test_a_proposal_with_txs_of_the_batch_in_the_workers_waits_for_it(tmp_path: Path) -> None:
    node, stepped = make_node(tmp_path)

    async def run() -> None:
        batch_done = asyncio.Event()
        node._gossip_checking = (frozenset({b"h-in-batch"}), batch_done)
        node._receive_proposal("proposal", proposal_block(node, [b"h-other", b"h-in-batch"]))  # type: ignore[arg-type]
        for _ in range(3):
            await asyncio.sleep(0)
        assert stepped == [], "handed to consensus while its txs were still being checked"
        batch_done.set()
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(stepped) == 1 and stepped[0].proposal == "proposal"

    asyncio.run(run())
    node.store.close()


def test_a_proposal_with_no_tx_of_that_batch_goes_straight_to_consensus(tmp_path: Path) -> None:
    node, stepped = make_node(tmp_path)

    async def run() -> None:
        node._gossip_checking = (frozenset({b"h-in-batch"}), asyncio.Event())
        node._receive_proposal("proposal", proposal_block(node, [b"h-other"]))  # type: ignore[arg-type]
        assert len(stepped) == 1  # synchronously

    asyncio.run(run())
    node.store.close()
