"""`chainbook bench statesync --txs N`: how long a new node takes to join by state sync.

1. A synthetic chain of N real signed transfers, each to a new account (testnet/synthetic_book.py:
   blocks executed by the ledger, commits signed by the seeded validators, the state after the
   last block written as the checkpoint and as a state snapshot), copied into the books of the
   4 validators of a seeded testnet, which serve snapshots (snapshot_interval_blocks set, so
   their snapshot store is open; the interval is long enough that none is taken meanwhile).
2. The validators start (each loads the state of N accounts) and commit a block or two past the
   synthetic history, so header C + 1, which proves the snapshot, exists.
3. A fifth node with an empty book and `state_sync = true` starts; measured from the moment its
   process is started: when it logged each state sync step (offer chosen, proof verified, state
   verified, restored into its book), and when its API reports the validators' height (it has
   block-synced from C + 1 to the head and serves requests).

Everything is on one machine (2 cores on the development machine): the validators keep
committing while the joiner works. The report goes to --out as JSON and to the console.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from chainbook import testnet
from chainbook.runtime.config import write_config
from chainbook.storage import FRESH_RECORD, FileConsensusRecordStore, consensus_record_path
from chainbook.testnet.layout import save_testnet
from chainbook.testnet.synthetic_book import build_synthetic_testnet

VALIDATORS = ("node0", "node1", "node2", "node3")
SERVE_INTERVAL_BLOCKS = 1_000_000
"""Serving nodes keep the synthetic snapshot; none of their own is due during the run."""
START_TIMEOUT_S = 300.0
JOIN_TIMEOUT_S = 600.0
STEPS = (
    "state_sync_started",
    "state_sync_offer_chosen",
    "state_sync_proof_verified",
    "state_sync_verified",
    "state_sync_restored",
)


def prepare(root: Path, txs: int, base_port: int) -> tuple[int, float]:
    """The synthetic chain in every validator's book; (its height, seconds to build it)."""
    started = time.monotonic()
    net, source = build_synthetic_testnet(
        root,
        0,
        txs=txs,
        on_progress=lambda h: print(f"  block {h}", flush=True),
        base_port=base_port,
    )
    source_home = net.home(source.name)
    for name in VALIDATORS:
        home = net.home(name)
        shutil.copy2(source_home.book_path, home.book_path)
        # The synthetic commits were signed offline with the seeded keys, at heights up to C;
        # the validator process itself never signed, so it starts with a fresh record and
        # signs from C + 1 on (storage/consensus_record.py's signing rule).
        FileConsensusRecordStore(consensus_record_path(home.root)).save(FRESH_RECORD)
        shutil.copytree(source_home.data_dir / "snapshots", home.data_dir / "snapshots")
        # No transaction index on the validators: building one from the synthetic history
        # would replay it at their start, which is not what is measured.
        config = msgspec.structs.replace(
            home.load_config(), snapshot_interval_blocks=SERVE_INTERVAL_BLOCKS, index="off"
        )
        write_config(home.config_path, config)
    height = int(next((source_home.data_dir / "snapshots").iterdir()).name)
    return height, time.monotonic() - started


def _reuse(root: Path) -> int:
    """The height of a chain `prepare` built in `root` before (--dir D --keep); a joiner added
    by an earlier run is removed from the testnet's list first."""
    net = testnet.load_testnet(root)
    extra = [e for e in net.nodes if e.name not in (*VALIDATORS, "node4")]
    if extra:
        net.nodes = [e for e in net.nodes if e not in extra]
        save_testnet(net)
        for entry in extra:
            shutil.rmtree(root / entry.name, ignore_errors=True)
    return int(next((root / "node4" / "data" / "snapshots").iterdir()).name)


def _log_times(log_path: Path) -> dict[str, int]:
    """The first ts_ms of each event of the joiner's log."""
    times: dict[str, int] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        times.setdefault(str(entry.get("event")), int(entry.get("ts_ms", 0)))
    return times


BASE_PORT_DEFAULT = 36_600
"""Away from the testnets' default ports: building a large chain takes minutes, during which
another testnet on the machine would take the first free block of ports."""


def run_statesync(
    txs: int, root: Path | None, out: Path, keep: bool, base_port: int = BASE_PORT_DEFAULT
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="chainbook-statesync-")) if root is None else root
    try:
        if (folder / "node0" / "data" / "snapshots").is_dir():
            print(f"reusing the chain already built in {folder}", flush=True)
            height, build_s = _reuse(folder), 0.0
        else:
            print(f"building a chain of {txs:,} transfers in {folder}", flush=True)
            height, build_s = prepare(folder, txs, base_port)
        testnet.up(folder, list(VALIDATORS))
        testnet.wait_until_ready(folder, list(VALIDATORS), timeout_s=START_TIMEOUT_S)
        testnet.wait_until_height(folder, height + 2, list(VALIDATORS), timeout_s=START_TIMEOUT_S)
        joiner = testnet.add_node(folder)
        home = testnet.load_testnet(folder).home(joiner.name)
        peers = [e.p2p_address for e in testnet.load_testnet(folder).nodes if e.name in VALIDATORS]
        config = msgspec.structs.replace(home.load_config(), state_sync=True, peers=peers)
        write_config(home.config_path, config)
        print(f"validators at {height + 2}+; starting {joiner.name} by state sync", flush=True)
        started_ms = int(time.time() * 1000)
        started = time.monotonic()
        testnet.up(folder, [joiner.name])

        def joined(rows: dict[str, Any]) -> bool:
            heights = [r.height for r in rows.values()]
            return None not in heights and heights[-1] >= max(heights[:-1])

        testnet.wait_until(
            folder, joined, "the joiner reaches the head", [*VALIDATORS, joiner.name],
            timeout_s=JOIN_TIMEOUT_S,
        )  # fmt: skip
        join_s = time.monotonic() - started
        head = testnet.get_heights(folder, [joiner.name])[joiner.name]
        times = _log_times(home.log_path)
        steps = {s: (times[s] - started_ms) / 1000 for s in STEPS if s in times}
        result: dict[str, Any] = {
            "scenario": "statesync",
            "txs": txs,
            "snapshot_height": height,
            "build_s": round(build_s, 1),
            "join_s": round(join_s, 2),
            "head_height": head,
            "steps_s_after_start": {k: round(v, 2) for k, v in steps.items()},
            "book_bytes": sum(
                p.stat().st_size for p in home.data_dir.glob("book.sqlite*") if p.is_file()
            ),
        }
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"statesync-{txs}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        result["file"] = str(path)
        return result
    finally:
        testnet.down(folder)
        if root is None and not keep:
            shutil.rmtree(folder, ignore_errors=True)


__all__ = ["run_statesync"]
