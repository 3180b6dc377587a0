"""Changes that passed, waiting for their activation height; and what happens at that height.

Rules kept:
- A proposal that passes in block H is scheduled for its stated activation height, or for
  H + 2 when it named none; the deadline rule (deadline + 2 <= activation) makes every stated
  one at least H + 2. Two heights, as CometBFT applies end-block updates: the validator set
  and the parameters of heights H + 1 and H + 2 are then fixed by the committed state at H, so
  consensus knows the set of the next height before it starts (the machine checks next-height
  messages against it), and the header of block H + 1 names the set of H + 2 as its
  next_validators_hash, which is what a light client follows.
- `verify_change` is the one check of a change, run when it is proposed and again when it
  passes (the state may have moved meanwhile): a validator change is simulated on the stored
  set with every scheduled change (apps/governance/valset.py), an institution change against
  the registry and the schedule, a parameter against its range, a proposer list against its
  bound. At most limits.scheduled_changes_max changes wait at once.
- At the beginning of each block h (`process_due_changes`), the changes due at h leave the
  schedule and take effect, in seq order: validator changes become the stored set of h,
  parameters their new values, institutions and proposers their new records; each proposal
  becomes `executed` (or `failed` with the reason, should a change no longer apply) and each
  executed change is appended to the history.
"""

from __future__ import annotations

from chainbook.apps.base import KVReader, KVStore
from chainbook.apps.governance import limits
from chainbook.apps.governance.actions import (
    Change,
    RegisterInstitution,
    RevokeInstitution,
    RotateValidatorKey,
    SetParameter,
    SetProposer,
    UpdateInstitution,
    get_change_kind,
)
from chainbook.apps.governance.errors import InvalidProposal
from chainbook.apps.governance.institutions import (
    process_institution_change,
    verify_institution_change,
)
from chainbook.apps.governance.params import verify_set_parameter
from chainbook.apps.governance.state import (
    HISTORY_COUNT_KEY,
    HISTORY_PREFIX,
    PARAMS_KEY,
    PROPOSERS_KEY,
    ROTATED_PREFIX,
    SCHEDULE_KEY,
    SCHEDULE_SEQ_KEY,
    HistoryEntry,
    ScheduledChange,
    get_params,
    get_proposal,
    get_proposers,
    get_schedule,
    process_append,
    process_close_proposal,
    read_int,
    write,
    write_int,
)
from chainbook.apps.governance.valset import (
    apply_validator_changes,
    get_latest_stored_set,
    is_validator_change,
    process_store_set,
    verify_schedule_accepts,
)
from chainbook.crypto import address_from_public_key
from chainbook.errors import InvalidTransaction
from chainbook.ledger.receipts import Event
from chainbook.types import Height

MODULE_NAME = "governance"


def get_next_seq(view: KVReader) -> int:
    return read_int(view, SCHEDULE_SEQ_KEY) + 1


def verify_change(view: KVReader, change: Change, activation: Height, proposal_id: int) -> None:
    """Refuse a change that could not be scheduled for `activation` now (module docstring)."""
    if len(get_schedule(view)) >= limits.scheduled_changes_max:
        raise InvalidProposal(
            f"{limits.scheduled_changes_max} changes already wait for their height, the limit; "
            "wait until some take effect"
        )
    if is_validator_change(change):
        candidate = ScheduledChange(activation, get_next_seq(view), proposal_id, change, "")
        verify_schedule_accepts(view, candidate)
        return
    match change:
        case RegisterInstitution() | UpdateInstitution() | RevokeInstitution():
            verify_institution_change(view, change)
        case SetParameter():
            verify_set_parameter(view, change)
        case SetProposer(allowed=True, address=address):
            proposers = get_proposers(view)
            if address not in proposers and len(proposers) >= limits.proposers_max:
                raise InvalidProposal(
                    f"{len(proposers)} accounts may propose already, limit {limits.proposers_max}"
                )


