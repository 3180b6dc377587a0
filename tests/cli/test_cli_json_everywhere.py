"""Every command that reads has `--json`: the whole typer app is walked, so a command added
later without it fails here, unless it is named below with the reason it has none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer.main

from chainbook.cli.main import app

WITHOUT_JSON = {
    # They change something and print a line or a file, no record to read:
    "init": "writes a node home",
    "keys new": "writes a key file (or prints the key file itself, JSON already)",
    "keys encrypt": "rewrites a key file",
    "keys decrypt": "rewrites a key file",
    "ca init": "writes a CA folder",
    "ca issue": "writes a certificate",
    "ca revoke": "writes a revocation list",
    "testnet up": "starts processes",
    "testnet down": "stops processes",
    "testnet kill": "crashes a process",
    "testnet add-node": "writes a node home and starts it",
    "node start": "runs a node in the foreground",
    "node reset-signing": "writes a consensus record",
    "node csr": "writes a certificate request file",
    "node install-cert": "installs files",
    "node install-revocation-list": "installs a file",
    "node install-genesis": "installs a file",
    "genesis new": "writes a genesis draft",
    "genesis add-validator": "edits a genesis draft",
    "genesis add-account": "edits a genesis draft",
    "receipt get": "writes the receipt file (JSON itself); -o - prints it",
    "proof get": "writes the state proof file (JSON itself)",
    "notary anchor": "writes notary receipt files (JSON themselves)",
    "evidence package": "writes the evidence package (JSON itself)",
    "governance vote": "submits a vote (the propose commands too)",
    "private submit": "submits a record (its receipt table; --wait)",
    "private disclose": "writes the disclosure file (JSON itself)",
    "private get": "prints the record's raw content bytes (a script's format)",
    # Already a script's format:
    "keys address": "prints the bare address for scripts (`keys show --json` has it in JSON)",
    # They run for minutes and write their own reports:
    "demo": "a guided tour for a person",
    "simulate": "arguments passed through to chainbook.sim, which reports per seed",
    "bench": "arguments passed through to chainbook.bench, which writes JSON results",
    "verify": "re-verifies a stopped node's book and repairs it (a maintenance action)",
}


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from walk(sub, (*path, name))
    else:
        yield " ".join(path), command


def options_of(command: Any) -> set[str]:
    return {option for param in command.params for option in getattr(param, "opts", [])}


def test_every_read_command_has_json() -> None:
    commands = dict(walk(typer.main.get_command(app)))
    assert len(commands) > 60  # the walk reached the module groups too
    missing = [
        name for name, command in commands.items()
        if "--json" not in options_of(command)
        and name not in WITHOUT_JSON and not name.startswith("governance propose ")
    ]
    assert not missing, f"read commands without --json: {missing}"


def test_the_exemptions_name_real_commands_without_json() -> None:
    commands = dict(walk(typer.main.get_command(app)))
    for name in WITHOUT_JSON:
        assert name in commands, f"{name!r} is no command any more: drop it from WITHOUT_JSON"
        assert "--json" not in options_of(commands[name]), f"{name!r} has --json now"


def test_the_local_read_commands_print_one_json_document(tmp_path: Any) -> None:
    import json

    from typer.testing import CliRunner

    from chainbook.testnet import init_testnet, load_testnet

    init_testnet(tmp_path, validators=1, seed="json")
    net = load_testnet(tmp_path)
    genesis = str(net.genesis_path)

    def run(*args: str) -> Any:
        result = CliRunner().invoke(app, [*args, "--json"])
        assert result.exit_code == 0, (args, result.output)
        return json.loads(result.stdout)

    hashed = run("genesis", "hash", genesis)["genesis_hash"]
    assert run("genesis", "validate", genesis)["genesis hash"] == hashed
    node = run("node", "id", "--home", str(tmp_path / net.node("node0").home))
    assert node["node_id"] == net.node("node0").public_key
    shown = run("ca", "show", "--dir", str(tmp_path / "ca"))
    assert len(shown["issued"]) == 1 and shown["revoked"] == []
