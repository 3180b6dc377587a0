"""The node's first look at its book (runtime/book_start.py): a genesis other than the book's is
refused before anything may write to the book, even the salvage a damaged file would get."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from chainbook import testnet
from chainbook.errors import GenesisMismatch
from chainbook.ledger.genesis import dump_genesis, load_genesis
from chainbook.runtime.book_start import refuse_foreign_genesis
from chainbook.runtime.node import Node
from chainbook.storage import SqliteBlockStore
from chainbook.testnet.synthetic_book import validator_keys, write_blocks


def home_with_book(tmp_path: Path, blocks: int) -> testnet.Testnet:
    net = testnet.init_testnet(tmp_path / "net", validators=1, seed="synthetic")
    home = net.home("node0")
    genesis = load_genesis(home.genesis_path.read_bytes())
    with SqliteBlockStore(home.book_path) as store:
        write_blocks(store, genesis, validator_keys(net), blocks)
    return net


def swap_genesis(net: testnet.Testnet) -> bytes:
    home = net.home("node0")
    genesis = load_genesis(home.genesis_path.read_bytes())
    other = msgspec.structs.replace(genesis, genesis_time_ms=genesis.genesis_time_ms + 1)
    home.genesis_path.write_bytes(dump_genesis(other))
    return other.hash


def test_a_damaged_book_of_another_genesis_is_not_even_salvaged(tmp_path: Path) -> None:
    net = home_with_book(tmp_path, 20)
    home = net.home("node0")
    db = sqlite3.connect(home.book_path)
    with db:  # damage the salvage would act on: a tx index row past the latest height
        db.execute("INSERT INTO txs(key, height, idx) VALUES (1, 999, 0)")
    db.close()
    swap_genesis(net)
    before = sorted(p.name for p in home.data_dir.iterdir())
    with pytest.raises(GenesisMismatch):
        Node(home)
    assert sorted(p.name for p in home.data_dir.iterdir()) == before, "nothing moved aside"


def test_a_readable_book_is_judged_read_only(tmp_path: Path) -> None:
    net = home_with_book(tmp_path, 5)
    home = net.home("node0")
    other_hash = swap_genesis(net)
    genesis = load_genesis(home.genesis_path.read_bytes())
    assert genesis.hash == other_hash
    with pytest.raises(GenesisMismatch, match=other_hash.hex()):
        refuse_foreign_genesis(home.book_path, genesis)
    # No book yet, or one that cannot be read: left to the normal opening.
    refuse_foreign_genesis(tmp_path / "none.sqlite", genesis)
    (tmp_path / "junk.sqlite").write_bytes(b"not a database")
    refuse_foreign_genesis(tmp_path / "junk.sqlite", genesis)


def test_a_wrong_passphrase_stops_the_node_before_its_book_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainbook import keyfile

    net = home_with_book(tmp_path, 5)
    home = net.home("node0")
    fast = keyfile.KdfCost(opslimit=1, memlimit_bytes=64 * 1024)
    keyfile.encrypt_key_file(home.key_path, b"the right one", fast)
    monkeypatch.setenv(keyfile.PASSPHRASE_ENV, "a wrong one")

    def files() -> list[tuple[str, int, int]]:
        found = home.root.rglob("*")
        return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in found)

    before = files()
    with pytest.raises(keyfile.WrongPassphrase, match="wrong passphrase"):
        Node(home)
    assert files() == before
