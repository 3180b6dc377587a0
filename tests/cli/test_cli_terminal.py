"""The CLI in an 80-column terminal: every table's lines fit, and the values that matter
(hashes, addresses, API URLs, heights) appear whole; `--json` on every read command gives
one JSON document; `send --wait` on a chain that commits nothing says so and exits 1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx
from chainbook.cli.main import app
from chainbook.keyfile import write_key_file
from chainbook.testnet import load_testnet
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode

COLUMNS = 80


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(COLUMNS)})
    return result.exit_code, result.output


def assert_fits(output: str, *whole: str) -> None:
    for line in output.splitlines():
        assert len(line.rstrip()) <= COLUMNS, f"{len(line.rstrip())} columns: {line!r}"
        assert "…" not in line, f"cut off: {line!r}"
    flat = output.replace("\n", " ")
    for value in whole:
        assert re.search(rf"(?<![0-9a-f]){re.escape(value)}(?![0-9a-f])", flat), value


@pytest.fixture
def chain(served_node: tuple[FakeNode, str]) -> tuple[FakeNode, str, str]:
    node, url = served_node
    node.submit_tx(sign_tx(ALICE, CHAIN_ID, 0, Transfer(to=BOB.address, amount=5, memo="hi")))
    block = node.commit_pending()
    return node, url, block.tx_hashes[0].hex()


def test_node_reads_fit_80_columns(chain: tuple[FakeNode, str, str]) -> None:
    node, url, tx_hash = chain
    block = node.blocks[1]
    code, out = run("status", "--node", url)
    assert code == 0
    assert_fits(out, node.state.app_hash.hex(), block.hash.hex(), node.genesis.hash.hex())
    code, out = run("tx", tx_hash, "--node", url)
    assert code == 0
    assert_fits(out, tx_hash, ALICE.address.hex(), BOB.address.hex())
    code, out = run("block", "1", "--node", url)
    assert code == 0
    assert_fits(out, block.hash.hex(), tx_hash, block.header.txs_root.hex())
    code, out = run("account", BOB.address.hex(), "--node", url)
    assert code == 0
    assert_fits(out, BOB.address.hex())


def test_keys_and_testnet_tables_fit_80_columns(tmp_path: Path) -> None:
    key = write_key_file(tmp_path / "k.json", ALICE)
    code, out = run("keys", "show", str(key))
    assert code == 0
    assert_fits(out, ALICE.address.hex(), ALICE.public_key.hex())
    code, out = run("testnet", "init", "--dir", str(tmp_path / "net"), "--seed", "t")
    assert code == 0, out
    net = load_testnet(tmp_path / "net")
    assert_fits(out, *[n.api_url for n in net.nodes], *[n.address for n in net.nodes],
                *[a.address for a in net.accounts])
    code, out = run("testnet", "status", "--dir", str(tmp_path / "net"))
    assert code == 0
    assert_fits(out, *[n.api_url for n in net.nodes])
    assert "Connection refused" in out or "unreachable" in out


def test_bench_table_fits_80_columns() -> None:
    from rich.console import Console

    from chainbook.bench.report import steps_table

    step = {
        "offered_tps": 3500.0, "committed_tps": 3412.25, "cpu_us_per_tx_per_node": {"a": 135.2},
        "latency_s": {"p50": 0.123, "p95": 0.25, "p99": 0.371}, "block_time_s_mean": 1.02,
        "txs_per_block_mean": 3421.5, "bytes_on_disk_per_tx": 272.5, "refused": {"x": 0},
        "all_committed": True,
    }
    console = Console(width=COLUMNS, record=True)
    console.print(steps_table("run", [step]))
    assert_fits(console.export_text(), "3,412", "0.371", "135.2", "272.5")


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["block", "1"],
        ["account", BOB.address.hex()],
        ["bank", "balance", "--address", BOB.address.hex()],
    ],
)
def test_read_commands_have_json(chain: tuple[FakeNode, str, str], command: list[str]) -> None:
    _, url, _ = chain
    code, out = run(*command, "--node", url, "--json")
    assert code == 0, out
    assert isinstance(json.loads(out), dict)


def test_tx_json_carries_the_decoded_fields(chain: tuple[FakeNode, str, str]) -> None:
    _, url, tx_hash = chain
    code, out = run("tx", tx_hash, "--node", url, "--json")
    assert code == 0
    assert json.loads(out)["decoded"]["fields"]["memo"] == "hi"


def test_local_read_commands_have_json(tmp_path: Path) -> None:
    key = write_key_file(tmp_path / "k.json", ALICE)
    code, out = run("keys", "show", str(key), "--json")
    assert code == 0 and json.loads(out)["address"] == ALICE.address.hex()
    code, out = run("testnet", "init", "--dir", str(tmp_path / "net"), "--json", "--seed", "j")
    assert code == 0 and len(json.loads(out)["nodes"]) == 4
    code, out = run("testnet", "status", "--dir", str(tmp_path / "net"), "--json")
    assert code == 0 and [n["alive"] for n in json.loads(out)] == [False] * 4


def test_send_wait_on_a_halted_chain_says_it_is_not_committing(
    served_node: tuple[FakeNode, str], tmp_path: Path
) -> None:
    node, url = served_node
    node.auto_commit = False  # nothing is ever committed
    key = write_key_file(tmp_path / "alice.json", ALICE)
    code, out = run(
        "send", "--key", str(key), "--to", BOB.address.hex(), "--amount", "1",
        "--node", url, "--wait", "--timeout", "0.2",
    )
    assert code == 1
    assert "not committing" in out and "height 0" in out


def test_send_wait_json_gives_the_receipt(
    served_node: tuple[FakeNode, str], tmp_path: Path
) -> None:
    _, url = served_node
    key = write_key_file(tmp_path / "alice.json", ALICE)
    code, out = run(
        "send", "--key", str(key), "--to", BOB.address.hex(), "--amount", "1",
        "--node", url, "--wait", "--json",
    )
    assert code == 0, out
    answer = json.loads(out.splitlines()[-1])
    assert answer["status"] == "committed" and answer["receipt"]["ok"] is True


def test_sync_progress_follows_the_new_node_to_the_others_height(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from types import SimpleNamespace

    from chainbook import testnet
    from chainbook.cli import testnet as cli_testnet

    nodes = [SimpleNamespace(name=n) for n in ("node0", "node1", "node4")]
    monkeypatch.setattr(testnet, "load_testnet", lambda root: SimpleNamespace(nodes=nodes))
    monkeypatch.setattr(testnet, "get_heights", lambda root, names: {"node0": 9, "node1": 12})
    seen: list[int] = []

    def wait_until_height(root: Path, height: int, names: list[str], timeout_s: float,
                          on_progress: object) -> dict[str, int]:
        assert (height, names) == (12, ["node4"])
        for reached in (3, 8, 12):
            on_progress({"node4": SimpleNamespace(height=reached)})  # type: ignore[operator]
            seen.append(reached)
        return {"node4": 12}

    monkeypatch.setattr(testnet, "wait_until_height", wait_until_height)
    cli_testnet.show_sync(tmp_path, "node4", 5.0)
    assert seen == [3, 8, 12]
    assert "node4: synced to height 12" in capsys.readouterr().out
