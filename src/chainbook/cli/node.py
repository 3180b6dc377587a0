"""`chainbook node`: run a node, and reset its signing guard after the record was lost."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chainbook.cli.output import UserError, console, friendly_errors, import_optional

if TYPE_CHECKING:
    from chainbook.storage import FileConsensusRecordStore

node_app = typer.Typer(help="Run a node.", no_args_is_help=True)


@node_app.command("start")
def node_start(
    home: Annotated[Path, typer.Option("--home", help="The node's home folder.")],
) -> None:
    """Run a node in the foreground until SIGTERM or Ctrl-C."""
    from chainbook.runtime.home import Home

    with friendly_errors():
        Home(home.resolve()).verify()
        run_node = import_optional("chainbook.runtime.node", "run_node", "the node runtime")
        try:
            run_node(home.resolve())
        except KeyboardInterrupt:
            return


HEIGHT_MAX = 2**63 - 1
"""The largest --above-height accepted (heights are stored as SQLite integers)."""


@node_app.command("reset-signing")
def node_reset_signing(
    home: Annotated[Path, typer.Option("--home", help="The node's home folder.")],
    above_height: Annotated[
        int,
        typer.Option(
            "--above-height",
            min=1,
            max=HEIGHT_MAX,
            help="Sign again only above this height: at or above the network's current height.",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing (or damaged) consensus record.")
    ] = False,
) -> None:
    """Write a consensus record that forbids signing at every height <= --above-height.

    For a validator whose consensus record was lost or damaged (the node refuses to sign and
    says so): what it signed is unknown, so it must not sign at any height the network may
    not have passed. Stop the node, read the network's current height from a peer
    (`chainbook status`), and pass that or more. Refused while the node runs, below the
    node's own book height, and over an existing record unless --force.
    """
    with friendly_errors():
        path = reset_signing(home.resolve(), above_height, force=force)
        console.print(
            f"wrote {path}: this validator will not sign at any height <= {above_height}; "
            f"it signs again from height {above_height + 1}"
        )


def reset_signing(home: Path, above_height: int, *, force: bool) -> Path:
    """The command's work (see node_reset_signing); returns the record's path."""
    from chainbook.runtime.home import Home
    from chainbook.storage import FileConsensusRecordStore, SqliteBlockStore, consensus_record_path
    from chainbook.storage.sqlite import BookLock

    home_ = Home(home)
    home_.load_key()  # the record belongs beside a node key: no key, no validator here
    records = FileConsensusRecordStore(consensus_record_path(home))
    book_path = home_.book_path
    if not book_path.exists():
        _write_guard(records, above_height, 0, force=force)
        return records.path
    # Holding the book's lock keeps a running node (which would overwrite the record with
    # its own) from running beside this: BookInUse while it runs.
    store = SqliteBlockStore(book_path, lock=BookLock(book_path))
    try:
        _write_guard(records, above_height, store.latest_height(), force=force)
    finally:
        store.close()
    return records.path


def _write_guard(
    records: FileConsensusRecordStore, above_height: int, book_height: int, *, force: bool
) -> None:
    from chainbook.errors import DamagedConsensusRecord

    if above_height < book_height:
        raise UserError(
            f"--above-height {above_height} is below this node's own book height "
            f"{book_height}: the network is at least there. Pass the network's current "
            f"height (any peer's `chainbook status`) or more"
        )
    if records.exists():
        try:
            existing = records.load()
        except DamagedConsensusRecord as exc:
            if not force:
                raise UserError(f"{exc.problem}; pass --force to replace it") from None
        else:
            assert existing is not None
            signed_height = signed_height_of(existing)
            if not force:
                raise UserError(
                    f"a consensus record already exists at {records.path} "
                    f"({describe_signed_height(signed_height)}): the node resumes from it and "
                    "needs no reset. Pass --force to replace it anyway"
                )
            if signed_height is not None and signed_height > above_height:
                raise UserError(
                    f"the existing record says this validator signed at height "
                    f"{signed_height}: --above-height must be at least that (it is "
                    f"{above_height}); --force does not lower a guard"
                )
    records.save(compute_signing_guard_record(above_height))


def compute_signing_guard_record(height: int) -> bytes:
    """A consensus record that makes the machine refuse to sign at every height <= `height`.

    Its signed position is (height, limits.round_max, precommit): every (h, r, step) with
    h <= height compares at or below it, since no round goes past round_max (the machine
    halts there). Its own height is 0, which no machine is at, so only the guard is restored:
    no round, lock or valid block. Belongs with consensus/machine.py's ConsensusRecord; kept
    here while that module is being rewritten.
    """
    from chainbook import codec, limits
    from chainbook.chain.commit import NIL
    from chainbook.consensus.machine import ConsensusRecord

    precommit_step = 2
    record = ConsensusRecord(
        height=0,
        round=0,
        locked_round=-1,
        locked_hash=NIL,
        valid_round=-1,
        valid_block=None,
        valid_polka=[],
        signed_position=(height, limits.round_max, precommit_step),
        signed_votes=[],
        signed_proposal=None,
    )
    return codec.encode(record)


def signed_height_of(record: bytes) -> int | None:
    """The height of the last signed position in a stored record; 0 for FRESH_RECORD (nothing
    signed); None when the bytes are not a consensus record this chainbook reads."""
    from chainbook import codec
    from chainbook.consensus.machine import ConsensusRecord
    from chainbook.errors import DecodeError

    if not record:
        return 0
    try:
        return codec.decode(record, ConsensusRecord).signed_position[0]
    except DecodeError:
        return None


def describe_signed_height(signed_height: int | None) -> str:
    if signed_height is None:
        return "its contents are not a record this chainbook reads"
    if signed_height == 0:
        return "nothing signed yet"
    return f"last signed at height {signed_height}"


__all__ = ["compute_signing_guard_record", "node_app", "reset_signing"]
