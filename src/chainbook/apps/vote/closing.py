"""Closing ballots at their heights: the begin-block hook, its bounded work, and the invariants.

Rules kept:
- A ballot is scheduled when it is created: a public ballot's result becomes final at
  close_height; a secret ballot closes its voting at close_height (`vote.closed`, reveals
  open) and its result becomes final at close_height + reveal_blocks. Each is an entry of the
  list under due/<height> (apps/vote/state.py), which the begin-block hook of that height
  reads, processes and deletes: no scan, and at most closings_per_height_max ballots per
  block (a create that would go past it is refused, vote.closing_height_full, naming the
  height), each costing two state reads and one write whatever its number of voters.
- The hook runs before the block's transactions, so a vote in the block at close_height is
  refused by the voting rule (heights [open_height, close_height)) and the result emitted at
  close_height counts every vote the ballot accepted. The phase it writes only serves
  queries: no action decides on it (the heights decide, as they do in the mempool, where the
  hook does not run).
- `vote.result` reports per option the counted weight and voters, the leading options (more
  than one on a tie, none when nothing was counted), and for secret ballots the unrevealed
  voters and weight (committed, never revealed).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.base import BlockContext, KVReader, KVStore
from chainbook.apps.vote import limits
from chainbook.apps.vote.errors import ClosingHeightFull
from chainbook.apps.vote.state import (
    BALLOT_PREFIX,
    DUE_PREFIX,
    TALLY_PREFIX,
    BallotRecord,
    DueEntry,
    DueKind,
    Phase,
    TallyRecord,
    compute_leading,
    due_key,
    get_ballot,
    get_due,
    get_tally,
    tally_key,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Height

MODULE_NAME = "vote"


def compute_schedule(record: BallotRecord) -> list[tuple[Height, DueKind]]:
    if record.secret:
        return [(record.close_height, DueKind.CLOSE), (record.final_height, DueKind.FINAL)]
    return [(record.close_height, DueKind.FINAL)]


def verify_closing_room(view: KVReader, ballot: str, close_height: Height, reveal: int) -> None:
    heights = [close_height, close_height + reveal] if reveal else [close_height]
    for height in heights:
        if len(get_due(view, height)) >= limits.closings_per_height_max:
            raise ClosingHeightFull(
                f"{limits.closings_per_height_max} ballots already end a phase at height "
                f"{height}, the most one block processes; give ballot {ballot!r} another "
                f"close_height"
            )


def process_schedule(view: KVStore, ballot: str, record: BallotRecord) -> None:
    for height, kind in compute_schedule(record):
        due = get_due(view, height)
        due.append(DueEntry(ballot, kind))
        view.set(due_key(height), codec.encode(due))


def describe_result(ballot: str, record: BallotRecord, tally: TallyRecord) -> Event:
    attributes = [
        ("ballot", ballot),
        ("weights", ",".join(str(w) for w in tally.weights)),
        ("votes", ",".join(str(v) for v in tally.votes)),
        ("leading", ",".join(str(i) for i in compute_leading(tally))),
        ("counted_voters", str(tally.counted_voters)),
        ("counted_weight", str(tally.counted_weight)),
        ("eligible_voters", str(record.voters)),
    ]
    if record.secret:
        attributes += [
            ("unrevealed_voters", str(tally.committed_voters - tally.counted_voters)),
            ("unrevealed_weight", str(tally.committed_weight - tally.counted_weight)),
        ]
    return Event(MODULE_NAME, "result", attributes)


def process_closings(view: KVStore, ctx: BlockContext) -> list[Event]:
    """begin_block: end the phase of every ballot due at this height."""
    due = get_due(view, ctx.height)
    if not due:
        return []
    assert len(due) <= limits.closings_per_height_max, (ctx.height, len(due))
    events = []
    for entry in due:
        record = get_ballot(view, entry.ballot)
        assert record is not None, f"ballot {entry.ballot!r} due at {ctx.height} is missing"
        tally = get_tally(view, entry.ballot)
        if entry.kind is DueKind.CLOSE:
            tally = msgspec.structs.replace(tally, phase=Phase.REVEALING)
            events.append(
                Event(
                    MODULE_NAME,
                    "closed",
                    [
                        ("ballot", entry.ballot),
                        ("committed_voters", str(tally.committed_voters)),
                        ("reveal_until_height", str(record.final_height - 1)),
                    ],
                )
            )
        else:
            tally = msgspec.structs.replace(tally, phase=Phase.FINAL)
            events.append(describe_result(entry.ballot, record, tally))
        view.set(tally_key(entry.ballot), codec.encode(tally))
    view.delete(due_key(ctx.height))
    return events


# --- invariants (asserted at every commit) --------------------------------------------------


def assert_tally(ballot: str, record: BallotRecord, tally: TallyRecord) -> None:
    options = len(record.options)
    assert len(tally.weights) == len(tally.votes) == options, (ballot, tally)
    assert min(tally.weights) >= 0 and min(tally.votes) >= 0, (ballot, tally)
    assert sum(tally.weights) == tally.counted_weight, (ballot, tally)
    assert sum(tally.votes) == tally.counted_voters, (ballot, tally)
    assert tally.counted_voters <= record.voters, (ballot, tally, record.voters)
    assert tally.counted_weight <= record.voters_weight, (ballot, tally, record.voters_weight)
    if record.secret:
        assert tally.counted_voters <= tally.committed_voters <= record.voters, (ballot, tally)
        assert tally.counted_weight <= tally.committed_weight, (ballot, tally)
    else:
        assert tally.committed_voters == tally.committed_weight == 0, (ballot, tally)


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    """Every changed tally adds up and stays within its ballot; phases only move forward; no
    due list holds more than one block may process."""
    for key in changed_keys:
        if key.startswith(TALLY_PREFIX):
            ballot = key[len(TALLY_PREFIX) :].decode()
            raw = after.get(key)
            assert raw is not None, f"tally of {ballot!r} deleted"
            tally = codec.decode(raw, TallyRecord)
            record = get_ballot(after, ballot)
            assert record is not None, f"tally of {ballot!r} without its ballot"
            assert_tally(ballot, record, tally)
            old = before.get(key)
            if old is not None:
                assert codec.decode(old, TallyRecord).phase <= tally.phase, (ballot, tally)
        elif key.startswith(DUE_PREFIX):
            raw = after.get(key)
            if raw is not None:
                assert len(codec.decode(raw, list[DueEntry])) <= limits.closings_per_height_max
        elif key.startswith(BALLOT_PREFIX):
            assert after.get(key) is not None, f"ballot deleted: {key!r}"


__all__ = [
    "assert_invariants",
    "assert_tally",
    "compute_schedule",
    "describe_result",
    "process_closings",
    "process_schedule",
    "verify_closing_room",
]
