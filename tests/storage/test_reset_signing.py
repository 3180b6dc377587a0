"""`chainbook node reset-signing`: the operator's way out when a validator's consensus record
was lost, and the guard it writes, checked against the real consensus machine.

The rule (storage/consensus_record.py): no record beside a non-empty book -> refuse to sign;
the command writes a record that guards every height <= N.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from storage_chain import build_chain, save
from typer.testing import CliRunner

from chainbook import codec, limits
from chainbook.chain.block import Block
from chainbook.chain.commit import NIL, VoteType
from chainbook.chain.validators import ValidatorSet
from chainbook.cli.main import app
from chainbook.cli.node import compute_signing_guard_record
from chainbook.consensus.effects import Broadcast, SaveConsensusRecord
from chainbook.consensus.events import TimeoutElapsed, TimeoutKind
from chainbook.consensus.machine import ConsensusMachine, ConsensusRecord
from chainbook.consensus.messages import VoteMessage
from chainbook.crypto import PrivateKey
from chainbook.errors import ConsensusRecordMissing
from chainbook.keyfile import write_key_file
from chainbook.sim.config import SIM_CONSENSUS_PARAMS
from chainbook.storage import (
    FileConsensusRecordStore,
    SqliteBlockStore,
    consensus_record_path,
    load_signing_record,
)
from tests.support import CHAIN_ID, make_genesis, validator_keys

BOOK_BLOCKS = 5


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A validator's home whose book holds 5 blocks and whose record file is gone."""
    root = tmp_path / "node0"
    (root / "data").mkdir(parents=True)
    write_key_file(root / "node_key.json", PrivateKey.from_label("reset-signing-node"))
    with SqliteBlockStore(root / "data" / "book.sqlite") as store:
        for saved in build_chain(BOOK_BLOCKS):
            save(store, saved)
    return root


def reset(home: Path, *args: str) -> object:
    return CliRunner().invoke(
        app, ["node", "reset-signing", "--home", str(home), *args], env={"COLUMNS": "250"}
    )


def record_file(home: Path) -> FileConsensusRecordStore:
    return FileConsensusRecordStore(consensus_record_path(home))


def test_a_lost_record_refuses_until_the_operator_resets_it(home: Path) -> None:
    records = record_file(home)
    with pytest.raises(ConsensusRecordMissing, match="reset-signing"):
        load_signing_record(records, BOOK_BLOCKS)
    result = reset(home, "--above-height", "120")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "will not sign at any height <= 120" in result.output  # type: ignore[attr-defined]
    assert "signs again from height 121" in result.output  # type: ignore[attr-defined]
    record = load_signing_record(records, BOOK_BLOCKS)
    assert record == compute_signing_guard_record(120)
    decoded = codec.decode(record, ConsensusRecord)
    assert decoded.signed_position == (120, limits.round_max, 2) and decoded.height == 0


class _NoBlocksLedger:
    """A ConsensusLedger for a machine that is never asked to build or judge a block here."""

    def __init__(self, validators: ValidatorSet) -> None:
        self.validators = validators

    def get_validators(self, height: int) -> ValidatorSet:
        return self.validators

    def build_block(self, *args: object) -> Block:
        raise AssertionError("not the proposer: never asked to build")

    def verify_block(self, block: Block) -> None:
        raise AssertionError("no proposal in this test")

    def verify_block_time(self, block: Block, now_ms: int) -> None:
        raise AssertionError("no proposal in this test")


@pytest.mark.parametrize(("height", "may_sign"), [(1, False), (119, False), (120, False),
                                                  (121, True)])  # fmt: skip
