"""Proposals: submitted, voted on by the validators, passed, rejected, expired or withdrawn.

Rules kept (a consortium's permissioned flow: no deposit, no fee):
- Who proposes: a validator of the height, or an account governance allows (`set_proposer`,
  or the genesis section). At most limits.open_proposals_max proposals are being voted on at
  once, limits.open_proposals_per_proposer_max of one proposer's.
- Heights: votes are accepted at heights submission..deadline, with submission < deadline <=
  submission + governance.voting_period_blocks_max (deadline 0: submission +
  governance.voting_period_blocks). A stated activation height lies in deadline + 2 ..
  deadline + governance.activation_delay_blocks_max, so wherever in its voting window it
  passes, the change takes effect two heights later at the earliest (apps/governance/
  schedule.py says why two); activation 0 means "two heights after it passes".
- The change itself is checked when proposed and again when it passes (schedule.verify_change):
  a proposal that could not apply is refused at once with the reason.
- Votes: "yes", "no" or "abstain", once per validator address, only from a validator of the
  height of the vote, only while the proposal is being voted on and not after its deadline.
  The tally counts the power each voter holds in the set of the vote's height; votes of
  addresses that left the set count for nothing.
- It passes as soon as "yes" holds strictly more than 2/3 of that set's total power; it is
  rejected as soon as it no longer can ("yes" plus the power that has not voted is at most 2/3);
  it expires when its deadline passes (checked at the start of each block); its author may
  withdraw it while it is being voted on.
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import KVReader, KVStore, TxContext
from chainbook.apps.governance import limits
from chainbook.apps.governance.actions import (
    CHOICES,
    CastVote,
    Propose,
    Withdraw,
    get_change_kind,
)
from chainbook.apps.governance.errors import (
    AlreadyVoted,
    InvalidChoice,
    InvalidHeights,
    InvalidProposal,
    NotAllowedToPropose,
    NotAValidator,
    NotTheAuthor,
    ProposalClosed,
    TooManyOpenProposals,
    UnknownProposal,
    VotingEnded,
)
from chainbook.apps.governance.params import (
    ACTIVATION_DELAY_MAX,
    VOTING_PERIOD,
    VOTING_PERIOD_MAX,
    get_param_values,
)
from chainbook.apps.governance.schedule import (
    MODULE_NAME,
    process_schedule_change,
    verify_change,
)
from chainbook.apps.governance.state import (
    NEXT_PROPOSAL_ID_KEY,
    OPEN_KEY,
    VOTES_PREFIX,
    ProposalRecord,
    Tally,
    VoteRecord,
    get_open,
    get_proposal,
    get_proposers,
    get_votes,
    height_key,
    process_close_proposal,
    put_proposal,
    read_int,
    write,
    write_int,
)
from chainbook.apps.governance.valset import get_validators_at
from chainbook.chain.validators import Validator
from chainbook.errors import InvalidTransaction
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Height

# --- checks ---------------------------------------------------------------------------------


def is_validator_at(view: KVReader, address: Address, height: Height) -> bool:
    return any(v.address == address for v in get_validators_at(view, height))


def verify_may_propose(view: KVReader, sender: Address, height: Height) -> None:
    if is_validator_at(view, sender, height) or sender in get_proposers(view):
        return
    raise NotAllowedToPropose(
        f"{sender.hex()} may not propose: it is not a validator at height {height} and "
        "governance has not allowed it (a set_proposer change does)"
    )


def verify_title(title: str) -> None:
    size = len(title.encode())
    if not 1 <= size <= limits.title_bytes_max:
        raise InvalidProposal(
            f"title is {size} bytes of UTF-8, accepted 1..{limits.title_bytes_max}"
        )


def compute_heights(view: KVReader, action: Propose, height: Height) -> tuple[Height, Height]:
    """The deadline and stated activation height (0: two heights after passing), checked."""
    params = get_param_values(view, height)
    deadline = action.deadline_height or height + params[VOTING_PERIOD]
    deadline_max = height + params[VOTING_PERIOD_MAX]
    if not height < deadline <= deadline_max:
        raise InvalidHeights(
            f"deadline height {deadline}: accepted {height + 1}..{deadline_max} (after this "
            f"height {height}, within governance.voting_period_blocks_max)"
        )
    activation = action.activation_height
    if activation:
        activation_max = deadline + params[ACTIVATION_DELAY_MAX]
        if not deadline + 2 <= activation <= activation_max:
            raise InvalidHeights(
                f"activation height {activation}: accepted {deadline + 2}..{activation_max} "
                f"(two heights after the deadline {deadline} at the earliest), or 0 for two "
                "heights after it passes"
            )
    return deadline, activation


def verify_open_room(view: KVReader, sender: Address) -> None:
    open_ids = get_open(view)
    if len(open_ids) >= limits.open_proposals_max:
        raise TooManyOpenProposals(
            f"{len(open_ids)} proposals are being voted on, limit {limits.open_proposals_max}"
        )
    mine = 0
    for proposal_id in open_ids:
        record = get_proposal(view, proposal_id)
        if record is not None and record.proposer == sender:
            mine += 1
    if mine >= limits.open_proposals_per_proposer_max:
        raise TooManyOpenProposals(
            f"{sender.hex()} has {mine} proposals being voted on, limit "
            f"{limits.open_proposals_per_proposer_max}"
        )


def get_open_proposal(view: KVReader, proposal_id: int) -> ProposalRecord:
    record = get_proposal(view, proposal_id)
    if record is None:
        raise UnknownProposal(f"no proposal {proposal_id}")
    if record.status != "voting":
        raise ProposalClosed(
            f"proposal {proposal_id} is {record.status} since height {record.status_height}; "
            "only a proposal being voted on accepts this"
        )
    return record


def compute_tally(votes: list[VoteRecord], validators: list[Validator], height: Height) -> Tally:
    power = {v.address: v.power for v in validators}
    totals = dict.fromkeys(CHOICES, 0)
    for vote in votes:
        totals[vote.choice] += power.get(vote.voter, 0)
    return Tally(
        yes=totals["yes"],
        no=totals["no"],
        abstain=totals["abstain"],
        power_total=sum(power.values()),
        height=height,
    )


def has_passed(tally: Tally) -> bool:
    return 3 * tally.yes > 2 * tally.power_total


def can_still_pass(tally: Tally) -> bool:
    not_voted = tally.power_total - tally.yes - tally.no - tally.abstain
    return 3 * (tally.yes + not_voted) > 2 * tally.power_total


# --- actions --------------------------------------------------------------------------------


def process_propose(view: KVStore, ctx: TxContext, action: Propose) -> list[Event]:
    verify_may_propose(view, ctx.sender, ctx.height)
    verify_title(action.title)
    deadline, activation = compute_heights(view, action, ctx.height)
    verify_open_room(view, ctx.sender)
    proposal_id = read_int(view, NEXT_PROPOSAL_ID_KEY, 1)
    # Checked as if it passed now: the earliest height it could take effect.
    verify_change(view, action.change, activation or ctx.height + 2, proposal_id)
    record = ProposalRecord(
        id=proposal_id,
        proposer=ctx.sender,
        title=action.title,
        change=action.change,
        submitted_height=ctx.height,
        deadline_height=deadline,
        activation_height=activation,
        status="voting",
        status_height=ctx.height,
        effective_height=0,
        reason="",
        tally=Tally(0, 0, 0, 0, ctx.height),
    )
    put_proposal(view, record)
    write_int(view, NEXT_PROPOSAL_ID_KEY, proposal_id + 1)
    write(view, OPEN_KEY, [*get_open(view), proposal_id])
    return [
        Event(
            MODULE_NAME,
            "proposed",
            [
                ("proposal_id", str(proposal_id)),
                ("kind", get_change_kind(action.change)),
                ("deadline_height", str(deadline)),
                ("activation_height", str(activation)),
            ],
        )
    ]


def process_vote(view: KVStore, ctx: TxContext, action: CastVote) -> list[Event]:
    record = get_open_proposal(view, action.proposal_id)
    if ctx.height > record.deadline_height:
        raise VotingEnded(
            f"proposal {record.id} took votes up to height {record.deadline_height}; "
            f"this is height {ctx.height}"
        )
    if action.choice not in CHOICES:
        raise InvalidChoice(f"choice {action.choice!r}; accepted: {', '.join(CHOICES)}")
    validators = get_validators_at(view, ctx.height)
    if not any(v.address == ctx.sender for v in validators):
        raise NotAValidator(
            f"{ctx.sender.hex()} is not a validator at height {ctx.height}: only validators vote"
        )
    votes = get_votes(view, record.id)
    if any(vote.voter == ctx.sender for vote in votes):
        raise AlreadyVoted(f"{ctx.sender.hex()} voted on proposal {record.id} already")
    if len(votes) >= limits.votes_per_proposal_max:
        raise InvalidProposal(
            f"proposal {record.id} holds {len(votes)} votes, limit {limits.votes_per_proposal_max}"
        )
    votes.append(VoteRecord(voter=ctx.sender, choice=action.choice, height=ctx.height))
    write(view, height_key(VOTES_PREFIX, record.id), votes)
    tally = compute_tally(votes, validators, ctx.height)
    events = [
        Event(
            MODULE_NAME,
            "voted",
            [("proposal_id", str(record.id)), ("choice", action.choice)],
        )
    ]
    if has_passed(tally):
        events.append(process_pass(view, record, tally, ctx.height))
    elif not can_still_pass(tally):
        process_close_proposal(
            view,
            record,
            "rejected",
            ctx.height,
            reason="yes can no longer reach more than 2/3 of the power",
            tally=tally,
        )
        events.append(Event(MODULE_NAME, "rejected", [("proposal_id", str(record.id))]))
    else:
        put_proposal(view, _with_tally(record, tally))
    return events


def _with_tally(record: ProposalRecord, tally: Tally) -> ProposalRecord:
    return msgspec.structs.replace(record, tally=tally)


def process_pass(view: KVStore, record: ProposalRecord, tally: Tally, height: Height) -> Event:
    """> 2/3 said yes at `height`: schedule the change, or fail with the reason."""
    effective = record.activation_height or height + 2
    attributes = [("proposal_id", str(record.id)), ("effective_height", str(effective))]
    try:
        verify_change(view, record.change, effective, record.id)
    except InvalidTransaction as exc:
        process_close_proposal(view, record, "failed", height, reason=str(exc), tally=tally)
        return Event(MODULE_NAME, "failed", [*attributes, ("reason", str(exc))])
    process_schedule_change(view, effective, record.id, record.change)
    process_close_proposal(view, record, "passed", height, effective_height=effective, tally=tally)
    return Event(MODULE_NAME, "passed", attributes)


def process_withdraw(view: KVStore, ctx: TxContext, action: Withdraw) -> list[Event]:
    record = get_open_proposal(view, action.proposal_id)
    if record.proposer != ctx.sender:
        raise NotTheAuthor(
            f"proposal {record.id} was submitted by {record.proposer.hex()}; only its author "
            "may withdraw it"
        )
    process_close_proposal(view, record, "withdrawn", ctx.height)
    return [Event(MODULE_NAME, "withdrawn", [("proposal_id", str(record.id))])]


def process_expiry(view: KVStore, height: Height) -> list[Event]:
    """begin_block: proposals whose deadline is behind `height` expire."""
    events = []
    for proposal_id in get_open(view):
        record = get_proposal(view, proposal_id)
        assert record is not None and record.status == "voting", (proposal_id, record)
        if record.deadline_height < height:
            process_close_proposal(
                view, record, "expired", height, reason="the deadline passed without > 2/3 yes"
            )
            events.append(Event(MODULE_NAME, "expired", [("proposal_id", str(proposal_id))]))
    return events


__all__ = [
    "can_still_pass",
    "compute_heights",
    "compute_tally",
    "has_passed",
    "is_validator_at",
    "process_expiry",
    "process_pass",
    "process_propose",
    "process_vote",
    "process_withdraw",
    "verify_may_propose",
    "verify_title",
]
