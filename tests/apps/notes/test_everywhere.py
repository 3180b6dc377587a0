"""The test-only `notes` module (one folder + one registry line) appears everywhere a module
does: HTTP API and its OpenAPI, CLI, client, docs tables, simulator, spec vectors, layer test.
Nothing outside tests/apps/notes/ was edited for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chainbook.api import create_app
from chainbook.apps.docs import render_actions
from chainbook.chain.tx import sign_tx
from chainbook.cli.main import build_app
from chainbook.client import Client, Wallet, build_action
from chainbook.keyfile import write_key_file
from chainbook.sim import SimConfig, run_seed
from tests.apps.notes import Post
from tests.apps.notes.registry import REGISTRY
from tests.support import ALICE, CHAIN_ID
from tests.support.fake_node import FakeNode
from tests.test_layers import module_folders


@pytest.fixture
def node() -> FakeNode:
    return FakeNode(registry=REGISTRY)


def test_the_api_serves_its_queries_and_accepts_its_actions(node: FakeNode) -> None:
    http = TestClient(create_app(node, REGISTRY))
    tx = sign_tx(ALICE, CHAIN_ID, 0, Post(id="hello", text="first note"))
    posted = http.post("/txs", params={"wait": "true"}, json={"tx": tx.hex()})
    assert posted.status_code == 200, posted.text
    assert posted.json()["receipt"]["events"][0]["kind"] == "posted"
    answer = http.get("/apps/notes/note", params={"author": ALICE.address.hex(), "id": "hello"})
    assert answer.json() == {
        "author": ALICE.address.hex(),
        "id": "hello",
        "found": True,
        "text": "first note",
        "height": 1,
    }
    again = sign_tx(ALICE, CHAIN_ID, 1, Post(id="hello", text="again"))
    refused = http.post("/txs", json={"tx": again.hex()})
    assert refused.status_code == 400 and refused.json()["error"] == "notes.exists"
    openapi = http.get("/openapi.json").json()
    parameters = openapi["paths"]["/apps/notes/note"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["author", "id", "prove"]
    assert {m["name"] for m in http.get("/apps").json()} == {m.name for m in REGISTRY.modules}


def test_the_client_has_a_builder_and_a_method_for_it(node: FakeNode) -> None:
    http = TestClient(create_app(node, REGISTRY))
    client = Client("http://testserver", http=http, registry=REGISTRY)
    action = build_action("notes", "post", registry=REGISTRY, id="memo", text="from the SDK")
    assert action == Post(id="memo", text="from the SDK")
    receipt = Wallet(ALICE, CHAIN_ID, client).send(action, wait=True).receipt
    assert receipt is not None and receipt.ok
    note = client.apps.notes.note(author=ALICE.address, id="memo")
    assert note.found and note.text == "from the SDK" and note.author == ALICE.address


def test_the_cli_has_its_commands(
    node: FakeNode, served_node: tuple[FakeNode, str], tmp_path: Path
) -> None:
    _, url = served_node
    runner, app = CliRunner(), build_app(REGISTRY)
    key = write_key_file(tmp_path / "alice.json", ALICE)
    env = {"COLUMNS": "200"}
    post = ["notes", "post", "--key", str(key), "--id", "cli", "--text", "hi", "--node", url]
    posted = runner.invoke(app, [*post, "--wait"], env=env)
    assert posted.exit_code == 0, posted.output
    assert "committed" in posted.output
    query = ["notes", "note", "--author", ALICE.address.hex(), "--id", "cli", "--node", url]
    shown = runner.invoke(app, [*query, "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["text"] == "hi"
    bad = runner.invoke(app, ["notes", "note", "--author", "zz", "--id", "x", "--node", url])
    assert bad.exit_code == 1 and "author: expected hex" in bad.output


def test_the_docs_tables_list_it() -> None:
    tables = render_actions(REGISTRY)
    assert "### Actions of the `notes` module" in tables
    assert "| `notes.post` | `id: str`, `text: str` |" in tables
    assert "`notes.exists`" in tables


def test_the_simulator_mixes_its_workload() -> None:
    # Five seeds (~1.5 s): with a dozen modules in the mix, one short seed may commit no tx
    # of a given module; five commit about ten notes and ten bank transactions.
    committed: dict[str, int] = {}
    for seed in range(5):
        for module, count in run_seed(seed, SimConfig(registry=REGISTRY)).txs_by_module.items():
            committed[module] = committed.get(module, 0) + count
    assert committed.get("notes", 0) > 0
    assert committed.get("bank", 0) > 0


def test_the_layer_test_covers_its_folder() -> None:
    assert "notes" in {p.name for p in module_folders()}
