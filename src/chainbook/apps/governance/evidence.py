"""The evidence policy: a validator caught equivocating loses its power, once per offence.

Rules kept:
- The ledger verified every piece a block carries (ledger/evidence.py: shape, signatures under
  the set of the evidence's height, a height below the block's); `verify_evidence` adds what
  governance decides: evidence older than governance.evidence_age_blocks_max heights is
  refused, and an offence already recorded is refused (the same evidence is never applied
  twice, nor a second piece for the same slot).
- Each offence is recorded (queryable) with the block that carried it. The offender is the
  validator that signed, followed through the key rotations that took effect since, and
  through those due at the next height (a rotation that is already part of the next set).
  Unless it is being removed for an earlier offence already, its power goes to zero from the
  block height + 2 (the earliest any change may take effect, apps/governance/schedule.py),
  and the proposals scheduled for that height or later that name it (power, rotation,
  removal) fail: they would no longer apply. Changes due at the next height are never
  touched: that set is final.
- The removal is not refused for leaving fewer validators (the rules of proposals do not bind
  a punishment), except that the last validator is never removed: the offence is recorded
  without taking its power (a chain with no validator could never commit again).
"""

from __future__ import annotations

from chainbook.apps.base import BlockContext, KVReader, KVStore
from chainbook.apps.governance.actions import (
    RemoveValidator,
    RotateValidatorKey,
    SetValidatorPower,
)
from chainbook.apps.governance.params import EVIDENCE_AGE_MAX, get_param_value
from chainbook.apps.governance.schedule import (
    MODULE_NAME,
    process_drop_scheduled,
    process_schedule_change,
)
from chainbook.apps.governance.state import (
    EVIDENCE_COUNT_KEY,
    EVIDENCE_SEQ_PREFIX,
    EvidenceRecord,
    ScheduledChange,
    get_evidence,
    get_proposal,
    get_rotated_to,
    get_schedule,
    offence_key,
    process_append,
    process_close_proposal,
    write,
)
from chainbook.apps.governance.valset import (
    apply_validator_changes,
    get_validators_at,
    is_validator_change,
)
from chainbook.chain.evidence import DuplicateVoteEvidence, InvalidEvidence, get_offence
from chainbook.chain.validators import Validator
from chainbook.crypto import address_from_public_key
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Height

ROTATIONS_FOLLOWED_MAX = 1_000
"""A bound on the rotation chain followed to find an offender (each needs a governance vote)."""


def verify_evidence(view: KVReader, block_height: Height, evidence: DuplicateVoteEvidence) -> None:
    """The ChainGovernance hook: refuse evidence too old, or for an offence recorded already."""
    age_max = get_param_value(view, block_height, EVIDENCE_AGE_MAX)
    age = block_height - evidence.height
    if age > age_max:
        raise InvalidEvidence(
            f"evidence for height {evidence.height} is {age} heights old at height "
            f"{block_height}; governance accepts at most {age_max}"
        )
    offence = get_offence(evidence)
    if get_evidence(view, offence) is not None:
        raise InvalidEvidence(
            f"the offence of {offence.validator.hex()} at height {offence.height} round "
            f"{offence.round} ({offence.type.name.lower()}) is recorded already"
        )


def get_offender_address(view: KVReader, address: Address, block_height: Height) -> Address:
    """Where the offender's key moved: rotations that took effect, then those due next."""
    for _ in range(ROTATIONS_FOLLOWED_MAX):
        moved = get_rotated_to(view, address)
        if moved is None:
            break
        address = moved
    for item in get_schedule(view):
        change = item.change
        if (
            item.activation_height <= block_height + 1
            and isinstance(change, RotateValidatorKey)
            and change.address == address
        ):
            address = address_from_public_key(change.new_public_key)
    return address


def _names_validator(item: ScheduledChange, address: Address) -> bool:
    change = item.change
    return isinstance(change, RemoveValidator | SetValidatorPower | RotateValidatorKey) and (
        change.address == address
    )


