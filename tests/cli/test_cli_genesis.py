"""`chainbook genesis new / add-validator / add-account / validate / hash`: a genesis assembled
from public keys; every refusal names what was wrong and leaves the file as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainbook.cli.main import app
from chainbook.crypto import PrivateKey
from chainbook.ledger.genesis import load_genesis

WIDTH = 250
KEYS = [PrivateKey.from_label(f"org-{i}") for i in range(4)]
ALICE = PrivateKey.from_label("genesis-alice")
FIRST, OTHER = KEYS[0].public_key.hex(), KEYS[3].public_key.hex()


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), terminal_width=WIDTH, env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def assemble(runner: CliRunner, file: Path) -> None:
    run(runner, "genesis", "new", str(file), "--chain-id", "acme-1", "--genesis-time-ms", "1700000000000")  # noqa: E501
    for i, key in enumerate(KEYS):
        run(
            runner, "genesis", "add-validator", str(file),
            "--public-key", key.public_key.hex(), "--power", "10", "--name", f"org-{i}",
        )  # fmt: skip
    alice = ALICE.address.hex()
    run(runner, "genesis", "add-account", str(file), "--address", alice, "--amount", "5000")


def test_a_genesis_assembled_from_public_keys_is_what_a_node_loads(
    runner: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "genesis.json"
    assemble(runner, file)
    genesis = load_genesis(file.read_bytes())
    assert genesis.chain_id == "acme-1" and genesis.genesis_time_ms == 1_700_000_000_000
    assert [v.public_key for v in genesis.validators] == [k.public_key.hex() for k in KEYS]
    assert [(a.address, a.amount) for a in genesis.app_state["bank"].accounts] == [
        (ALICE.address.hex(), 5000)
    ]
    assert genesis.consensus.empty_block_interval_ms == 30_000, "the production default"
    assert run(runner, "genesis", "hash", str(file)).strip() == genesis.hash.hex()
    validated = run(runner, "genesis", "validate", str(file))
    assert "valid" in validated and genesis.hash.hex() in validated
    assert "validators" in validated and "40" in validated  # 4 x power 10


def test_the_hash_does_not_depend_on_how_the_json_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "genesis.json"
    assemble(runner, file)
    before = run(runner, "genesis", "hash", str(file)).strip()
    data = json.loads(file.read_text())
    file.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")))
    assert run(runner, "genesis", "hash", str(file)).strip() == before


def test_new_never_overwrites_and_takes_the_consensus_and_issuance(
    runner: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "genesis.json"
    run(
        runner, "genesis", "new", str(file), "--chain-id", "c", "--empty-block-interval-ms", "0",
        "--block-reward", "5", "--supply-max", "1000",
    )  # fmt: skip
    first = file.read_bytes()
    out = run(runner, "genesis", "new", str(file), "--chain-id", "other", code=1)
    assert "already exists" in out and file.read_bytes() == first
    draft = load_genesis(first, draft=True)
    assert draft.consensus.empty_block_interval_ms == 0
    assert draft.app_state["bank"].issuance.block_reward == 5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--public-key", "zz", "--power", "1", "--name", "x"], "expected 64 hex characters"),
        (["--public-key", "ab" * 31, "--power", "1", "--name", "x"], "expected 64 hex"),
        (["--public-key", "ff" * 32, "--power", "1", "--name", "x"], "not a valid Ed25519"),
        (["--public-key", FIRST, "--power", "1", "--name", "x"], "already validator"),
        (["--public-key", OTHER, "--power", "1", "--name", "org-0"], "already taken"),
        (["--public-key", OTHER, "--power", "0", "--name", "x"], "--power 0"),
        (["--public-key", OTHER, "--power", "99999", "--name", "x"], "total power"),
    ],
)
def test_a_refused_validator_names_the_reason_and_changes_nothing(
    runner: CliRunner, tmp_path: Path, args: list[str], words: str
) -> None:
    file = tmp_path / "genesis.json"
    run(runner, "genesis", "new", str(file), "--chain-id", "c")
    run(
        runner, "genesis", "add-validator", str(file),
        "--public-key", KEYS[0].public_key.hex(), "--power", "1", "--name", "org-0",
    )  # fmt: skip
    before = file.read_bytes()
    out = run(runner, "genesis", "add-validator", str(file), *args, code=1)
    assert words in out
    assert file.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--address", "12", "--amount", "1"], "--address '12'"),
        (["--address", ALICE.address.hex(), "--amount", "0"], "--amount 0: must be > 0"),
        (["--address", ALICE.address.hex().upper(), "--amount", "1"], "already funded"),
        (["--address", "00" * 20, "--amount", "2000"], "supply_max"),
    ],
)
def test_a_refused_account_names_the_reason_and_changes_nothing(
    runner: CliRunner, tmp_path: Path, args: list[str], words: str
) -> None:
    file = tmp_path / "genesis.json"
    run(runner, "genesis", "new", str(file), "--chain-id", "c", "--supply-max", "1000")
    alice = ALICE.address.hex()
    run(runner, "genesis", "add-account", str(file), "--address", alice, "--amount", "1")
    before = file.read_bytes()
    out = run(runner, "genesis", "add-account", str(file), *args, code=1)
    assert words in out
    assert file.read_bytes() == before


def test_a_draft_without_validators_does_not_validate(runner: CliRunner, tmp_path: Path) -> None:
    file = tmp_path / "genesis.json"
    run(runner, "genesis", "new", str(file), "--chain-id", "c")
    assert "at least one validator" in run(runner, "genesis", "validate", str(file), code=1)
    assert "at least one validator" in run(runner, "genesis", "hash", str(file), code=1)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "genesis file"),
        (b'{"chain_id": "c", "genesis_time_ms": 1, "validators": [], "extra": 1}', "extra"),
        (b'{"chain_id": "C!", "genesis_time_ms": 1, "validators": []}', "chain_id"),
    ],
)
def test_a_corrupt_or_foreign_file_is_refused_by_name(
    runner: CliRunner, tmp_path: Path, content: bytes, words: str
) -> None:
    file = tmp_path / "genesis.json"
    file.write_bytes(content)
    edit = ["add-account", "--address", "00" * 20, "--amount", "1"]
    for command in (["validate"], ["hash"], edit):
        out = run(runner, "genesis", command[0], str(file), *command[1:], code=1)
        assert words in out
    assert file.read_bytes() == content


def test_a_missing_file_says_how_to_make_one(runner: CliRunner, tmp_path: Path) -> None:
    out = run(runner, "genesis", "validate", str(tmp_path / "none.json"), code=1)
    assert "chainbook genesis new" in out


def test_testnet_init_writes_its_empty_block_interval_into_the_genesis(
    runner: CliRunner, tmp_path: Path
) -> None:
    from chainbook.testnet import load_testnet
    from chainbook.testnet.create import TESTNET_EMPTY_BLOCK_INTERVAL_MS

    for folder, extra, expected in (
        ("default", [], TESTNET_EMPTY_BLOCK_INTERVAL_MS),
        ("chosen", ["--empty-block-interval-ms", "2500"], 2500),
    ):
        root = tmp_path / folder
        run(runner, "testnet", "init", "--validators", "1", "--dir", str(root), *extra)
        genesis = load_genesis(load_testnet(root).genesis_path.read_bytes())
        assert genesis.consensus.empty_block_interval_ms == expected
