"""The full re-verification of a book beside the node (runtime/background_verify.py): what it
finds, that it changes nothing, its CPU share, and that it dies with the node."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import psutil
import pytest

from chainbook.crypto import PrivateKey
from chainbook.ledger.genesis import dump_genesis
from chainbook.runtime.background_verify import (
    PACING_WINDOW_S,
    BackgroundVerification,
    CpuPacer,
    compute_pause_s,
    verify_book,
)
from chainbook.storage import SqliteBlockStore
from chainbook.testnet.synthetic_book import write_blocks
from tests.support import make_genesis

KEYS = [PrivateKey.from_label(f"bg-verify-{i}") for i in range(4)]
GENESIS = make_genesis(validators=KEYS)


BOOK_BLOCKS = 600


@pytest.fixture(scope="module")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    book = tmp_path_factory.mktemp("book") / "book.sqlite"
    with SqliteBlockStore(book) as store:
        write_blocks(store, GENESIS, {k.address: k for k in KEYS}, BOOK_BLOCKS)
    return book


@pytest.fixture
def book(built_book: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the module's book (blocks 1..BOOK_BLOCKS) and its genesis file."""
    copy, genesis_file = tmp_path / "book.sqlite", tmp_path / "genesis.json"
    shutil.copy(built_book, copy)
    genesis_file.write_bytes(dump_genesis(GENESIS))
    return copy, genesis_file


def tamper_block(book: Path, height: int) -> None:
    db = sqlite3.connect(book)
    with db:
        row = db.execute("SELECT block FROM blocks WHERE height = ?", (height,)).fetchone()
        blob = bytearray(row[0])
        blob[-3] ^= 0x01
        db.execute("UPDATE blocks SET block = ? WHERE height = ?", (bytes(blob), height))
    db.close()


def child_command(book: Path, genesis_file: Path, share: float, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "chainbook.runtime.background_verify",
        "--book", str(book), "--genesis", str(genesis_file), "--cpu-share", str(share), *extra,
    ]  # fmt: skip


# --- pacing -------------------------------------------------------------------------------------


def test_the_pause_keeps_cpu_within_its_share_of_wall_time() -> None:
    assert compute_pause_s(cpu_used_s=1.0, wall_elapsed_s=1.0, cpu_share=0.25) == 3.0
    assert compute_pause_s(cpu_used_s=1.0, wall_elapsed_s=4.0, cpu_share=0.25) == 0.0
    assert compute_pause_s(cpu_used_s=0.0, wall_elapsed_s=0.0, cpu_share=1.0) == 0.0


def test_the_pacer_sleeps_off_each_units_cpu_and_starts_fresh_windows() -> None:
    clock = {"cpu": 0.0, "wall": 0.0}

    def sleep(seconds: float) -> None:
        clock["wall"] += seconds

    pacer = CpuPacer(
        0.2, cpu_clock=lambda: clock["cpu"], wall_clock=lambda: clock["wall"], sleep=sleep
    )
    for _ in range(1_000):  # 10 ms of CPU per block, all of it on the wall clock too
        clock["cpu"] += 0.01
        clock["wall"] += 0.01
        pacer()
    assert clock["cpu"] / clock["wall"] == pytest.approx(0.2, rel=0.01)
    # An idle spell longer than a window does not buy a burst of full-speed work after it.
    clock["wall"] += 10 * PACING_WINDOW_S
    pacer()
    slept = pacer.slept_s
    clock["cpu"] += 0.5
    clock["wall"] += 0.5
    pacer()
    assert pacer.slept_s - slept == pytest.approx(0.5 / 0.2 - 0.5, rel=0.05)


# --- what it finds --------------------------------------------------------------------------------


def test_a_clean_book_verifies_and_nothing_is_written(book: tuple[Path, Path]) -> None:
    path, _ = book
    before = path.read_bytes()
    with SqliteBlockStore(path, read_only=True) as store:
        report = verify_book(store, GENESIS)
    assert report.corrupt_height is None and report.height == BOOK_BLOCKS
    assert report.state_table_matches is True
    assert path.read_bytes() == before


def test_damage_deep_in_the_book_is_found(book: tuple[Path, Path]) -> None:
    path, _ = book
    tamper_block(path, 37)
    with SqliteBlockStore(path, read_only=True) as store:
        report = verify_book(store, GENESIS)
    assert report.corrupt_height == 37 and "block 37" in report.reason


