"""The transaction index against an oracle: a seeded chain of bank and notes transactions
(ok and failed, several senders, block rewards), indexed in batches by the embedded SQLite
index and by a real PostgreSQL server; every search is compared with a plain filter over the
entries, walked page by page in both orders, and the two backends must agree exactly."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx
from chainbook.index.base import SqlIndex
from chainbook.index.entries import IndexedBlock, IndexedTx, compute_block_entries
from chainbook.index.search import TxSearch, parse_cursor
from chainbook.index.sqlite_index import SqliteTxIndex
from chainbook.ledger.receipts import Event
from tests.apps.notes import Delete, Post
from tests.apps.notes.registry import REGISTRY as NOTES_REGISTRY
from tests.support import CAROL, DAVE
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode

SEED = 20261201
KEYS = [ALICE, BOB, CAROL, DAVE]


def build_chain(heights: int = 12) -> list[IndexedBlock]:
    """A seeded chain through the real ledger; its entries, height by height."""
    rng = random.Random(SEED)
    node = FakeNode(registry=NOTES_REGISTRY, block_reward=3)
    node.index = None
    nonces = dict.fromkeys(range(len(KEYS)), 0)
    blocks: list[IndexedBlock] = []
    for height in range(1, heights + 1):
        if height % 4 == 0:  # an overdraft straight into a block: a failed receipt
            tx = sign_tx(ALICE, CHAIN_ID, nonces[0], Transfer(to=BOB.address, amount=10**12))
            nonces[0] += 1
            block = node.commit_txs([tx])
            blocks.append(
                compute_block_entries(
                    block, node.receipts[height], _block_events(node, height), NOTES_REGISTRY
                )
            )
            continue
        for _ in range(rng.randrange(0, 6)):
            who = 0 if height < 3 else rng.randrange(len(KEYS))
            key = KEYS[who]
            choice = rng.random()
            if choice < 0.5:
                to = KEYS[rng.randrange(len(KEYS))].address
                amount = rng.choice([1, 5, 10**9])  # 10**9: an overdraft, a failed receipt
                action: object = Transfer(to=to, amount=amount, memo="")
            elif choice < 0.8:
                action = Post(id=f"n{rng.randrange(4)}", text="hello")
            else:
                action = Delete(id=f"n{rng.randrange(4)}")
            try:
                node.submit_tx(sign_tx(key, CHAIN_ID, nonces[who], action))  # type: ignore[arg-type]
            except Exception:
                continue
            nonces[who] += 1
        block = node.commit_pending()
        blocks.append(
            compute_block_entries(
                block, node.receipts[height], _block_events(node, height), NOTES_REGISTRY
            )
        )
    return blocks


def _block_events(node: FakeNode, height: int) -> list[Event]:
    # The FakeNode publishes each block's events to its hub; the ring keeps them.
    recent = node.events.get_recent(height)
    assert recent is not None
    return recent.block_events


CHAIN = build_chain()
ALL_TXS: list[IndexedTx] = [tx for block in CHAIN for tx in block.txs]


def is_match(tx: IndexedTx, search: TxSearch) -> bool:
    return (
        (search.account is None or search.account in tx.accounts)
        and (search.module is None or tx.module == search.module)
        and (search.event_type is None or search.event_type in tx.event_types)
        and (search.action is None or tx.action == search.action)
        and (search.from_height is None or tx.height >= search.from_height)
        and (search.to_height is None or tx.height <= search.to_height)
    )


def expected(search: TxSearch) -> list[tuple[int, int]]:
    found = [(t.height, t.index) for t in ALL_TXS if is_match(t, search)]
    return found if search.order == "asc" else found[::-1]


def walk(index: SqlIndex, search: TxSearch) -> list[tuple[int, int]]:
    """Every page of a search, following next_cursor."""
    seen: list[tuple[int, int]] = []
    after = None
    for _ in range(len(ALL_TXS) + 2):
        page = index.search(TxSearch(**{**_fields(search), "after": after}))
        seen += [(hit.height, hit.index) for hit in page.txs]
        if page.next_cursor is None:
            return seen
        after = parse_cursor(page.next_cursor)
    raise AssertionError("pages never ended")


def _fields(search: TxSearch) -> dict[str, object]:
    return {name: getattr(search, name) for name in search.__struct_fields__}


SEARCHES = [
    TxSearch(**filters, order=order, limit=limit)  # type: ignore[arg-type]
    for filters in (
        {},
        {"account": BOB.address},
        {"account": CAROL.address},
        {"account": DAVE.address, "module": "bank"},
        {"module": "notes"},
        {"action": "notes.delete"},
        {"event_type": "notes.posted"},
        {"event_type": "notes.posted", "account": ALICE.address},
        {"from_height": 4, "to_height": 9},
        {"module": "bank", "from_height": 10},
        {"account": bytes(20)},
    )
    for order in ("desc", "asc")
    for limit in (1, 3, 100)
]


def write_in_batches(index: SqlIndex) -> None:
    rng = random.Random(SEED)
    at = 0
    while at < len(CHAIN):
        size = rng.randrange(1, 5)
        index.write_blocks(CHAIN[at : at + size])
        at += size


@pytest.fixture
def sqlite_index(tmp_path: Path) -> Iterator[SqliteTxIndex]:
    index = SqliteTxIndex(tmp_path / "index.sqlite")
    write_in_batches(index)
    yield index
    index.close()


@pytest.fixture
def postgres_index(postgres_dsn: str, request: pytest.FixtureRequest) -> Iterator[SqlIndex]:
    from chainbook.index.postgres_index import PostgresTxIndex

    schema = "t_" + str(abs(hash(request.node.name)) % 10**9)
    index = PostgresTxIndex(postgres_dsn, schema)
    write_in_batches(index)
    yield index
    index._writer.execute(f"DROP SCHEMA {schema} CASCADE")
    index.close()


def test_the_chain_exercises_what_the_index_keeps() -> None:
    assert any(not t.ok for t in ALL_TXS) and any(t.module == "notes" for t in ALL_TXS)
    assert any("notes.posted" in t.event_types for t in ALL_TXS)
    assert all(b.block_events for b in CHAIN)  # every block has its mint
    assert len({t.sender for t in ALL_TXS}) >= 3


@pytest.mark.parametrize("search", SEARCHES, ids=repr)
def test_sqlite_search_matches_the_oracle(sqlite_index: SqliteTxIndex, search: TxSearch) -> None:
    assert walk(sqlite_index, search) == expected(search)


def test_postgres_answers_exactly_as_sqlite(
    sqlite_index: SqliteTxIndex, postgres_index: SqlIndex
) -> None:
    assert postgres_index.indexed_height() == sqlite_index.indexed_height() == len(CHAIN)
    for search in SEARCHES:
        assert walk(postgres_index, search) == walk(sqlite_index, search) == expected(search)
        assert postgres_index.search(search) == sqlite_index.search(search)
    for height in (1, 5, len(CHAIN)):
        events = sqlite_index.get_block_events(height)
        assert events is not None and events == postgres_index.get_block_events(height)
    postgres_index.truncate_from(6)
    sqlite_index.truncate_from(6)
    for search in SEARCHES[:6]:
        assert postgres_index.search(search) == sqlite_index.search(search)


def test_block_events_are_kept_per_height(sqlite_index: SqliteTxIndex) -> None:
    events = sqlite_index.get_block_events(1)
    assert events is not None and [(e.module, e.kind) for e in events] == [("bank", "mint")]
    assert sqlite_index.get_block_events(len(CHAIN) + 1) is None


def test_truncate_forgets_the_cut_heights_and_refeeds(sqlite_index: SqliteTxIndex) -> None:
    sqlite_index.truncate_from(5)
    assert sqlite_index.indexed_height() == 4
    assert all(h < 5 for h, _ in walk(sqlite_index, TxSearch(limit=100)))
    assert sqlite_index.get_block_events(5) is None
    sqlite_index.write_blocks(CHAIN[4:])
    assert walk(sqlite_index, TxSearch(limit=100)) == expected(TxSearch(limit=100))


def test_a_gap_or_an_overlap_is_refused(tmp_path: Path) -> None:
    index = SqliteTxIndex(tmp_path / "i.sqlite")
    index.write_blocks(CHAIN[:2])
    with pytest.raises(AssertionError):
        index.write_blocks(CHAIN[3:4])  # height 4 after 2
    with pytest.raises(AssertionError):
        index.write_blocks(CHAIN[1:2])  # height 2 again
    assert index.indexed_height() == 2  # nothing of the refused batches was written
    index.close()


def test_the_index_survives_reopening(tmp_path: Path) -> None:
    index = SqliteTxIndex(tmp_path / "i.sqlite")
    index.write_blocks(CHAIN[:3])
    index.close()
    reopened = SqliteTxIndex(tmp_path / "i.sqlite")
    assert reopened.indexed_height() == 3
    assert walk(reopened, TxSearch(to_height=3, limit=100)) == expected(
        TxSearch(to_height=3, limit=100)
    )
    reopened.close()


def test_an_index_of_another_layout_is_dropped_and_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE index_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT INTO index_meta VALUES ('indexed_height', 7), ('schema_version', 1);"
        "CREATE TABLE index_txs (height INTEGER, idx INTEGER, hash BLOB);"
    )
    old.commit()
    old.close()
    index = SqliteTxIndex(path)
    assert index.indexed_height() == 0  # forgotten: the node's replay refeeds it
    write_in_batches(index)
    assert walk(index, TxSearch(limit=100)) == expected(TxSearch(limit=100))
    index.close()
    assert SqliteTxIndex(path).indexed_height() == len(CHAIN)  # kept when the layout is current
