"""`chainbook notary anchor FILE...` and `chainbook notary verify FILE RECEIPT --genesis G`
through real HTTP to the real ledger (FakeNode served on loopback); `verify` contacts no node.

Every way a notary receipt can lie is refused with the check that failed, exit 1, no traceback:
another document, a changed document, a swapped audit path, another position, another batch
size, a foreign genesis, a refused transaction, a transaction of another module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chainbook.apps.notary import Anchor
from chainbook.cli.main import build_app
from chainbook.cli.notary import hash_file
from chainbook.client.http import Client
from chainbook.keyfile import write_key_file
from chainbook.ledger.genesis import dump_genesis
from tests.support import ALICE, BOB, make_genesis
from tests.support.fake_node import FakeNode

WIDE = {"COLUMNS": "250"}


@pytest.fixture
def setup(
    served_node: tuple[FakeNode, str], tmp_path: Path
) -> tuple[FakeNode, str, Path, Path, CliRunner]:
    node, url = served_node
    key = write_key_file(tmp_path / "alice.json", ALICE)
    genesis = tmp_path / "genesis.json"
    genesis.write_bytes(dump_genesis(node.genesis))
    return node, url, key, genesis, CliRunner()


def documents(folder: Path, count: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"doc{i}.txt"
        path.write_text(f"document number {i}\n")
        paths.append(path)
    return paths


def run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(build_app(), list(args), env=WIDE)


def anchor(runner: CliRunner, url: str, key: Path, *args: str) -> Any:
    return run(runner, "notary", "anchor", *args, "--key", str(key), "--node", url)


def verify(runner: CliRunner, document: Path, receipt: Path, genesis: Path) -> Any:
    return run(runner, "notary", "verify", str(document), str(receipt), "--genesis", str(genesis))


def test_one_document_anchored_then_verified_offline(setup: Any, tmp_path: Path) -> None:
    node, url, key, genesis, runner = setup
    (document,) = documents(tmp_path / "docs", 1)
    done = anchor(runner, url, key, str(document), "--title", "Board minutes")
    assert done.exit_code == 0, done.output
    receipt = document.with_name(document.name + ".notary.json")
    assert json.loads(receipt.read_text())["document_hash"] == hash_file(document).hex()
    # Offline: a served node that is gone must not matter.
    node.auto_commit = False
    checked = verify(runner, document, receipt, genesis)
    assert checked.exit_code == 0, checked.output
    assert f"existed at height {node.height}" in checked.output
    assert f"anchored by {ALICE.address.hex()}" in checked.output
    assert "Board minutes" in checked.output
    assert "first anchoring of this document" in checked.output


def test_a_batch_gives_each_document_a_receipt_of_its_own(setup: Any, tmp_path: Path) -> None:
    node, url, key, genesis, runner = setup
    docs = documents(tmp_path / "docs", 5)
    out = tmp_path / "receipts"
    done = anchor(runner, url, key, *map(str, docs), "--out-dir", str(out), "--title", "batch")
    assert done.exit_code == 0, done.output
    assert node.height == 1, "one transaction for the whole batch"
    for index, document in enumerate(docs):
        receipt = out / (document.name + ".notary.json")
        checked = verify(runner, document, receipt, genesis)
        assert checked.exit_code == 0, checked.output
        assert f"document {index} of 5 under root" in checked.output
    # A document's receipt does not prove another document of the same batch.
    wrong = verify(runner, docs[1], out / (docs[2].name + ".notary.json"), genesis)
    assert wrong.exit_code == 1 and "not the anchored document" in wrong.output


def _tampered(receipt: Path, change: Any) -> Path:
    data = json.loads(receipt.read_text())
    change(data)
    path = receipt.with_name("tampered.json")
    path.write_text(json.dumps(data))
    return path


BATCH_TAMPERINGS = {
    "document hash": (
        lambda d: d.update(document_hash="00" * 32),
        "not the anchored document",
    ),
    "path swapped": (
        lambda d: d["batch"].update(path=list(reversed(d["batch"]["path"]))),
        "does not lead from the document",
    ),
    "index": (lambda d: d["batch"].update(index=d["batch"]["index"] ^ 1), "does not lead"),
    "size": (lambda d: d["batch"].update(size=4), "a batch of 4, the transaction anchored"),
    "batch dropped": (lambda d: d.update(batch=None), "needs the document's position"),
    "path not hex": (lambda d: d["batch"]["path"].__setitem__(0, "zz"), "not hex"),
    "receipt header": (
        lambda d: d["receipt"].update(header=d["receipt"]["header"][:-2] + "00"),
        "header",
    ),
    "format": (lambda d: d.update(format="chainbook/other"), "unknown format"),
    "version": (lambda d: d.update(version=2), "version 2"),
}


@pytest.mark.parametrize("name", BATCH_TAMPERINGS, ids=list(BATCH_TAMPERINGS))
def test_a_changed_notary_receipt_is_refused(setup: Any, tmp_path: Path, name: str) -> None:
    _, url, key, genesis, runner = setup
    docs = documents(tmp_path / "docs", 3)
    out = tmp_path / "receipts"
    assert anchor(runner, url, key, *map(str, docs), "--out-dir", str(out)).exit_code == 0
    change, reason = BATCH_TAMPERINGS[name]
    tampered = _tampered(out / (docs[1].name + ".notary.json"), change)
    checked = verify(runner, docs[1], tampered, genesis)
    assert checked.exit_code == 1, checked.output
    assert reason in " ".join(checked.output.split()), checked.output
    assert "Traceback" not in checked.output


def test_a_changed_document_and_a_foreign_genesis_are_refused(setup: Any, tmp_path: Path) -> None:
    _, url, key, genesis, runner = setup
    (document,) = documents(tmp_path / "docs", 1)
    assert anchor(runner, url, key, str(document)).exit_code == 0
    receipt = document.with_name(document.name + ".notary.json")
    foreign = tmp_path / "foreign.json"
    foreign.write_bytes(dump_genesis(make_genesis(chain_id="another-chain")))
    refused = verify(runner, document, receipt, foreign)
    assert refused.exit_code == 1 and "another-chain" in refused.output
    document.write_text("document number 0, amended\n")
    changed = verify(runner, document, receipt, genesis)
    assert changed.exit_code == 1 and "not the anchored document (or it changed)" in " ".join(
        changed.output.split()
    )


def test_a_plain_receipt_file_of_an_anchoring_verifies_too(setup: Any, tmp_path: Path) -> None:
    node, url, key, genesis, runner = setup
    (document,) = documents(tmp_path / "docs", 1)
    assert anchor(runner, url, key, str(document), "-o", str(tmp_path / "n.json")).exit_code == 0
    tx_hash = node.blocks[node.height].tx_hashes[0].hex()
    plain = tmp_path / "plain.json"
    assert run(runner, "receipt", "get", tx_hash, "-o", str(plain), "--node", url).exit_code == 0
    assert verify(runner, document, plain, genesis).exit_code == 0
    other = tmp_path / "other.txt"
    other.write_text("not anchored\n")
    refused = verify(runner, other, plain, genesis)
    assert refused.exit_code == 1 and "not this document" in refused.output


def test_a_second_anchoring_is_refused_naming_the_first(setup: Any, tmp_path: Path) -> None:
    node, url, key, genesis, runner = setup
    (document,) = documents(tmp_path / "docs", 1)
    assert anchor(runner, url, key, str(document)).exit_code == 0
    first_height = node.height
    bob = write_key_file(tmp_path / "bob.json", BOB)
    again = anchor(runner, url, bob, str(document), "-o", str(tmp_path / "again.json"))
    assert again.exit_code == 2, again.output
    text = " ".join(again.output.split())
    assert "notary.already_anchored" in text and f"at height {first_height}" in text
    assert ALICE.address.hex() in text
    assert not (tmp_path / "again.json").exists() and node.height == first_height


def test_refusals_before_anything_is_sent(setup: Any, tmp_path: Path) -> None:
    node, url, key, _, runner = setup
    docs = documents(tmp_path / "docs", 2)
    same = tmp_path / "docs" / "copy.txt"
    same.write_text(docs[0].read_text())
    cases = [
        ((str(docs[0]), str(docs[1]), "-o", str(tmp_path / "x.json")), "-o names one receipt"),
        ((str(docs[0]), str(same), "--out-dir", str(tmp_path / "r")), "have the same content"),
        ((str(tmp_path / "missing.txt"),), "not a file"),
    ]
    for args, reason in cases:
        refused = anchor(runner, url, key, *args)
        assert refused.exit_code == 1 and reason in refused.output, refused.output
    existing = docs[0].with_name(docs[0].name + ".notary.json")
    existing.write_text("keep me")
    refused = anchor(runner, url, key, str(docs[0]))
    assert refused.exit_code == 1 and "never overwritten" in refused.output
    assert existing.read_text() == "keep me" and node.height == 0


def test_a_refused_anchoring_in_a_block_is_not_a_proof(setup: Any, tmp_path: Path) -> None:
    """Two anchorings of one hash admitted before either committed: the second's receipt is a
    failed one, and `notary verify` says so."""
    node, url, key, genesis, runner = setup
    (document,) = documents(tmp_path / "docs", 1)
    digest = hash_file(document)
    node.auto_commit = False
    with Client(url) as client:
        from chainbook.client.wallet import Wallet

        for signer in (ALICE, BOB):
            Wallet(signer, node.chain_id, client).send(Anchor(digest))
        node.commit_pending()
        second = node.blocks[node.height].tx_hashes[1]
        receipt_file = client.get_receipt_file(second)
    import msgspec

    plain = tmp_path / "second.json"
    plain.write_bytes(msgspec.json.encode(receipt_file))
    refused = verify(runner, document, plain, genesis)
    assert refused.exit_code == 1 and "notary.already_anchored" in refused.output
