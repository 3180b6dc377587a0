"""`chainbook bench stages`: the CPU one node spends per transaction in each ledger stage.

The network benchmarks measure a node as a whole (API, gossip, TLS, consensus, workers) on a
machine its peers share, so their profiles are wall-clock samples that scheduling blurs. This
runs the ledger pipeline of one node in one process, with no network and no other process,
and times each stage in CPU seconds (time.process_time) over real signed transfers of the
benchmark's size:

    signature   what a signature worker does per tx (decode + Ed25519 verify)
    decode      the node decoding a tx a worker accepted (decode_tx with its known hash)
    admit       Mempool.add: nonce, speculative execution, sender queue
    propose     NodeLedger.build_block: reap + execute (the proposer)
    gossip      encode_block + decode_block: a proposal sent and received
    validate    NodeLedger.verify_block on a validator holding the txs (no signature
                re-check: they were admitted)
    state_tree  NodeLedger.compute_state_tree_for: the state tree's batch update for the
                decided block (the node core runs it while the commit timeout runs)
    store       SqliteBlockStore.save_block in a temporary file (fsync included; no state
                checkpoint in the measured blocks)
    commit      NodeLedger.commit + Mempool.update_after_commit (the node core does both
                once the block is saved)

A node proposes a block or validates it, not both: `cpu_us_per_tx_validator` adds up the
stages of a validator (all but propose), what most blocks cost a node. What is not here (the
difference to a node's measured CPU per tx): HTTP, TLS and framing, consensus messages and
their signatures, the event loop, the worker pipes.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chainbook.apps.bank import BankGenesis, GenesisAccount
from chainbook.bench.hardware import describe_machine
from chainbook.bench.workload import TX_BYTES_DEFAULT, bench_key, sign_transfers
from chainbook.chain.block import decode_block, encode_block
from chainbook.chain.commit import Vote, VoteType, make_commit, sign_vote
from chainbook.chain.genesis import Genesis, GenesisValidator
from chainbook.chain.tx import decode_tx, tx_hash
from chainbook.core.boot import boot_core
from chainbook.core.node import CoreSettings, NodeCore
from chainbook.crypto import PrivateKey
from chainbook.ledger.genesis import make_genesis
from chainbook.ledger.state import LedgerState
from chainbook.runtime.verifier import signature_flags
from chainbook.storage import MemoryBlockStore, SqliteBlockStore

STAGES = (
    "signature", "decode", "admit", "propose", "gossip", "validate", "state_tree", "store",
    "commit",
)
CHAIN_ID = "bench-stages"
GENESIS_TIME_MS = 1_700_000_000_000


VALIDATOR_KEY = PrivateKey.from_label("bench-stages-validator")


def stages_genesis(accounts: int) -> Genesis:
    bank = BankGenesis(
        accounts=[GenesisAccount(bench_key(i).address.hex(), 100_000_000) for i in range(accounts)]
    )
    return make_genesis(
        chain_id=CHAIN_ID,
        genesis_time_ms=GENESIS_TIME_MS,
        validators=[GenesisValidator("v0", VALIDATOR_KEY.public_key.hex(), 1)],
        app_state={"bank": bank},
    )


def run_stages(
    blocks: int = 5, txs_per_block: int = 3000, accounts: int = 2000,
    tx_bytes: int = TX_BYTES_DEFAULT,
) -> dict[str, Any]:
    """Time every stage over `blocks` blocks of `txs_per_block` transfers each."""
    genesis = stages_genesis(accounts)
    signed = sign_transfers(CHAIN_ID, blocks * txs_per_block, 0, accounts, accounts, tx_bytes)
    proposer_node, validator_node = _new_node(genesis), _new_node(genesis)
    proposer, validator = proposer_node.ledger, validator_node.ledger
    validators = proposer.get_validators(1)
    cpu_s: dict[str, list[float]] = {stage: [] for stage in STAGES}

    @contextmanager
    def timed(stage: str) -> Iterator[None]:
        start = time.process_time()
        yield
        cpu_s[stage].append(time.process_time() - start)

    with tempfile.TemporaryDirectory(prefix="chainbook-stages-") as folder:
        store = SqliteBlockStore(Path(folder) / "book.sqlite")
        genesis_state = LedgerState.from_genesis(genesis)
        store.replace_state(dict(genesis_state.kv), 0, genesis_state.app_hash)
        try:
            for height in range(1, blocks + 1):
                txs = signed.txs[(height - 1) * txs_per_block : height * txs_per_block]
                hashes = [tx_hash(tx) for tx in txs]
                with timed("signature"):
                    signature_flags(txs)
                with timed("decode"):
                    decoded = [decode_tx(t, hash_=h) for t, h in zip(txs, hashes, strict=True)]
                with timed("admit"):
                    for tx, verified in zip(txs, decoded, strict=True):
                        proposer_node.mempool.add(tx, verified)
                for tx, verified in zip(txs, decoded, strict=True):  # untimed: its own admission
                    validator_node.mempool.add(tx, verified)
                last_commit = store.load_commit(height - 1) if height > 1 else None
                with timed("propose"):
                    block = proposer.build_block(
                        height, GENESIS_TIME_MS + height * 1000, VALIDATOR_KEY.address, last_commit
                    )
                with timed("gossip"):
                    received = decode_block(encode_block(block))
                with timed("validate"):
                    validator.verify_block(received)
                result = proposer.result_for(block)
                vote = Vote(VoteType.PRECOMMIT, height, 0, block.hash)
                commit = make_commit(validators, [sign_vote(VALIDATOR_KEY, CHAIN_ID, vote)])
                with timed("state_tree"):
                    tree = proposer.compute_state_tree_for(block, result)
                with timed("store"):
                    store.save_block(
                        encode_block(block), block, commit, result.receipts, None, tree.root
                    )
                with timed("commit"):
                    proposer.commit(block, result)
                    proposer_node.mempool.update_after_commit(
                        block.tx_hashes, proposer.state, result.changes.keys()
                    )
                validated = validator.result_for(received)
                validator.commit(received, validated)
                validator_node.mempool.update_after_commit(
                    received.tx_hashes, validator.state, validated.changes.keys()
                )
        finally:
            store.close()
    txs_total = blocks * txs_per_block
    per_tx = {stage: round(sum(times) / txs_total * 1e6, 2) for stage, times in cpu_s.items()}
    return {
        "scenario": "stages",
        "config": {
            "blocks": blocks,
            "txs_per_block": txs_per_block,
            "accounts": accounts,
            "tx_bytes_measured": round(statistics.mean(map(len, signed.txs)), 1),
            "timer": "time.process_time (CPU of this process)",
            "machine": describe_machine(),
        },
        "cpu_us_per_tx": per_tx,
        "cpu_us_per_tx_validator": round(
            sum(us for stage, us in per_tx.items() if stage != "propose"), 2
        ),
    }


def _new_node(genesis: Genesis) -> NodeCore:
    """A node at genesis, assembled as every node is (core/boot.py), on an in-memory book."""
    booted = boot_core(
        genesis=genesis,
        key=VALIDATOR_KEY,
        store=MemoryBlockStore(),
        record=None,
        settings=CoreSettings(),
    )
    return booted.core


__all__ = ["STAGES", "run_stages", "stages_genesis"]