def process_schedule_change(
    view: KVStore, activation: Height, proposal_id: int, change: Change, note: str = ""
) -> ScheduledChange:
    seq = get_next_seq(view)
    item = ScheduledChange(activation, seq, proposal_id, change, note)
    schedule = sorted([*get_schedule(view), item], key=lambda i: (i.activation_height, i.seq))
    write(view, SCHEDULE_KEY, schedule)
    write_int(view, SCHEDULE_SEQ_KEY, seq)
    return item


def process_drop_scheduled(view: KVStore, drop: list[ScheduledChange]) -> None:
    seqs = {item.seq for item in drop}
    write(view, SCHEDULE_KEY, [i for i in get_schedule(view) if i.seq not in seqs])


# --- at the activation height ---------------------------------------------------------------


def process_due_changes(view: KVStore, height: Height) -> list[Event]:
    """begin_block: every change due at `height` takes effect (module docstring)."""
    schedule = get_schedule(view)
    due = [item for item in schedule if item.activation_height <= height]
    if not due:
        return []
    assert all(item.activation_height == height for item in due), (
        f"changes due before height {height} were not applied: {due}"
    )
    write(view, SCHEDULE_KEY, [item for item in schedule if item.activation_height > height])
    failures = dict(_process_validator_changes(view, height, due))
    events: list[Event] = []
    for item in due:
        reason = failures.get(item.seq)
        if reason is None and not is_validator_change(item.change):
            reason = _process_other_change(view, item.change, height)
        events.append(_process_outcome(view, item, height, reason))
    return events


def _process_validator_changes(
    view: KVStore, height: Height, due: list[ScheduledChange]
) -> list[tuple[int, str]]:
    changes = [item for item in due if is_validator_change(item.change)]
    if not changes:
        return []
    _, base = get_latest_stored_set(view)
    validators, skipped = apply_validator_changes(base, changes)
    process_store_set(view, height, validators)
    skipped_seqs = {item.seq for item, _ in skipped}
    for item in changes:
        change = item.change
        if isinstance(change, RotateValidatorKey) and item.seq not in skipped_seqs:
            new_address = address_from_public_key(change.new_public_key)
            write(view, ROTATED_PREFIX + change.address, new_address)
    return [(item.seq, reason) for item, reason in skipped]


def _process_other_change(view: KVStore, change: Change, height: Height) -> str | None:
    """Apply a parameter, proposer or institution change; the reason if it no longer fits."""
    match change:
        case SetParameter(name=name, value=value):
            params = get_params(view)
            params[name] = value
            write(view, PARAMS_KEY, params)
        case SetProposer(address=address, allowed=allowed):
            proposers = set(get_proposers(view))
            if allowed:
                proposers.add(address)
            else:
                proposers.discard(address)
            write(view, PROPOSERS_KEY, sorted(proposers))
        case RegisterInstitution() | UpdateInstitution() | RevokeInstitution():
            try:
                process_institution_change(view, change, height)
            except InvalidTransaction as exc:
                return str(exc)
        case _:
            raise AssertionError(f"unexpected change {type(change).__name__}")
    return None


def _process_outcome(
    view: KVStore, item: ScheduledChange, height: Height, reason: str | None
) -> Event:
    kind = get_change_kind(item.change)
    record = get_proposal(view, item.proposal_id) if item.proposal_id else None
    attributes = [("proposal_id", str(item.proposal_id)), ("kind", kind)]
    if reason is not None:
        if record is not None:
            process_close_proposal(view, record, "failed", height, reason=reason)
        return Event(MODULE_NAME, "failed", [*attributes, ("reason", reason)])
    if record is not None:
        process_close_proposal(view, record, "executed", height, effective_height=height)
    entry = HistoryEntry(
        seq=read_int(view, HISTORY_COUNT_KEY) + 1,
        height=height,
        proposal_id=item.proposal_id,
        change=item.change,
        note=item.note,
    )
    process_append(view, HISTORY_COUNT_KEY, HISTORY_PREFIX, entry)
    return Event(MODULE_NAME, "executed", attributes)


__all__ = [
    "MODULE_NAME",
    "get_next_seq",
    "process_drop_scheduled",
    "process_due_changes",
    "process_schedule_change",
    "verify_change",
]
