"""The explorer's files as the node serves them (in process, over a FakeNode): the page with
its security headers, only its own assets, the project's verifier byte for byte, every import
resolvable, nothing fetched from elsewhere; GET /search; the query schemas of GET /apps."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chainbook.api.explorer_routes import (
    CONTENT_SECURITY_POLICY,
    get_explorer_root,
    list_module_views,
)
from chainbook.api.lookup_routes import SEARCH_TEXT_CHARS_MAX
from chainbook.apps.bank.actions import Transfer
from chainbook.apps.notary.actions import Anchor
from chainbook.chain.tx import sign_tx
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode

REPO = Path(__file__).resolve().parents[2]
EXPLORER = REPO / "src" / "chainbook" / "api" / "explorer"
IMPORT = re.compile(r"""(?:^|\s)(?:import|from)\s*(?:[^"';]*?\sfrom\s*)?["'](\.[^"']+)["']""", re.M)
DYNAMIC_IMPORT = re.compile(r"""import\(\s*["'`](\.[^"'`$]+)["'`]\s*\)""")


def asset_files() -> list[Path]:
    return sorted(p for p in EXPLORER.rglob("*") if p.is_file())


def test_the_page_is_served_at_the_root_with_a_strict_policy(http: TestClient) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<script type="module" src="/explorer/app.js">' in response.text
    assert "<script>" not in response.text  # no inline script: the policy would refuse it


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("app.js", "text/javascript"),
        ("style.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
        ("pages/network.js", "text/javascript"),
        ("views/bank.js", "text/javascript"),
        ("verifier/verify.js", "text/javascript"),
    ],
)
def test_assets_are_served_with_their_type(
    http: TestClient, path: str, content_type: str
) -> None:
    response = http.get(f"/explorer/{path}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(content_type)
    assert response.content == (EXPLORER / path).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "../explorer_routes.py",
        # Out of the folder to a .js file that exists (the repository's js/verifier):
        "..%2F..%2F..%2F..%2Fjs%2Fverifier%2Fverify.js",
        "%2E%2E/%2E%2E/%2E%2E/%2E%2E/js/verifier/verify.js",
        "pages/..%2F..%2F..%2F..%2F..%2Fjs%2Fverifier%2Fverify.js",
        "..%2Fexplorer_routes.py",
        "%2e%2e/app.py",
        "pages/../../app.py",
        "/etc/passwd",
        "index.html",  # served at / only
        "app.py",
        "other/app.js",
        "views/missing.js",
        "APP.JS",
        "verifier/package.json",
    ],
)
def test_nothing_but_the_explorer_files_is_served(http: TestClient, path: str) -> None:
    response = http.get(f"/explorer/{path}")
    assert response.status_code == 404, (path, response.text[:200])
    assert response.json()["error"] == "not_found"


def test_the_verifier_is_the_projects_own_byte_for_byte(http: TestClient) -> None:
    for name in ("verify.js", "msgpack.js"):
        served = http.get(f"/explorer/verifier/{name}").content
        assert served == (REPO / "js" / "verifier" / name).read_bytes(), name


def test_the_module_views_are_listed_for_the_page(http: TestClient) -> None:
    listed = http.get("/explorer/views/index.json").json()["views"]
    assert listed == list_module_views()
    assert {"bank.js", "governance.js", "notary.js", "vote.js"} <= set(listed)
    assert listed == sorted(p.name for p in (EXPLORER / "views").glob("*.js"))


def test_every_relative_import_resolves_to_a_served_file(http: TestClient) -> None:
    checked = 0
    for path in asset_files():
        if path.suffix != ".js":
            continue
        text = path.read_text()
        for target in IMPORT.findall(text) + DYNAMIC_IMPORT.findall(text):
            resolved = Path(os.path.normpath(path.parent / target))  # symlinks kept
            relative = resolved.relative_to(EXPLORER)
            assert http.get(f"/explorer/{relative.as_posix()}").status_code == 200, (path, target)
            checked += 1
    assert checked > 20


def test_the_page_needs_nothing_from_another_host() -> None:
    for path in asset_files():
        text = path.read_text()
        urls = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"')]*", text))
        urls -= {"http://www.w3.org/2000/svg"}  # an XML namespace name, never fetched
        assert not urls, (path.name, urls)
    assert get_explorer_root().joinpath("index.html").is_file()


def test_chain_text_never_reaches_the_page_as_html() -> None:
    for path in asset_files():
        if path.suffix == ".js" and path.parent.name != "verifier":
            text = path.read_text()
            for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
                assert sink not in text, (path.name, sink)


# --- GET /search ---------------------------------------------------------------------------------


@pytest.fixture
def chain(node: FakeNode) -> dict[str, str]:
    document = hashlib.sha256(b"a document").digest()
    node.submit_tx(sign_tx(ALICE, CHAIN_ID, 0, Transfer(to=BOB.address, amount=5)))
    node.submit_tx(sign_tx(ALICE, CHAIN_ID, 1, Anchor(hash=document, title="t")))
    block = node.commit_pending()
    return {"block": block.hash.hex(), "tx": block.tx_hashes[0].hex(), "document": document.hex()}


def hits_of(http: TestClient, text: str) -> list[dict[str, object]]:
    response = http.get("/search", params={"q": text})
    assert response.status_code == 200, response.text
    hits: list[dict[str, object]] = response.json()["hits"]
    return hits


def test_search_names_blocks_transactions_accounts_and_documents(
    http: TestClient, chain: dict[str, str]
) -> None:
    assert hits_of(http, "1") == [{"kind": "block", "height": 1}]
    assert hits_of(http, chain["tx"]) == [{"kind": "tx", "hash": chain["tx"], "height": 1}]
    assert hits_of(http, "0x" + chain["block"].upper()) == [
        {"kind": "block", "hash": chain["block"], "height": 1}
    ]
    assert hits_of(http, BOB.address.hex()) == [{"kind": "account", "address": BOB.address.hex()}]
    assert hits_of(http, chain["document"]) == [
        {"kind": "query", "module": "notary", "query": "anchored", "parameter": "hash",
         "value": chain["document"]}
    ]


def test_search_of_what_is_not_there_is_an_empty_answer(
    http: TestClient, chain: dict[str, str]
) -> None:
    assert hits_of(http, "2") == []  # no block 2 yet
    assert hits_of(http, "ab" * 32) == []  # no tx, block or document of that hash
    assert hits_of(http, "no such thing") == []
    assert hits_of(http, "x" * SEARCH_TEXT_CHARS_MAX) == []


@pytest.mark.parametrize("text", ["", "   ", "x" * (SEARCH_TEXT_CHARS_MAX + 1)])
def test_search_refuses_empty_and_oversized_text(http: TestClient, text: str) -> None:
    response = http.get("/search", params={"q": text})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_module_list_gives_each_query_its_parameters_and_answer_schema(
    http: TestClient,
) -> None:
    modules = {m["name"]: m for m in http.get("/apps").json()}
    for module in modules.values():
        assert [q["name"] for q in module["query_schemas"]] == module["queries"]
    (balance,) = [q for q in modules["bank"]["query_schemas"] if q["name"] == "balance"]
    assert balance["parameters"] == [
        {"name": "address", "required": True,
         "schema": {"type": "string", "pattern": "^[0-9a-f]{40}$"}}
    ]
    assert set(balance["response"]["properties"]) == {"address", "balance", "exists"}