def process_evidence(view: KVStore, ctx: BlockContext) -> list[Event]:
    """begin_block: record and punish each offence the block carries (module docstring)."""
    events: list[Event] = []
    for evidence in ctx.evidence:
        events.append(process_offence(view, ctx.height, evidence))
    return events


def process_offence(view: KVStore, height: Height, evidence: DuplicateVoteEvidence) -> Event:
    offence = get_offence(evidence)
    assert get_evidence(view, offence) is None, "the ledger refuses recorded offences"
    offender = get_offender_address(view, offence.validator, height)
    punished_from, note = _process_punishment(view, offender, height, evidence)
    record = EvidenceRecord(
        offence=offence,
        block_hash_a=evidence.vote_a.vote.block_hash,
        block_hash_b=evidence.vote_b.vote.block_hash,
        included_height=height,
        punished_from_height=punished_from,
        note=note,
    )
    write(view, offence_key(offence), record)
    process_append(view, EVIDENCE_COUNT_KEY, EVIDENCE_SEQ_PREFIX, offence_key(offence))
    return Event(
        MODULE_NAME,
        "evidence",
        [
            ("validator", offence.validator.hex()),
            ("height", str(offence.height)),
            ("round", str(offence.round)),
            ("type", offence.type.name.lower()),
            ("punished_from_height", str(punished_from)),
            ("note", note),
        ],
    )


def _process_punishment(
    view: KVStore, offender: Address, height: Height, evidence: DuplicateVoteEvidence
) -> tuple[Height, str]:
    activation = height + 2
    schedule = get_schedule(view)
    for item in schedule:
        if (
            item.proposal_id == 0
            and isinstance(item.change, RemoveValidator)
            and (item.change.address == offender)
        ):
            return 0, f"already being removed from height {item.activation_height}"
    next_set = get_validators_at(view, height + 1)
    if offender not in {v.address for v in next_set}:
        return 0, "no longer a validator"
    dropped = [
        item
        for item in schedule
        if item.activation_height >= activation
        and is_validator_change(item.change)
        and _names_validator(item, offender)
    ]
    removal = ScheduledChange(activation, 0, 0, RemoveValidator(address=offender), "")
    empty_at = _find_empty_set(next_set, schedule, dropped, removal)
    if empty_at is not None:
        return 0, (
            f"its power is kept: removing it would leave no validator at height {empty_at}, "
            "and no block could be committed"
        )
    process_drop_scheduled(view, dropped)
    reason = f"validator {offender.hex()} removed for equivocation from height {activation}"
    for item in dropped:
        record = get_proposal(view, item.proposal_id) if item.proposal_id else None
        if record is not None:
            process_close_proposal(view, record, "failed", height, reason=reason)
    vote = evidence.vote_a.vote
    note = f"equivocation at height {vote.height} round {vote.round} ({vote.type.name.lower()})"
    process_schedule_change(view, activation, 0, removal.change, note)
    return activation, note


def _find_empty_set(
    next_set: list[Validator],
    schedule: list[ScheduledChange],
    dropped: list[ScheduledChange],
    removal: ScheduledChange,
) -> Height | None:
    """The first height from the removal on at which no validator would be left, if any."""
    dropped_seqs = {item.seq for item in dropped}
    later = [
        item
        for item in schedule
        if item.activation_height >= removal.activation_height
        and is_validator_change(item.change)
        and item.seq not in dropped_seqs
    ]
    items = sorted([*later, removal], key=lambda i: (i.activation_height, i.seq == 0, i.seq))
    validators = next_set
    for height in sorted({item.activation_height for item in items}):
        group = [item for item in items if item.activation_height == height]
        validators, _ = apply_validator_changes(validators, group)
        if not validators:
            return height
    return None


__all__ = [
    "get_offender_address",
    "process_evidence",
    "process_offence",
    "verify_evidence",
]