def test_the_guard_stops_the_machine_signing_at_every_height_up_to_n(
    height: int, may_sign: bool
) -> None:
    """The machine restored from the guard for N = 120, at `height`: its prevote (nil, at the
    propose timeout) is refused at and below N and signed above it."""
    keys = validator_keys(4)
    validators = make_genesis(validators=keys).validator_set
    # A validator that is not the proposer of (height, 0): it only prevotes.
    proposer = validators.get_proposer(height, 0).address
    key = next(k for k in keys if k.address != proposer)
    machine = ConsensusMachine(
        chain_id=CHAIN_ID,
        ledger=_NoBlocksLedger(validators),
        params=SIM_CONSENSUS_PARAMS,
        key=key,
        height=height,
        last_commit=None,
        record=compute_signing_guard_record(120),
    )
    machine.start(0)
    effects = machine.step(TimeoutElapsed(TimeoutKind.PROPOSE, height, 0), 10_000)
    votes = [
        e.message.vote.vote
        for e in effects
        if isinstance(e, Broadcast) and isinstance(e.message, VoteMessage)
    ]
    persisted = [e for e in effects if isinstance(e, SaveConsensusRecord)]
    if may_sign:
        assert [(v.type, v.height, v.block_hash) for v in votes] == [
            (VoteType.PREVOTE, height, NIL)
        ]
        assert persisted, "persisted before it is sent"
        assert effects.index(persisted[0]) < next(
            i for i, e in enumerate(effects) if isinstance(e, Broadcast)
        )
    else:
        assert votes == [] and persisted == []
        assert machine.counters["sign_refused"] >= 1


def test_an_existing_record_is_not_overwritten_without_force(home: Path) -> None:
    records = record_file(home)
    records.save(compute_signing_guard_record(7))
    before = records.path.read_bytes()
    result = reset(home, "--above-height", "50")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    output = result.output  # type: ignore[attr-defined]
    assert "already exists" in output and "last signed at height 7" in output
    assert "--force" in output and "Traceback" not in output
    assert records.path.read_bytes() == before
    result = reset(home, "--above-height", "50", "--force")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert records.load() == compute_signing_guard_record(50)


def test_force_does_not_lower_a_guard(home: Path) -> None:
    records = record_file(home)
    records.save(compute_signing_guard_record(300))
    result = reset(home, "--above-height", "200", "--force")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "signed at height 300" in result.output  # type: ignore[attr-defined]
    assert records.load() == compute_signing_guard_record(300)


def test_a_damaged_record_is_replaced_only_with_force(home: Path) -> None:
    records = record_file(home)
    records.save(compute_signing_guard_record(9))
    records.path.write_bytes(records.path.read_bytes()[:-1])  # torn
    result = reset(home, "--above-height", "50")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "pass --force to replace it" in result.output  # type: ignore[attr-defined]
    result = reset(home, "--above-height", "50", "--force")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert records.load() == compute_signing_guard_record(50)


def test_a_height_below_the_book_is_refused(home: Path) -> None:
    result = reset(home, "--above-height", str(BOOK_BLOCKS - 1))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert f"below this node's own book height {BOOK_BLOCKS}" in result.output  # type: ignore[attr-defined]
    assert not record_file(home).exists()
    assert reset(home, "--above-height", str(BOOK_BLOCKS)).exit_code == 0  # type: ignore[attr-defined]


def test_a_height_under_one_is_a_usage_error(home: Path) -> None:
    result = reset(home, "--above-height", "0")
    assert result.exit_code == 2 and not record_file(home).exists()  # type: ignore[attr-defined]


def test_refused_while_the_node_runs(home: Path) -> None:
    running = SqliteBlockStore(home / "data" / "book.sqlite")  # the node holds its book
    try:
        result = reset(home, "--above-height", "50")
        assert result.exit_code == 1  # type: ignore[attr-defined]
        assert "in use by another process" in result.output  # type: ignore[attr-defined]
        assert not record_file(home).exists()
    finally:
        running.close()


def test_refused_where_there_is_no_node_key(tmp_path: Path) -> None:
    result = reset(tmp_path, "--above-height", "50")
    assert result.exit_code == 1 and "node_key.json" in result.output  # type: ignore[attr-defined]
    assert not record_file(tmp_path).exists()


def test_a_fresh_home_without_a_book_gets_the_guard(home: Path) -> None:
    for path in (home / "data").iterdir():
        path.unlink()
    result = reset(home, "--above-height", "3")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert load_signing_record(record_file(home), 0) == compute_signing_guard_record(3)
