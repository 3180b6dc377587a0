"""`chainbook settlement prepare-swap / show-tx / cosign / submit-tx / new-secret` and the
generated commands, through real HTTP to the real ledger (FakeNode served on loopback): a swap
prepared by one party, signed offline by the other, submitted; a lock made and claimed with a
secret from new-secret; every mistake a clear message and exit code, no traceback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chainbook.cli.main import build_app
from chainbook.keyfile import write_key_file
from tests.apps.settlement.helpers import COINS, app_state
from tests.support import ALICE, BOB, CAROL, ask
from tests.support.fake_node import FakeNode

WIDE = {"COLUMNS": "250"}


@pytest.fixture
def node() -> FakeNode:
    return FakeNode(app_state=app_state())


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {k: write_key_file(tmp_path / f"{k}.json", key)
            for k, key in (("alice", ALICE), ("bob", BOB), ("carol", CAROL))}


def run(*args: str) -> Any:
    return CliRunner().invoke(build_app(), list(args), env=WIDE)


def token_balance(node: FakeNode, token: str, key: Any) -> int:
    return int(ask(node.state, "assets", "balance", token=token, address=key.address).balance)


def test_a_swap_is_prepared_cosigned_offline_and_submitted(
    served_node: tuple[FakeNode, str], keys: dict[str, Path], tmp_path: Path
) -> None:
    node, url = served_node
    swap = tmp_path / "swap.json"
    prepared = run("settlement", "prepare-swap", "--key", str(keys["alice"]),
                   "--counterparty-key", BOB.public_key.hex(), "--give-token", "CNYT",
                   "--give-amount", "100000", "--get-token", "HKDT", "--get-amount", "110000",
                   "--memo", "fx-7", "--out", str(swap), "--node", url)
    assert prepared.exit_code == 0, prepared.output
    assert "NOT signed yet" in prepared.output and BOB.address.hex() in prepared.output
    early = run("settlement", "submit-tx", str(swap), "--node", url)
    assert early.exit_code == 1 and "still needs the signature of" in early.output
    assert BOB.public_key.hex() in early.output
    stranger = run("settlement", "cosign", str(swap), "--key", str(keys["carol"]))
    assert stranger.exit_code == 1 and "is not a signer of this transaction" in stranger.output
    signed = run("settlement", "cosign", str(swap), "--key", str(keys["bob"]), "--json")
    assert signed.exit_code == 0, signed.output
    described = json.loads(signed.output)
    assert described["complete"] and described["cosigners"] == [BOB.address.hex()]
    assert described["action"] == {
        "type": "settlement.swap", "counterparty": BOB.address.hex(), "give_token": "CNYT",
        "give_amount": 100_000, "get_token": "HKDT", "get_amount": 110_000, "memo": "fx-7",
    }
    shown = json.loads(run("settlement", "show-tx", str(swap), "--json").output)
    assert shown == described
    done = run("settlement", "submit-tx", str(swap), "--wait", "--node", url, "--json")
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output)
    assert answer["receipt"]["ok"] and answer["hash"] == described["hash"]
    assert token_balance(node, "CNYT", BOB) == COINS + 100_000
    assert token_balance(node, "HKDT", ALICE) == COINS + 110_000
    # Submitting the same file again answers the committed transaction; nothing moves twice.
    again = run("settlement", "submit-tx", str(swap), "--wait", "--node", url, "--json")
    assert again.exit_code == 0 and json.loads(again.output)["hash"] == described["hash"]
    assert token_balance(node, "CNYT", BOB) == COINS + 100_000


def test_a_swap_without_the_counterparty_key_or_with_a_bad_one_is_refused_early(
    served_node: tuple[FakeNode, str], keys: dict[str, Path], tmp_path: Path
) -> None:
    _, url = served_node
    base = ["settlement", "prepare-swap", "--key", str(keys["alice"]), "--give-token", "CNYT",
            "--give-amount", "1", "--get-token", "HKDT", "--get-amount", "1",
            "--out", str(tmp_path / "s.json"), "--node", url]
    bad = run(*base, "--counterparty-key", "abcd")
    assert bad.exit_code == 1 and "expected 64 hex characters, got 'abcd'" in bad.output
    missing = run(*base)
    assert missing.exit_code == 2  # typer: a required option is missing
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    shown = run("settlement", "show-tx", str(junk))
    assert shown.exit_code == 1 and "is not a transaction file" in shown.output
    assert "Traceback" not in shown.output


def test_a_lock_made_with_a_new_secret_is_claimed_with_the_generated_commands(
    served_node: tuple[FakeNode, str], keys: dict[str, Path]
) -> None:
    node, url = served_node
    secret = json.loads(run("settlement", "new-secret", "--json").output)
    preimage = bytes.fromhex(secret["preimage"])
    assert len(preimage) == 32 and hashlib.sha256(preimage).hexdigest() == secret["hash_lock"]
    made = run("settlement", "make-lock", "--key", str(keys["alice"]), "--recipient",
               BOB.address.hex(), "--token", "HKDT", "--amount", "500", "--hash-lock",
               secret["hash_lock"], "--deadline-height", "50", "--wait", "--node", url)
    assert made.exit_code == 0, made.output
    wrong = run("settlement", "claim", "--key", str(keys["bob"]), "--lock-id", "1",
                "--preimage", "00" * 32, "--wait", "--node", url)
    assert wrong.exit_code == 2 and "settlement.invalid_preimage" in wrong.output
    claimed = run("settlement", "claim", "--key", str(keys["bob"]), "--lock-id", "1",
                  "--preimage", secret["preimage"], "--wait", "--node", url)
    assert claimed.exit_code == 0, claimed.output
    lock = json.loads(run("settlement", "lock", "--lock-id", "1", "--node", url, "--json").output)
    assert lock["status"] == "claimed" and lock["preimage"] == secret["preimage"]
    assert token_balance(node, "HKDT", BOB) == COINS + 500
