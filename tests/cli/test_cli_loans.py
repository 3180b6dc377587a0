"""`loans receipts` and `loans verify` through real HTTP to a real ledger served on loopback:
a loan's story written as files and checked without any node, every figure recomputed from
the signed terms; a story with a receipt left out, of another loan, twice the same, an offer's
terms missing, or a record that says more, fails naming why (exit 1, no traceback)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from chainbook.api import create_app
from chainbook.apps.loans import (
    Accept,
    ClaimCollateral,
    Create,
    DeclareDefault,
    Instalment,
    Offer,
    Repay,
    RepayInFull,
    TokenCollateral,
)
from chainbook.cli.main import app
from chainbook.ledger.genesis import dump_genesis
from tests.client.ledger_chain import LedgerChain
from tests.conftest import SERVER_START_TIMEOUT_S, free_port
from tests.support import ALICE, BOB
from tests.support import signed as signed_tx

WIDE = {"COLUMNS": "250"}
BOTH = [ALICE.address, BOB.address]


def lent_chain() -> LedgerChain:
    """L-1: Alice lends Bob 300 (10 % per 10 blocks, due 4 blocks later), both sign; Bob repays
    100, overpays (refused), repays the rest. O-2: Alice offers Bob 50 for 20 of collateral,
    he accepts, misses the due height, Alice declares the default and claims."""
    chain = LedgerChain()
    terms = Create("L-1", ALICE.address, BOB.address, "", 300, 1_000, 10, [Instalment(4, 300)])
    offer = Offer("O-2", BOB.address, "", 50, 0, 1, [Instalment(2, 50)], 5, 0,
                  TokenCollateral("", 20))  # fmt: skip
    blocks = [
        [signed_tx([ALICE, BOB], 0, terms, accounts=BOTH), signed_tx(ALICE, 1, offer)],
        [signed_tx(BOB, 0, Repay("L-1", 100)), signed_tx(BOB, 1, Accept("O-2"))],
        [signed_tx(BOB, 2, Repay("L-1", 10_000))],
        [signed_tx(BOB, 3, RepayInFull("L-1", 1_000))],
        [],
        [signed_tx(ALICE, 2, DeclareDefault("O-2"))],
        [signed_tx(ALICE, 3, ClaimCollateral("O-2"))],
        [],
    ]
    for txs in blocks:
        chain.commit_block(txs)
    return chain


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LedgerChain, str]]:
    chain = lent_chain()
    port = free_port()
    config = uvicorn.Config(create_app(chain), host="127.0.0.1", port=port,  # type: ignore[arg-type]
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield chain, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_TIMEOUT_S)


@pytest.fixture(scope="module")
def files(served: tuple[LedgerChain, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    chain, url = served
    folder = tmp_path_factory.mktemp("loans")
    (folder / "genesis.json").write_bytes(dump_genesis(chain.genesis))
    for loan_id in ("L-1", "O-2"):
        got = run("loans", "receipts", loan_id, "--out-dir", str(folder / loan_id), "--node", url)
        assert got.exit_code == 0, got.output
    return folder


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), env=WIDE)


def verify(folder: Path, *names: str, json_output: bool = True) -> object:
    genesis = folder.parent / "genesis.json"
    paths = [str(folder / n) for n in names]
    return run("loans", "verify", *paths, "--genesis", str(genesis),
               *(["--json"] if json_output else []))  # fmt: skip


def test_a_repaid_loan_s_story_verifies_offline(files: Path) -> None:
    folder = files / "L-1"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["L-1-00-created.json", "L-1-01-repayment.json",
                     "L-1-02-repayment.json", "L-1-record.json"]  # fmt: skip
    done = verify(folder, *names)
    assert done.exit_code == 0, done.output
    story = json.loads(done.output)
    assert (story["status"], story["outstanding"], story["proven_height"]) == ("repaid", 0, 7)
    # 300 from height 1: 3 a block; at 2, 3 of interest and 97 of principal; at 4, 203 x 1 %
    # x 2 blocks = 4.06: 4 of interest and the 203 left (the 0.06 dropped).
    steps = [(s["height"], s["action"], s["amount"], s["interest"], s["principal"],
              s["outstanding"]) for s in story["steps"]]  # fmt: skip
    assert steps == [
        (1, "loans.create", 300, 0, 0, 300),
        (2, "loans.repay", 100, 3, 97, 203),
        (4, "loans.repay_in_full", 207, 4, 203, 0),
    ]
    text = verify(folder, *names, json_output=False)
    assert text.exit_code == 0 and "verified" in text.output and "no later step" in text.output


def test_a_refused_step_is_listed_and_changes_nothing(files: Path, served: tuple) -> None:
    chain, url = served
    folder = files / "L-1"
    from chainbook.chain.tx import tx_hash

    refused = signed_tx(BOB, 2, Repay("L-1", 10_000))
    out = folder.parent / "refused.json"
    got = run("receipt", "get", tx_hash(refused).hex(), "-o", str(out), "--node", url)
    assert got.exit_code == 0, got.output
    done = verify(folder, "L-1-00-created.json", "L-1-01-repayment.json", "../refused.json",
                  "L-1-02-repayment.json", "L-1-record.json")
    assert done.exit_code == 0, done.output
    steps = json.loads(done.output)["steps"]
    assert [(s["height"], s["ok"], s["code"]) for s in steps][2] == (3, False, "loans.overpayment")


def test_a_defaulted_offer_s_story_needs_the_offer_and_verifies(files: Path) -> None:
    folder = files / "O-2"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["O-2-00-offer.json", "O-2-01-created.json", "O-2-02-default.json",
                     "O-2-03-claim.json", "O-2-record.json"]  # fmt: skip
    story = json.loads(verify(folder, *names).output)
    assert (story["status"], story["collateral_state"]) == ("defaulted", "claimed")
    done = verify(folder, *names[1:])
    assert done.exit_code == 1 and "give the receipt of that loans.offer" in done.output


@pytest.mark.parametrize(
    ("names", "words"),
    [
        (["L-1-00-created.json", "L-1-02-repayment.json"], "a receipt before it is missing"),
        (["L-1-00-created.json", "L-1-01-repayment.json", "L-1-record.json"],
         "the receipts give 1: a receipt is missing"),
        (["L-1-00-created.json", "L-1-01-repayment.json", "L-1-01-repayment.json"],
         "is given twice"),
        (["L-1-01-repayment.json"], "no receipt creates a loan"),
        (["L-1-00-created.json", "../O-2/O-2-02-default.json"], "is of loan 'O-2', not 'L-1'"),
        (["L-1-00-created.json", "L-1-record.json", "L-1-record.json"], "one proof"),
    ],
)
def test_an_incomplete_or_mixed_story_fails_naming_why(
    files: Path, names: list[str], words: str
) -> None:
    done = verify(files / "L-1", *names)
    assert done.exit_code == 1, done.output
    assert words in " ".join(done.output.split()), done.output
    assert "Traceback" not in done.output


def test_a_changed_figure_in_a_receipt_fails_its_proof(files: Path, tmp_path: Path) -> None:
    folder = files / "L-1"
    document = json.loads((folder / "L-1-01-repayment.json").read_text())
    document["height"] += 1
    (tmp_path / "changed.json").write_text(json.dumps(document))
    created, changed = str(folder / "L-1-00-created.json"), str(tmp_path / "changed.json")
    done = run("loans", "verify", created, changed, "--genesis", str(files / "genesis.json"))
    assert done.exit_code == 1 and "header" in done.output


def test_receipts_never_overwrite_a_file(served: tuple[LedgerChain, str], files: Path) -> None:
    _, url = served
    got = run("loans", "receipts", "L-1", "--out-dir", str(files / "L-1"), "--node", url)
    assert got.exit_code == 1 and "never overwritten" in got.output
    got = run("loans", "receipts", "nope", "--out-dir", str(files / "x"), "--node", url)
    assert got.exit_code == 2 and "no loan has id 'nope'" in got.output
