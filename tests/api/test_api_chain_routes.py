"""The chain-reading routes over a FakeNode (real ledger, real embedded index): health,
genesis, block pages, block by hash, block results, decoded transactions, search and account
history, the mempool, the dry run, /status's versions, docs assets and CORS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chainbook.api import create_app
from chainbook.api.chain_routes import HEALTH_BLOCK_AGE_MS_MAX, compute_health
from chainbook.api.paths import HEIGHT_MAX
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx
from chainbook.ledger.genesis import load_genesis
from tests.support import CAROL
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode


def transfer(nonce: int, to: bytes = BOB.address, amount: int = 5, memo: str = "") -> bytes:
    return sign_tx(ALICE, CHAIN_ID, nonce, Transfer(to=to, amount=amount, memo=memo))


def commit(node: FakeNode, *txs: bytes) -> None:
    for tx in txs:
        node.submit_tx(tx)
    node.commit_pending()


def assert_error(response: object, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == code, body
    for word in words:
        assert word in body["message"], body["message"]


# --- health ---------------------------------------------------------------------------------


def test_health_is_503_before_the_first_block_and_200_after(
    http: TestClient, node: FakeNode
) -> None:
    assert_error(http.get("/health"), 503, "not_ready", "no block")
    assert http.get("/health").headers["retry-after"] == "1"
    commit(node)
    block_time = node.blocks[1].header.time_ms
    assert compute_health(node, block_time + 10).status == "ok"
    assert http.get("/health/live").json() == {"status": "ok"}


def test_health_is_503_when_syncing_or_not_advancing(node: FakeNode) -> None:
    commit(node)
    block_time = node.blocks[1].header.time_ms
    stale = compute_health(node, block_time + HEALTH_BLOCK_AGE_MS_MAX + 1)
    assert stale.status == "not_ready" and "not advancing" in stale.reason
    assert compute_health(node, block_time + HEALTH_BLOCK_AGE_MS_MAX).status == "ok"
    node.syncing = True
    assert "syncing" in compute_health(node, block_time).reason


# --- genesis, status ------------------------------------------------------------------------


def test_genesis_is_the_nodes_file_and_status_names_its_hash(
    http: TestClient, node: FakeNode
) -> None:
    response = http.get("/genesis")
    assert response.status_code == 200
    assert load_genesis(response.content).hash == node.genesis.hash
    status = http.get("/status").json()
    assert status["genesis_hash"] == node.genesis.hash.hex()
    assert status["protocol_version"] >= 1
    assert status["node_version"]


# --- blocks ---------------------------------------------------------------------------------


def test_block_pages_walk_every_height_once(http: TestClient, node: FakeNode) -> None:
    for _ in range(7):
        commit(node)
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = http.get("/blocks", params=params).json()
        seen += [b["height"] for b in page["blocks"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    ascending = http.get("/blocks", params={"order": "asc", "limit": "100"}).json()
    assert [b["height"] for b in ascending["blocks"]] == list(range(1, 8))
    assert ascending["next_cursor"] is None


def test_block_by_hash_and_its_results_carry_the_mint() -> None:
    node = FakeNode(block_reward=100)
    http = TestClient(create_app(node, node.registry))
    commit(node, transfer(0))
    block = http.get("/blocks/1").json()
    assert http.get(f"/blocks/hash/{block['hash']}").json() == block
    assert_error(http.get("/blocks/hash/" + "00" * 32), 404, "not_found")
    results = http.get("/blocks/1/results").json()
    assert [r["ok"] for r in results["receipts"]] == [True]
    assert [(e["module"], e["kind"]) for e in results["events"]] == [("bank", "mint")]
    assert_error(http.get("/blocks/2/results"), 404, "not_found", "latest 1")


def test_block_results_without_an_index_say_events_unknown(node: FakeNode) -> None:
    node.index = None
    commit(node)
    http = TestClient(create_app(node, node.registry))
    assert http.get("/blocks/1/results").json()["events"] is None


@pytest.mark.parametrize(
    "height",
    [
        "%C2%B2",  # superscript two: str.isdigit() says yes
        "%D9%A1%D9%A2",  # Arabic-Indic 12: int() accepts it
        str(2**63),  # past SQLite's INTEGER
        "01",
        str(2**64 + 5),
        "0",
        "-1",
        "1e3",
        " 1",
        "١",
    ],
)
def test_bad_heights_are_400_never_500(http: TestClient, node: FakeNode, height: str) -> None:
    commit(node)
    for path in (f"/blocks/{height}", f"/blocks/{height}/results"):
        assert_error(http.get(path), 400, "invalid_height", "ASCII")


def test_the_largest_height_is_a_clean_404_and_one_more_is_400(http: TestClient) -> None:
    assert_error(http.get(f"/blocks/{HEIGHT_MAX}"), 404, "not_found")
    assert_error(http.get(f"/blocks/{HEIGHT_MAX + 1}"), 400, "invalid_height")


# --- transactions ---------------------------------------------------------------------------


def test_a_transaction_is_decoded_beside_its_hex(http: TestClient, node: FakeNode) -> None:
    tx = transfer(0, memo="rent")
    commit(node, tx)
    view = http.get(f"/txs/{node.blocks[1].tx_hashes[0].hex()}").json()
    assert view["tx"] == tx.hex()
    decoded = view["decoded"]
    assert decoded["signer"] == ALICE.address.hex() and decoded["nonce"] == 0
    assert decoded["module"] == "bank" and decoded["action"] == "bank.transfer"
    assert decoded["fields"] == {"to": BOB.address.hex(), "amount": 5, "memo": "rent"}


def test_search_by_account_module_event_and_height(http: TestClient, node: FakeNode) -> None:
    commit(node, transfer(0), transfer(1, to=CAROL.address))
    commit(node, transfer(2))
    by_bob = http.get("/txs", params={"account": BOB.address.hex()}).json()
    assert [(t["height"], t["index"]) for t in by_bob["txs"]] == [(2, 0), (1, 0)]
    history = http.get(f"/accounts/{CAROL.address.hex()}/txs").json()
    assert [t["nonce"] for t in history["txs"]] == [1]
    assert history["txs"][0]["sender"] == ALICE.address.hex()
    by_alice = http.get(f"/accounts/{ALICE.address.hex()}/txs", params={"order": "asc"}).json()
    assert [t["nonce"] for t in by_alice["txs"]] == [0, 1, 2]
    ranged = http.get("/txs", params={"module": "bank", "from_height": "2"}).json()
    assert [t["height"] for t in ranged["txs"]] == [2]
    assert http.get("/txs", params={"module": "nope"}).json()["txs"] == []
    assert http.get("/txs", params={"event": "bank.mint"}).json()["txs"] == []
    assert by_bob["indexed_height"] == 2


def test_search_pages_are_stable_while_blocks_arrive(http: TestClient, node: FakeNode) -> None:
    for nonce in range(5):
        commit(node, transfer(nonce))
    first = http.get("/txs", params={"account": BOB.address.hex(), "limit": "2"}).json()
    assert [t["height"] for t in first["txs"]] == [5, 4]
    commit(node, transfer(5))  # a new block on top does not shift the pages below
    rest: list[int] = []
    cursor = first["next_cursor"]
    while cursor is not None:
        page = http.get(
            "/txs", params={"account": BOB.address.hex(), "limit": "2", "cursor": cursor}
        ).json()
        rest += [t["height"] for t in page["txs"]]
        cursor = page["next_cursor"]
    assert rest == [3, 2, 1]
    again = http.get("/txs", params={"account": BOB.address.hex(), "limit": "2",
                                     "cursor": first["next_cursor"]}).json()
    assert [t["height"] for t in again["txs"]] == [3, 2]


@pytest.mark.parametrize(
    ("params", "code", "word"),
    [
        ({"cursor": "x"}, "invalid_cursor", "cursor"),
        ({"cursor": "1-²"}, "invalid_cursor", "cursor"),
        ({"limit": "0"}, "invalid_request", "limit"),
        ({"limit": "101"}, "invalid_request", "limit"),
        ({"order": "up"}, "invalid_request", "order"),
        ({"account": "ab"}, "invalid_address", "40"),
        ({"account": " " + "ab" * 20}, "invalid_address", "40"),
        ({"from_height": str(2**63)}, "invalid_request", "from_height"),
        ({"module": "bänk"}, "invalid_request", "module"),
    ],
)
def test_bad_search_parameters_are_400_naming_them(
    http: TestClient, params: dict[str, str], code: str, word: str
) -> None:
    assert_error(http.get("/txs", params=params), 400, code, word)


def test_search_without_an_index_is_503(node: FakeNode) -> None:
    node.index = None
    http = TestClient(create_app(node, node.registry))
    assert_error(http.get("/txs"), 503, "index_unavailable", "index")


# --- mempool and dry run --------------------------------------------------------------------


def test_mempool_shows_count_bytes_and_hashes(http: TestClient, node: FakeNode) -> None:
    txs = [transfer(n) for n in range(3)]
    for tx in txs:
        node.submit_tx(tx)
    view = http.get("/mempool", params={"limit": "2"}).json()
    assert view["txs"] == 3 and view["bytes"] == sum(len(t) for t in txs)
    assert len(view["hashes"]) == 2 and view["senders"] == 1
    assert_error(http.get("/mempool", params={"limit": "1001"}), 400, "invalid_request")


def test_dry_run_executes_without_committing(http: TestClient, node: FakeNode) -> None:
    signed = http.post("/txs/dry-run", json={"tx": transfer(0).hex()}).json()
    assert signed["ok"] is True and signed["signed"] is True and signed["height"] == 1
    too_much = http.post(
        "/txs/dry-run", json={"tx": transfer(0, amount=10**12).hex()}
    ).json()
    assert too_much["ok"] is False and too_much["error"]
    unsigned = {
        "sender": ALICE.address.hex(),
        "action": {"type": "bank.transfer", "to": BOB.address.hex(), "amount": 7},
    }
    answer = http.post("/txs/dry-run", json={"unsigned": unsigned}).json()
    assert answer["ok"] is True and answer["nonce"] == 0 and answer["signed"] is False
    assert node.height == 0 and len(node.mempool) == 0
    assert node.balance(BOB.address) == 0


def test_dry_run_refuses_what_admission_refuses(http: TestClient) -> None:
    assert_error(
        http.post("/txs/dry-run", json={"tx": transfer(3).hex()}), 400, "invalid_nonce",
        "expected 0",
    )
    forged = bytearray(transfer(0))
    forged[-1] ^= 1
    assert_error(http.post("/txs/dry-run", json={"tx": forged.hex()}), 400, "invalid_signature")
    unknown = {"sender": ALICE.address.hex(), "action": {"type": "bank.steal"}}
    assert_error(http.post("/txs/dry-run", json={"unsigned": unknown}), 400, "unknown_action")
    assert_error(http.post("/txs/dry-run", json={}), 400, "invalid_request", "exactly one")


# --- docs and CORS --------------------------------------------------------------------------


def test_docs_pages_use_their_own_assets_not_a_cdn(http: TestClient) -> None:
    page = http.get("/docs").text
    assert "/docs/assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "http" not in page.replace("http-equiv", "")
    script = http.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert "redoc.standalone.js" in http.get("/redoc").text
    assert_error(http.get("/docs/assets/..%2F..%2Fpyproject.toml"), 404, "not_found")
    assert_error(http.get("/docs/assets/core.py"), 404, "not_found")


def test_cors_only_for_configured_origins(node: FakeNode) -> None:
    closed = TestClient(create_app(node, node.registry))
    origin = {"Origin": "https://explorer.example"}
    assert "access-control-allow-origin" not in closed.get("/status", headers=origin).headers
    open_ = TestClient(create_app(node, node.registry, cors_origins=["https://explorer.example"]))
    allowed = open_.get("/status", headers=origin).headers
    assert allowed["access-control-allow-origin"] == "https://explorer.example"
    other = open_.get("/status", headers={"Origin": "https://evil.example"}).headers
    assert "access-control-allow-origin" not in other
