"""The validator set of every height: stored sets, scheduled changes, and the safety rules.

Rules kept:
- The set in effect at height h is the stored set with the greatest from-height <= h
  (`valset/at/<from>`, the genesis set from 1), with every scheduled validator change whose
  activation height is <= h applied on top, in (activation height, seq) order. A scheduled
  change becomes a stored set when its height begins (apps/governance/schedule.py), through
  the same `apply_validator_changes`, so the set named ahead of time and the set stored later
  are equal by construction.
- Only changes with an activation height > committed height + 1 may still be added, dropped or
  reordered (a change passing in block H takes effect at H + 2 at the earliest; the evidence
  policy drops only changes at H + 2 or later): the sets of the next two heights are final.
- `verify_can_progress` refuses a set that could not make progress or that breaks a limit: no
  validator at all; more than limits.validators_max validators or limits.power_total_max power;
  one validator holding a third of the power or more (it alone could then stop every commit:
  a commit needs strictly more than 2/3) -- unless the set has one member, or the change makes
  that largest share smaller than it was (so a one-validator chain can grow).
  The threshold is "1/3 or more", not "more than 1/3": with three equal validators each holds
  exactly a third, and one of them stopping halts the chain all the same.
- Applying a change that does not fit the set (removing a non-member, adding a member twice, a
  rotation onto a key in use) raises InvalidProposal naming the validator; power is an
  integer 1..limits.power_total_max (a power of 0 is a removal: use remove_validator).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from chainbook import limits
from chainbook.apps.base import KVReader, KVStore
from chainbook.apps.chain_governance import ValidatorSetEntry
from chainbook.apps.governance import limits as governance_limits
from chainbook.apps.governance.actions import (
    VALIDATOR_CHANGE_TYPES,
    AddValidator,
    Change,
    RemoveValidator,
    RotateValidatorKey,
    SetValidatorPower,
)
from chainbook.apps.governance.errors import InvalidProposal, UnsafeValidatorSet
from chainbook.apps.governance.state import (
    VALSET_INDEX_KEY,
    VALSET_PREFIX,
    ScheduledChange,
    get_schedule,
    get_stored_set,
    get_valset_index,
    height_key,
    write,
)
from chainbook.chain.validators import Validator
from chainbook.crypto import address_from_public_key
from chainbook.types import Address, Height

# --- one change -----------------------------------------------------------------------------


def is_validator_change(change: Change) -> bool:
    return isinstance(change, VALIDATOR_CHANGE_TYPES)


def verify_power(power: int) -> None:
    if not 1 <= power <= limits.power_total_max:
        raise InvalidProposal(
            f"power must be 1..{limits.power_total_max}, got {power} "
            "(to take a validator's power away, remove it)"
        )


def verify_name(name: str) -> None:
    size = len(name.encode())
    if size > governance_limits.name_bytes_max:
        raise InvalidProposal(
            f"name is {size} bytes of UTF-8, limit {governance_limits.name_bytes_max}"
        )


def _member(members: dict[Address, Validator], address: Address) -> Validator:
    member = members.get(address)
    if member is None:
        raise InvalidProposal(f"{address.hex()} is not a validator at that height")
    return member


def apply_validator_change(members: dict[Address, Validator], change: Change) -> None:
    """Apply one validator change to `members` (address -> validator), or raise and leave it."""
    match change:
        case AddValidator(public_key=public_key, power=power, name=name):
            verify_power(power)
            verify_name(name)
            address = address_from_public_key(public_key)
            if address in members:
                raise InvalidProposal(
                    f"{address.hex()} ({members[address].name!r}) is a validator already"
                )
            members[address] = Validator(public_key=public_key, power=power, name=name)
        case RemoveValidator(address=address):
            _member(members, address)
            del members[address]
        case SetValidatorPower(address=address, power=power):
            verify_power(power)
            member = _member(members, address)
            members[address] = Validator(member.public_key, power, member.name)
        case RotateValidatorKey(address=address, new_public_key=new_public_key):
            member = _member(members, address)
            new_address = address_from_public_key(new_public_key)
            if new_address in members:
                raise InvalidProposal(
                    f"the new key's address {new_address.hex()} is a validator already"
                )
            del members[address]
            members[new_address] = Validator(new_public_key, member.power, member.name)
        case _:
            raise AssertionError(f"not a validator change: {type(change).__name__}")


def apply_validator_changes(
    validators: Sequence[Validator], items: Iterable[ScheduledChange]
) -> tuple[list[Validator], list[tuple[ScheduledChange, str]]]:
    """The set after `items` (validator changes, in order); a change that does not apply is
    skipped and returned with its reason (scheduling refuses those, so this is a defence)."""
    members = {v.address: v for v in validators}
    skipped: list[tuple[ScheduledChange, str]] = []
    for item in items:
        try:
            apply_validator_change(members, item.change)
        except InvalidProposal as exc:
            skipped.append((item, str(exc)))
    return sort_validators(members.values()), skipped


def sort_validators(validators: Iterable[Validator]) -> list[Validator]:
    return sorted(validators, key=lambda v: v.address)


# --- the safety rules -----------------------------------------------------------------------


def _largest(validators: Sequence[Validator]) -> Validator:
    return max(validators, key=lambda v: (v.power, v.address))


def _is_lopsided(validators: Sequence[Validator]) -> bool:
    """One validator holds a third of the power or more (and it is not the only one)."""
    total = sum(v.power for v in validators)
    return len(validators) > 1 and 3 * _largest(validators).power >= total


def verify_can_progress(before: Sequence[Validator], after: Sequence[Validator]) -> None:
    """Refuse a set `after` (replacing `before`) that could not make progress (module doc)."""
    if not after:
        raise UnsafeValidatorSet("the change would leave no validator: the chain would stop")
    if len(after) > limits.validators_max:
        raise UnsafeValidatorSet(
            f"the change would make {len(after)} validators, limit {limits.validators_max}"
        )
    total = sum(v.power for v in after)
    if total > limits.power_total_max:
        raise UnsafeValidatorSet(
            f"the change would make the total power {total}, limit {limits.power_total_max}"
        )
    if not _is_lopsided(after):
        return
    top = _largest(after)
    if before and _is_lopsided_or_single(before):
        top_before = _largest(before)
        total_before = sum(v.power for v in before)
        if top.power * total_before < top_before.power * total:
            return  # the largest share shrinks: a step towards a safe set
    raise UnsafeValidatorSet(
        f"validator {top.address.hex()} ({top.name!r}) would hold {top.power} of {total} "
        f"power, a third or more: alone it could stop every commit (a commit needs more than "
        f"2/3); keep every validator below a third of the total"
    )


def _is_lopsided_or_single(validators: Sequence[Validator]) -> bool:
    return len(validators) == 1 or _is_lopsided(validators)


# --- the set of a height --------------------------------------------------------------------


def get_validator_changes_due(view: KVReader, height: Height) -> list[ScheduledChange]:
    """Scheduled validator changes with an activation height <= `height`, in order."""
    return [
        item
        for item in get_schedule(view)
        if item.activation_height <= height and is_validator_change(item.change)
    ]


def get_validator_set_entry(view: KVReader, height: Height) -> ValidatorSetEntry:
    """The set in effect at `height` (>= 1) and the height it took effect (module doc)."""
    assert height >= 1, height
    index = get_valset_index(view)
    assert index and index[0] == 1, f"validator set index {index}: genesis set missing"
    from_height = index[bisect.bisect_right(index, height) - 1]
    base = get_stored_set(view, from_height)
    due = get_validator_changes_due(view, height)
    if not due:
        return ValidatorSetEntry(from_height, base)
    assert from_height == index[-1] and due[0].activation_height > from_height, (
        f"scheduled changes at {due[0].activation_height} behind the stored set of {from_height}"
    )
    validators, _ = apply_validator_changes(base, due)
    return ValidatorSetEntry(due[-1].activation_height, validators)


def get_set_heights(view: KVReader, up_to: Height) -> list[Height]:
    """Every height <= `up_to` from which a set is in effect: the stored ones (1 first), then
    the scheduled ones (ChainGovernance.set_heights)."""
    heights = [h for h in get_valset_index(view) if h <= up_to]
    for item in get_validator_changes_due(view, up_to):
        if item.activation_height not in heights:
            heights.append(item.activation_height)
    return heights


def get_validators_at(view: KVReader, height: Height) -> list[Validator]:
    return get_validator_set_entry(view, height).validators


def get_latest_stored_set(view: KVReader) -> tuple[Height, list[Validator]]:
    index = get_valset_index(view)
    return index[-1], get_stored_set(view, index[-1])


def process_store_set(view: KVStore, from_height: Height, validators: list[Validator]) -> None:
    """Store the set in effect from `from_height` (the genesis set, or one a change made)."""
    index = get_valset_index(view)
    assert not index or from_height > index[-1], (from_height, index)
    write(view, height_key(VALSET_PREFIX, from_height), sort_validators(validators))
    write(view, VALSET_INDEX_KEY, [*index, from_height])


def verify_schedule_accepts(view: KVReader, new: ScheduledChange) -> None:
    """Refuse `new` (a validator change) if, scheduled, it would not apply or would leave a
    set that cannot progress at its own height or at any later scheduled one."""
    _, base = get_latest_stored_set(view)
    items = sorted(
        [item for item in get_schedule(view) if is_validator_change(item.change)] + [new],
        key=lambda item: (item.activation_height, item.seq),
    )
    members = {v.address: v for v in base}
    before = list(base)
    for position, item in enumerate(items):
        try:
            apply_validator_change(members, item.change)
        except InvalidProposal as exc:
            if item is new:
                raise
            raise InvalidProposal(
                f"it would make the change scheduled at height {item.activation_height} "
                f"(proposal {item.proposal_id}) impossible: {exc}"
            ) from None
        last_of_height = (
            position + 1 == len(items)
            or items[position + 1].activation_height != item.activation_height
        )
        if not last_of_height:
            continue
        after = sort_validators(members.values())
        if item.activation_height >= new.activation_height:
            verify_can_progress(before, after)
        before = after


__all__ = [
    "apply_validator_change",
    "apply_validator_changes",
    "get_latest_stored_set",
    "get_set_heights",
    "get_validator_changes_due",
    "get_validator_set_entry",
    "get_validators_at",
    "is_validator_change",
    "process_store_set",
    "sort_validators",
    "verify_can_progress",
    "verify_name",
    "verify_power",
    "verify_schedule_accepts",
]
