"""`send`, `status`, `account`, `tx --verify`, `block` through real HTTP to a fake node, and the
error messages and exit codes of user mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx
from chainbook.cli.main import app
from chainbook.keyfile import write_key_file
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode

WIDE = 250


@pytest.fixture
def alice_key(tmp_path: Path) -> Path:
    return write_key_file(tmp_path / "alice.json", ALICE)


def invoke(runner: CliRunner, *args: str) -> object:
    return runner.invoke(app, list(args), env={"COLUMNS": str(WIDE)})


def test_send_of_more_than_the_balance_is_refused_by_the_node(
    runner: CliRunner, served_node: tuple[FakeNode, str], alice_key: Path
) -> None:
    _, url = served_node
    args = ["send", "--key", str(alice_key), "--to", BOB.address.hex(), "--amount", "9999999"]
    result = invoke(runner, *args, "--node", url, "--wait")
    assert result.exit_code == 2, result.output  # the mempool refuses the overdraft
    assert "insufficient funds" in result.output and "bank.insufficient_funds" in result.output


def test_send_with_wait_shows_the_receipt(
    runner: CliRunner, served_node: tuple[FakeNode, str], alice_key: Path
) -> None:
    node, url = served_node
    result = invoke(
        runner, "send", "--key", str(alice_key), "--to", BOB.address.hex(),
        "--amount", "250000", "--node", url, "--wait",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "committed" in result.output and "0.25 CBK" in result.output
    assert node.balance(BOB.address) == 250_000


def test_send_without_wait_is_pending(
    runner: CliRunner, served_node: tuple[FakeNode, str], alice_key: Path
) -> None:
    node, url = served_node
    args = ["send", "--key", str(alice_key), "--to", BOB.address.hex(), "--amount", "1"]
    result = invoke(runner, *args, "--node", url)
    assert result.exit_code == 0 and "pending" in result.output
    assert len(node.mempool) == 1


def test_send_refused_by_the_node_exits_2(
    runner: CliRunner, served_node: tuple[FakeNode, str], alice_key: Path
) -> None:
    node, url = served_node
    node.mempool_full = True
    args = ["send", "--key", str(alice_key), "--to", BOB.address.hex(), "--amount", "1"]
    result = invoke(runner, *args, "--node", url)
    assert result.exit_code == 2
    assert "mempool_full" in result.output and "Traceback" not in result.output


def test_send_bad_recipient_names_it(runner: CliRunner, alice_key: Path) -> None:
    result = invoke(runner, "send", "--key", str(alice_key), "--to", "bob", "--amount", "1")
    assert result.exit_code == 1 and "'bob'" in result.output


def test_send_zero_amount_is_refused(runner: CliRunner, alice_key: Path) -> None:
    args = ["send", "--key", str(alice_key), "--to", BOB.address.hex(), "--amount", "0"]
    result = invoke(runner, *args)
    assert result.exit_code == 2 and "--amount" in result.output


def test_send_with_a_missing_key_file(runner: CliRunner, tmp_path: Path) -> None:
    args = ["send", "--key", str(tmp_path / "x.json"), "--to", BOB.address.hex(), "--amount", "1"]
    result = invoke(runner, *args, "--node", "http://127.0.0.1:1")
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_status_account_block_and_tx_verify(
    runner: CliRunner, served_node: tuple[FakeNode, str]
) -> None:
    node, url = served_node
    tx = sign_tx(ALICE, CHAIN_ID, 0, Transfer(to=BOB.address, amount=7))
    decoded = node.submit_tx(tx)
    node.commit_pending()

    status = invoke(runner, "status", "--node", url)
    assert status.exit_code == 0 and CHAIN_ID in status.output and "book repairs" in status.output

    account = invoke(runner, "account", BOB.address.hex(), "--node", url)
    assert account.exit_code == 0 and "0.000007 CBK" in account.output

    block = invoke(runner, "block", "1", "--node", url)
    assert block.exit_code == 0 and decoded.hash.hex() in block.output

    shown = invoke(runner, "tx", decoded.hash.hex(), "--verify", "--node", url)
    assert shown.exit_code == 0, shown.output
    assert "proof verified" in shown.output


def test_unknown_tx_exits_2_with_the_reason(
    runner: CliRunner, served_node: tuple[FakeNode, str]
) -> None:
    _, url = served_node
    result = invoke(runner, "tx", "ab" * 32, "--node", url)
    assert result.exit_code == 2 and "not_found" in result.output


def test_bad_address_names_the_value(runner: CliRunner) -> None:
    result = invoke(runner, "account", "xyz")
    assert result.exit_code == 1 and "'xyz'" in result.output


def test_unreachable_node_exits_3_with_a_hint(runner: CliRunner) -> None:
    result = invoke(runner, "status", "--node", "http://127.0.0.1:1")
    assert result.exit_code == 3
    assert "is the node running" in result.output and "Traceback" not in result.output


def test_user_mistakes_fail_cleanly(runner: CliRunner, tmp_path: Path) -> None:
    """`verify` on an empty folder is a user mistake: a message and exit code 1; `bench`
    without a scenario is a usage error: its usage and exit code 2. Never a traceback."""
    result = invoke(runner, "verify", "--home", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error:"), result.output
    result = invoke(runner, "bench")
    assert result.exit_code == 2, result.output
    assert "usage" in result.output.lower()
    for output in (result.output,):
        assert "Traceback" not in output