def test_an_edited_state_table_is_found(book: tuple[Path, Path]) -> None:
    path, _ = book
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE state SET value = x'00' WHERE key = (SELECT min(key) FROM state)")
    db.close()
    with SqliteBlockStore(path, read_only=True) as store:
        report = verify_book(store, GENESIS)
    assert report.corrupt_height is None and report.state_table_matches is False


# --- the child process ----------------------------------------------------------------------------


def test_the_node_side_runs_the_child_and_gets_its_report(book: tuple[Path, Path]) -> None:
    path, genesis_file = book
    tamper_block(path, 411)
    verification = BackgroundVerification(
        path, genesis_file, cpu_share=1.0, interval_s=3600, on_report=lambda r: None
    )
    report = asyncio.run(verification.run_once())
    assert report is not None and report.corrupt_height == 411


def test_the_child_stays_within_its_cpu_share(book: tuple[Path, Path]) -> None:
    """Judged over the paced walk, from its first progress line to its exit: interpreter
    start-up runs before any pacing, and on a loaded machine it alone can exceed the share."""
    path, genesis_file = book
    share = 0.3
    child = psutil.Popen(child_command(path, genesis_file, share), stdout=subprocess.PIPE)
    assert child.stdout is not None
    first = json.loads(child.stdout.readline())
    assert "progress" in first, first
    times = child.cpu_times()
    cpu_start, wall_start = times.user + times.system, time.monotonic()
    cpu = cpu_start
    while child.poll() is None:
        times = child.cpu_times()
        cpu = times.user + times.system
        time.sleep(0.05)
    wall = time.monotonic() - wall_start
    assert child.returncode == 0
    lines = [json.loads(line) for line in child.stdout.read().splitlines()]
    assert lines[-1]["report"]["corrupt_height"] is None
    walk_cpu = cpu - cpu_start
    assert walk_cpu > 0.2, f"the walk took {walk_cpu:.2f} s of CPU: too little to judge the share"
    assert walk_cpu / wall <= share + 0.05, f"{walk_cpu:.2f} s of CPU in {wall:.2f} s"


def test_the_child_exits_when_the_node_that_started_it_is_gone(book: tuple[Path, Path]) -> None:
    path, genesis_file = book
    command = child_command(path, genesis_file, 0.02)  # ~20 ms asleep per block read
    starter = (
        "import subprocess, sys, os\n"
        f"command = {command!r} + ['--parent-pid', str(os.getpid())]\n"
        "child = subprocess.Popen(command, stdout=subprocess.DEVNULL)\n"
        "print(child.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", starter], capture_output=True, check=True)
    orphan = psutil.Process(int(out.stdout))
    try:
        orphan.wait(timeout=20)
    except psutil.TimeoutExpired:
        orphan.kill()
        pytest.fail("the verifier outlived the process that started it")


def test_blocks_the_node_prunes_during_the_walk_are_not_taken_for_damage(
    book: tuple[Path, Path],
) -> None:
    path, _ = book
    with SqliteBlockStore(path) as node_store, SqliteBlockStore(path, read_only=True) as reader:
        reads = 0

        def prune_meanwhile() -> None:
            nonlocal reads
            reads += 1
            if reads == 50:  # the walk is at block 50: the node prunes below 300
                node_store.prune_blocks(300, blocks_max=1_000)

        report = verify_book(reader, GENESIS, pace=prune_meanwhile)
    assert report.corrupt_height is None and report.pruned_below == 300


def test_a_node_prunes_a_batch_after_each_commit(tmp_path: Path) -> None:
    from chainbook import testnet
    from chainbook.ledger.genesis import load_genesis
    from chainbook.runtime.config import write_config
    from chainbook.runtime.node import Node
    from chainbook.storage import PRUNE_BLOCKS_PER_CALL_MAX
    from chainbook.testnet.synthetic_book import validator_keys

    net = testnet.init_testnet(tmp_path / "net", validators=1, seed="synthetic")
    home = net.home("node0")
    genesis = load_genesis(home.genesis_path.read_bytes())
    with SqliteBlockStore(home.book_path) as store:
        write_blocks(store, genesis, validator_keys(net), 1_700)
    config = home.load_config()
    write_config(home.config_path, msgspec.structs.replace(config, prune_keep_blocks=1_000))
    node = Node(home)
    try:
        node._prune_old_blocks(1_700)
        assert node.store.load_pruned_below() == 1 + PRUNE_BLOCKS_PER_CALL_MAX
        node._prune_old_blocks(1_700)
        assert node.store.load_pruned_below() == 701, "the last 1,000 blocks stay whole"
        assert node.store.load_block(700) is None and node.store.load_block(701) is not None
    finally:
        node.store.close()
