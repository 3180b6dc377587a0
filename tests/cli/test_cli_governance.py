"""`chainbook governance propose|vote|proposals|show` through real HTTP to a fake node (the real
ledger behind it), and the messages of mistakes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from chainbook.cli.main import app
from chainbook.crypto import PrivateKey
from chainbook.keyfile import write_key_file
from tests.support.fake_node import ALICE, VALIDATOR_KEYS, FakeNode

WIDE = 250
NEWCOMER = PrivateKey.from_label("newcomer")


def invoke(runner: CliRunner, *args: str) -> object:
    return runner.invoke(app, list(args), env={"COLUMNS": str(WIDE)})


def key_files(tmp_path: Path) -> list[str]:
    return [str(write_key_file(tmp_path / f"v{i}.json", k)) for i, k in enumerate(VALIDATOR_KEYS)]


def test_a_validator_is_proposed_voted_in_and_shown(
    runner: CliRunner, served_node: tuple[FakeNode, str], tmp_path: Path
) -> None:
    node, url = served_node
    keys = key_files(tmp_path)
    result = invoke(
        runner, "governance", "propose", "add-validator", "--key", keys[0],
        "--public-key", NEWCOMER.public_key.hex(), "--power", "1", "--name", "org-e",
        "--node", url, "--wait",
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "governance.proposed" in result.output and "'proposal_id': '1'" in result.output  # type: ignore[attr-defined]
    for key in keys[:3]:
        voted = invoke(
            runner, "governance", "vote", "1", "yes", "--key", key, "--node", url, "--wait"
        )
        assert voted.exit_code == 0, voted.output  # type: ignore[attr-defined]
    assert "governance.passed" in voted.output  # type: ignore[attr-defined]
    listing = invoke(runner, "governance", "proposals", "--node", url)
    assert "passed" in listing.output and "add_validator" in listing.output  # type: ignore[attr-defined]
    shown = invoke(runner, "governance", "show", "1", "--node", url)
    assert shown.exit_code == 0, shown.output  # type: ignore[attr-defined]
    assert "yes 30, no 0, abstain 0 of 40" in shown.output  # type: ignore[attr-defined]
    assert VALIDATOR_KEYS[2].address.hex() in shown.output  # type: ignore[attr-defined]
    # The generated query commands stay: the schedule holds the change.
    schedule = invoke(runner, "governance", "schedule", "--node", url, "--json")
    assert NEWCOMER.public_key.hex() in schedule.output  # type: ignore[attr-defined]


def test_mistakes_are_named(
    runner: CliRunner, served_node: tuple[FakeNode, str], tmp_path: Path
) -> None:
    _, url = served_node
    alice = str(write_key_file(tmp_path / "alice.json", ALICE))
    refused = invoke(
        runner, "governance", "propose", "set-parameter", "--key", alice,
        "--name", "consensus.block_txs_max", "--value", "10", "--node", url,
    )  # fmt: skip
    assert refused.exit_code == 2, refused.output  # type: ignore[attr-defined]
    assert "may not propose" in refused.output  # type: ignore[attr-defined]
    bad_hex = invoke(
        runner, "governance", "propose", "add-validator", "--key", alice,
        "--public-key", "xyz", "--power", "1", "--name", "e", "--node", url,
    )  # fmt: skip
    assert bad_hex.exit_code == 1 and "--public-key: expected hex" in bad_hex.output  # type: ignore[attr-defined]
    keys = key_files(tmp_path)
    wrong = invoke(runner, "governance", "vote", "7", "yes", "--key", keys[0], "--node", url)
    assert wrong.exit_code == 2 and "no proposal 7" in wrong.output  # type: ignore[attr-defined]
