"""A damaged SQLite book on real files: detected, reported with what to do, salvaged.

Every case ends the way a node's start-up ends: open_sqlite_book (salvaging if needed), then
core/book.py's open_book, which re-verifies the hash chain and replays every block through the
ledger (bank_chain.py's real transfers, so app hashes are checked). The store must hold exactly
the original blocks up to the height an independent oracle says was intact and readable, take
the rest as block sync would deliver it (save_block of the original blocks), and verify again.
The damaged file must be kept aside untouched.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from bank_chain import build_bank_chain
from killed_child import run_until_killed
from storage_chain import SavedBlock, save
from typer.testing import CliRunner, Result

from chainbook.chain.genesis import Genesis
from chainbook.chain.verify import verify_stored_chain
from chainbook.cli.main import app
from chainbook.core.book import open_book
from chainbook.errors import BookInUse, ConsensusRecordMissing, DamagedBookFile, StorageError
from chainbook.ledger.genesis import dump_genesis
from chainbook.ledger.state import LedgerState
from chainbook.storage import (
    FileConsensusRecordStore,
    MemoryConsensusRecordStore,
    SalvageReport,
    SqliteBlockStore,
    check_book_file,
    get_book_height_seen,
    load_signing_record,
    open_sqlite_book,
    salvage_book,
)
from chainbook.storage.sqlite import salvage as salvage_module
from chainbook.storage.stored_format import compress_block_receipts, encode_block_receipts

BLOCKS = 40
TXS_PER_BLOCK = 20
ACCOUNTS = 50
PAGE_BYTES = 4096
GENESIS, CHAIN = build_bank_chain(BLOCKS, TXS_PER_BLOCK, ACCOUNTS)


@pytest.fixture(scope="module")
def healthy_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node's book of the whole chain, closed cleanly (no -wal), built once."""
    path = tmp_path_factory.mktemp("healthy") / "book.sqlite"
    with SqliteBlockStore(path) as store:
        genesis_state = LedgerState.from_genesis(GENESIS)
        store.replace_state(genesis_state.kv, 0, genesis_state.app_hash)
        for saved in CHAIN:
            save(store, saved)
    for suffix in ("-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


@pytest.fixture
def book(healthy_book: Path, tmp_path: Path) -> Path:
    path = tmp_path / "book.sqlite"
    shutil.copy(healthy_book, path)
    return path


def pages_of(path: Path, table: str, pagetype: str | None = None) -> list[int]:
    """The page numbers of `table`'s B-tree and overflow pages (SQLite's dbstat), or only
    those of `pagetype` ('internal', 'leaf', 'overflow')."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND (? IS NULL OR pagetype = ?) "
            "ORDER BY pageno",
            (table, pagetype, pagetype),
        )
        return [pageno for (pageno,) in rows]
    finally:
        db.close()


def drop_last_block(book: Path) -> None:
    """The book of blocks 1..BLOCKS-1, as a node leaves it after a truncation at start-up."""
    with SqliteBlockStore(book) as store:
        store.truncate_from(BLOCKS)
        open_book(store, GENESIS)  # replays, and brings the state table back to the blocks
        assert store.latest_height() == store.load_state_meta().height == BLOCKS - 1


def overwrite_page(path: Path, pageno: int, seed: int) -> None:
    with path.open("r+b") as file:
        file.seek((pageno - 1) * PAGE_BYTES)
        file.write(random.Random(seed).randbytes(PAGE_BYTES))


def intact_prefix(damaged: Path, chain: list[SavedBlock]) -> int:
    """The oracle: the last height h such that blocks 1..h can be read from the damaged file
    and are byte for byte the original block and commit (read on a copy, so the file the
    salvage keeps aside is not touched)."""
    copy = damaged.with_name("oracle-copy.sqlite")
    shutil.copy(damaged, copy)
    if Path(f"{damaged}-wal").exists():
        shutil.copy(f"{damaged}-wal", f"{copy}-wal")
    db = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
    db.execute("PRAGMA writable_schema=ON")  # read what is left of a file cut short
    try:
        for saved in chain:
            try:
                row = db.execute(
                    'SELECT block, "commit" FROM blocks WHERE height = ?', (saved.height,)
                ).fetchone()
            except sqlite3.DatabaseError:
                return saved.height - 1
            if row is None or row[0] != saved.block_bytes:
                return saved.height - 1
        return len(chain)
    finally:
        db.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_usable_and_verified(
    store: SqliteBlockStore, genesis: Genesis, chain: list[SavedBlock], height: int
) -> None:
    """What a restarted node finds: blocks 1..height are the originals and verify and replay;
    the rest arrives by sync and the whole book verifies."""
    opened = open_book(store, genesis)
    assert opened.report.corrupt_height is None, opened.report
    assert opened.report.height == store.latest_height() == height
    for saved in chain[:height]:
        assert store.load_block_bytes(saved.height) == saved.block_bytes
        assert store.load_commit(saved.height) == saved.commit
        for receipt in saved.receipts[:3]:
            location = store.load_tx(receipt.tx_hash)
            assert location is not None and location.receipt == receipt
    for saved in chain[height:]:  # block sync
        save(store, saved)
    assert verify_stored_chain(store, genesis.chain_id, genesis).ok
    assert open_book(store, genesis).report.height == len(chain)


def assert_kept_aside(report: SalvageReport, book: Path, damaged_digest: str | None) -> None:
    damaged = Path(report.damaged_path)
    assert damaged == Path(f"{book}.damaged-1") and damaged.exists()
    if damaged_digest is not None:
        assert digest(damaged) == damaged_digest, "the damaged file is kept as it was found"
    assert str(damaged) in report.moved


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_page_overwritten_in_the_middle_of_the_blocks_table(book: Path, seed: int) -> None:
    pages = pages_of(book, "blocks")
    overwrite_page(book, pages[len(pages) // 2 + seed - 2], seed)
    damaged_digest = digest(book)
    oracle = intact_prefix(book, CHAIN)
    assert 0 < oracle < BLOCKS, "the damage hit a block in the middle"
    problem = check_book_file(book)
    assert problem is not None and "quick_check" in problem
    assert digest(book) == damaged_digest, "checking changes nothing"
    store, report = open_sqlite_book(book)
    assert report is not None and report.problem == problem
    assert report.kept_height >= oracle and report.last_height_seen == BLOCKS
    assert report.lost.startswith(f"blocks {report.kept_height + 1}..{BLOCKS}")
    assert_kept_aside(report, book, damaged_digest)
    assert_usable_and_verified(store, GENESIS, CHAIN, oracle)
    store.close()


def test_a_book_cut_to_half_keeps_the_blocks_in_the_half_left(book: Path) -> None:
    os.truncate(book, book.stat().st_size // 2)
    damaged_digest = digest(book)
    oracle = intact_prefix(book, CHAIN)
    assert 0 < oracle < BLOCKS
    store, report = open_sqlite_book(book)
    assert report is not None and "malformed" in report.problem
    assert report.kept_height == oracle
    # Where the cut falls decides whether the first lost block's row is gone or its blob is
    # cut short (pages past the end read as zeros): both stop the copy there.
    assert "cannot be read" in report.stopped or "does not decode" in report.stopped
    assert_kept_aside(report, book, damaged_digest)
    assert_usable_and_verified(store, GENESIS, CHAIN, oracle)
    store.close()


def test_garbage_appended_is_found_and_nothing_is_lost(book: Path) -> None:
    with book.open("ab") as file:
        file.write(random.Random(7).randbytes(10_000))
    damaged_digest = digest(book)
    store, report = open_sqlite_book(book)
    assert report is not None and "10000 past the end of its" in report.problem
    assert report.kept_height == BLOCKS and report.lost == "nothing"
    assert_kept_aside(report, book, damaged_digest)
    assert_usable_and_verified(store, GENESIS, CHAIN, BLOCKS)
    store.close()


def test_a_file_that_is_not_sqlite_becomes_an_empty_book_for_a_full_sync(book: Path) -> None:
    book.write_bytes(random.Random(8).randbytes(50_000))
    damaged_digest = digest(book)
    with pytest.raises(DamagedBookFile, match="file is not a database.*chainbook verify --home"):
        SqliteBlockStore(book)  # what the node did before: refused, with what to do
    store, report = open_sqlite_book(book)
    assert report is not None and "not a database" in report.problem
    assert report.kept_height == 0 and report.last_height_seen is None
    assert report.lost.startswith("unknown")
    assert_kept_aside(report, book, damaged_digest)
    assert_usable_and_verified(store, GENESIS, CHAIN, 0)
    store.close()


def test_a_salvaged_book_without_its_record_is_not_a_fresh_validator(book: Path) -> None:
    """The signing rule judges by the height the book had reached before the repair: a book
    salvaged down to nothing, beside a lost record, must still refuse to sign."""
    book.write_bytes(b"not sqlite" * 1000)
    store, report = open_sqlite_book(book)
    assert store.latest_height() == 0 and get_book_height_seen(store, report) == 1
    with pytest.raises(ConsensusRecordMissing):
        load_signing_record(MemoryConsensusRecordStore(), get_book_height_seen(store, report))
    store.close()
    healthy = book.parent / "healthy.sqlite"
    with SqliteBlockStore(healthy) as writer:
        for saved in CHAIN[:3]:
            save(writer, saved)
    store, report = open_sqlite_book(healthy)
    assert report is None and get_book_height_seen(store, report) == 3
    store.close()


@pytest.mark.parametrize(("checkpoint_pages", "seed"), [(0, 1), (40, 1), (40, 2), (4, 1), (4, 2)])
def test_the_wal_deleted_after_a_kill_9(tmp_path: Path, checkpoint_pages: int, seed: int) -> None:
    """The attack: kill -9 the writer, delete book.sqlite-wal and -shm, restart. The book is
    rolled back to its last checkpoint (checkpoint_pages 0: never checkpointed, so to
    nothing; 40: a few blocks back) or torn (4: a checkpoint after every block, which the kill
    may cut); it must open as a verified prefix of what was written, and the consensus record,
    in its own file, must still say how far the validator got: the guard against signing
    twice did not roll back with the book."""
    rng = random.Random(seed)
    book = tmp_path / "book.sqlite"
    args = [str(book), str(BLOCKS), str(TXS_PER_BLOCK), f"bank:{checkpoint_pages}"]
    durable = run_until_killed("kill_writer.py", args, rng.randrange(5, BLOCKS - 5), rng, 0.004)
    for suffix in ("-wal", "-shm"):
        Path(f"{book}{suffix}").unlink(missing_ok=True)
    store, report = open_sqlite_book(book)
    opened = open_book(store, GENESIS)  # truncates a book whose meta ran ahead of its rows
    height = opened.report.height
    assert height <= durable + 1
    if checkpoint_pages == 0:
        assert height == 0 < durable, "the whole -wal was lost: the book rolled back"
    if report is not None:
        assert Path(report.damaged_path).exists() and report.kept_height >= height
    record = FileConsensusRecordStore(f"{book}.record").load()
    assert record is not None and int(record.split(b"=")[1]) >= durable >= height - 1
    assert_usable_and_verified(store, GENESIS, CHAIN, height)
    store.close()


def test_truncate_from_on_a_damaged_file_is_a_typed_error_not_a_crash(book: Path) -> None:
    """The attack that made a node crash on every restart: the damage was detected
    (book_corrupt), then the repair's truncate_from died in sqlite3.DatabaseError."""
    leaves = pages_of(book, "blocks", "leaf")
    overwrite_page(book, leaves[len(leaves) // 2], 1)
    store = SqliteBlockStore(book)  # the old start-up: open as it is, no check
    with pytest.raises(DamagedBookFile, match="truncating it from height"):
        open_book(store, GENESIS)
    with pytest.raises(DamagedBookFile, match=f"{book} is damaged.*chainbook verify"):
        store.truncate_from(1)
    store.close()
    store, report = open_sqlite_book(book)  # the new start-up
    assert report is not None
    assert_usable_and_verified(
        store, GENESIS, CHAIN, intact_prefix(Path(report.damaged_path), CHAIN)
    )
    store.close()


def test_save_block_on_a_damaged_tx_index_is_a_typed_error(book: Path) -> None:
    drop_last_block(book)
    overwrite_page(book, pages_of(book, "txs")[0], 2)  # the tx index's root page
    with SqliteBlockStore(book) as store:  # opening reads no tx index page
        with pytest.raises(DamagedBookFile, match=f"saving block {BLOCKS}: database disk"):
            save(store, CHAIN[-1])
        assert store.latest_height() == BLOCKS - 1
    store, report = open_sqlite_book(book)
    assert report is not None and report.kept_height == BLOCKS - 1, "the blocks were intact"
    assert_usable_and_verified(store, GENESIS, CHAIN, BLOCKS - 1)
    store.close()


def test_a_row_written_behind_the_stores_back_is_damage_at_save_and_at_open(book: Path) -> None:
    drop_last_block(book)
    with SqliteBlockStore(book) as store:
        db = sqlite3.connect(book)
        with db:  # a row at the next height without meta: as if meta's update was lost
            db.execute(
                'INSERT INTO blocks(height, hash, "commit", receipts, block) '
                'SELECT ?, hash, "commit", receipts, block FROM blocks WHERE height = 1',
                (BLOCKS,),
            )
        db.close()
        with pytest.raises(DamagedBookFile, match=f"block row at height {BLOCKS} is already"):
            save(store, CHAIN[-1])
        assert store.latest_height() == BLOCKS - 1
    with pytest.raises(DamagedBookFile, match=f"holds height {BLOCKS}, past the latest"):
        SqliteBlockStore(book)
    assert check_book_file(book) is not None
    store, report = open_sqlite_book(book)
    assert report is not None
    # The stray row holds block 1's bytes, so it does not decode as block 40: not kept.
    assert report.kept_height == BLOCKS - 1 and "says height 1" in report.stopped
    assert_usable_and_verified(store, GENESIS, CHAIN, BLOCKS - 1)
    store.close()


def test_a_healthy_book_is_opened_as_it_is(book: Path) -> None:
    assert check_book_file(book) is None
    store, report = open_sqlite_book(book)
    assert report is None and store.latest_height() == BLOCKS
    assert_usable_and_verified(store, GENESIS, CHAIN, BLOCKS)
    store.close()
    assert not Path(f"{book}.damaged-1").exists()


def test_what_is_not_damage_is_refused_and_never_moved(tmp_path: Path, book: Path) -> None:
    db = sqlite3.connect(book)
    with db:
        db.execute("UPDATE meta SET value = 2 WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(StorageError, match="schema version 2") as refused:
        open_sqlite_book(book)
    assert not isinstance(refused.value, DamagedBookFile)
    foreign = tmp_path / "foreign.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(StorageError, match="not a chainbook store"):
        open_sqlite_book(foreign)
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []


def test_a_book_in_use_is_never_salvaged(book: Path) -> None:
    overwrite_page(book, pages_of(book, "blocks")[5], 3)
    holder = SqliteBlockStore(book)  # a running node (open does not read the damaged page)
    try:
        with pytest.raises(BookInUse, match="in use by another process"):
            open_sqlite_book(book)
        with pytest.raises(BookInUse):
            salvage_book(book)
        assert not Path(f"{book}.damaged-1").exists()
    finally:
        holder.close()
    store, report = open_sqlite_book(book)
    assert report is not None
    store.close()


def test_each_salvage_keeps_its_own_damaged_copy(book: Path) -> None:
    first = salvage_book(book, "by hand")
    assert first.damaged_path.endswith(".damaged-1") and first.kept_height == BLOCKS
    second = salvage_book(book, "by hand, again")
    assert second.damaged_path.endswith(".damaged-2") and second.kept_height == BLOCKS
    assert Path(first.damaged_path).exists()


def test_an_orphan_wal_is_moved_aside_before_a_book_is_created(tmp_path: Path) -> None:
    book = tmp_path / "book.sqlite"
    Path(f"{book}-wal").write_bytes(b"frames of some other book")
    assert check_book_file(book) == "its -wal file is there without the book file it belongs to"
    store, report = open_sqlite_book(book)
    assert report is not None and report.kept_height == 0
    assert report.moved == [f"{book}.damaged-1-wal"]
    assert store.latest_height() == 0
    store.close()


def test_a_gap_ends_the_copy(book: Path) -> None:
    db = sqlite3.connect(book)
    with db:
        db.execute("DELETE FROM blocks WHERE height = 20")
    db.close()
    report = salvage_book(book)
    assert report.kept_height == 19 and report.stopped == "there is no block 20 in the damaged file"
    assert report.lost.startswith(f"blocks 20..{BLOCKS}")


@pytest.mark.parametrize(
    ("receipts", "stopped"),
    [
        (bytes(40), "stored receipts of block 25 do not decompress"),
        (compress_block_receipts(encode_block_receipts([])), "20 txs but 0 receipts"),
    ],
    ids=["garbage", "too-few"],
)
def test_receipts_that_do_not_fit_the_block_end_the_copy(
    book: Path, receipts: bytes, stopped: str
) -> None:
    """Nothing at start-up reads the stored receipts (the replay recomputes them), so the
    salvage checks them: a block kept with garbage receipts would serve garbage receipts."""
    db = sqlite3.connect(book)
    with db:
        db.execute("UPDATE blocks SET receipts = ? WHERE height = 25", (receipts,))
    db.close()
    report = salvage_book(book)
    assert report.kept_height == 24 and stopped in report.stopped, report.stopped
    with SqliteBlockStore(book) as store:
        assert_usable_and_verified(store, GENESIS, CHAIN, 24)


def test_the_first_error_inside_a_transaction_is_the_one_reported(book: Path) -> None:
    """On a damaged file SQLite may end the transaction itself; the ROLLBACK that follows
    must not replace the error that explains what happened."""
    with SqliteBlockStore(book) as store:
        with pytest.raises(DamagedBookFile, match="the first error"), store._transaction():
            store._db.execute("ROLLBACK")  # the transaction ended under the store
            raise DamagedBookFile(str(book), "the first error")
        store.truncate_from(BLOCKS)  # the connection is usable again
        assert store.latest_height() == BLOCKS - 1


@pytest.mark.parametrize("crash_at", [1, 2, 3])
def test_a_crash_between_the_renames_leaves_nothing_a_restart_misreads(
    book: Path, monkeypatch: pytest.MonkeyPatch, crash_at: int
) -> None:
    """Killed after 0, 1 or 2 of the 3 renames (-wal, -shm, the file): the next start finds a
    book it salvages again, or a -wal without its book (moved aside before a fresh book is
    made), never a -wal applied to a book it does not belong to."""
    overwrite_page(book, pages_of(book, "blocks", "leaf")[-3], 6)
    Path(f"{book}-wal").write_bytes(b"")  # as a stopped node's book has
    Path(f"{book}-shm").write_bytes(b"")
    oracle = intact_prefix(book, CHAIN)
    real_replace = os.replace
    renames: list[str] = []

    def replace(source: str, target: str) -> None:
        renames.append(source)
        if len(renames) == crash_at:
            raise KeyboardInterrupt("killed between renames")
        real_replace(source, target)

    monkeypatch.setattr(salvage_module.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        open_sqlite_book(book)
    monkeypatch.undo()
    store, report = open_sqlite_book(book)  # the restart
    assert report is not None
    assert_usable_and_verified(store, GENESIS, CHAIN, oracle)
    store.close()


def test_a_crash_in_the_middle_of_a_salvage_leaves_a_healthy_shorter_book(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overwrite_page(book, pages_of(book, "blocks")[-2], 4)
    monkeypatch.setattr(salvage_module, "SALVAGE_BATCH_BLOCKS", 5)
    real_append = SqliteBlockStore.append_stored_blocks
    appended: list[int] = []

    def crash_after_one_batch(self: SqliteBlockStore, rows: list) -> None:  # type: ignore[type-arg]
        if appended:
            raise KeyboardInterrupt("killed in the middle of the salvage")
        appended.append(len(rows))
        real_append(self, rows)

    monkeypatch.setattr(SqliteBlockStore, "append_stored_blocks", crash_after_one_batch)
    with pytest.raises(KeyboardInterrupt):
        open_sqlite_book(book)
    monkeypatch.undo()
    assert check_book_file(book) is None, "the fresh book is healthy"
    store, report = open_sqlite_book(book)
    assert report is None and store.latest_height() == 5
    assert_usable_and_verified(store, GENESIS, CHAIN, 5)
    store.close()
    assert Path(f"{book}.damaged-1").exists(), "the rest is still in the copy kept aside"


@pytest.fixture
def damaged_home(book: Path) -> Path:
    """A stopped node's home (genesis + book) whose book has a page overwritten."""
    home = book.parent / "home"
    (home / "data").mkdir(parents=True)
    (home / "genesis.json").write_bytes(dump_genesis(GENESIS))
    leaves = pages_of(book, "blocks", "leaf")
    overwrite_page(book, leaves[len(leaves) // 2], 5)
    shutil.move(book, home / "data" / "book.sqlite")
    return home


def verify(home: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["verify", "--home", str(home), *args], env={"COLUMNS": "250"})


def test_verify_no_repair_only_reports_the_damage(damaged_home: Path) -> None:
    book = damaged_home / "data" / "book.sqlite"
    before = digest(book)
    result = verify(damaged_home, "--no-repair")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"the book file {book} is damaged: SQLite: database disk image is malformed" in (
        result.output
    )
    assert "without --no-repair" in result.output
    assert digest(book) == before and not Path(f"{book}.damaged-1").exists()


def test_verify_salvages_and_verifies_what_it_kept(damaged_home: Path) -> None:
    book = damaged_home / "data" / "book.sqlite"
    oracle = intact_prefix(book, CHAIN)
    result = verify(damaged_home)
    assert result.exit_code == 0, result.output
    assert "salvaged" in result.output and "book verified" in result.output
    assert f"lost: blocks {oracle + 1}..{BLOCKS}" in result.output
    assert Path(f"{book}.damaged-1").exists()
    with SqliteBlockStore(book) as store:
        assert store.latest_height() == oracle
    result = verify(damaged_home, "--no-repair")  # healthy now
    assert result.exit_code == 0 and "book verified" in result.output


def test_verify_of_a_folder_that_is_no_home_touches_nothing(tmp_path: Path) -> None:
    result = verify(tmp_path)
    assert result.exit_code == 1 and result.output.startswith("error:")
    assert list(tmp_path.iterdir()) == []
