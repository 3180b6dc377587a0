"""vote state transitions: ballots, one counted vote per voter, secret ballots by commit-reveal.

Rules kept (state layout in apps/vote/state.py; closing in apps/vote/closing.py):
- A ballot has an id (1..ballot_id_chars_max of a-z 0-9 . _ -, unique), a title, 2..32
  distinct options, eligible voters (distinct, at most voters_per_ballot_max) and heights:
  votes count in blocks at heights [open_height, close_height); an open height already
  reached opens it at once (recorded as the creation height). The creator must be on the
  genesis allow-list when it is not empty.
- Weighting "equal": one voter, one vote; the creator may add voters (vote.add_voters)
  until the ballot opens. Weighting "balance": a voter's weight is its bank balance read by
  the create transaction (the bank's `balance` export), for every voter in that one
  transaction. That is the snapshot: one state, so a coin is counted once, whoever holds it
  later; coins moved after creation change no weight. It is why a balance-weighted ballot
  takes no voters later (two reads at two heights would let one coin be counted twice, moved
  between them), and why its voters fit in one transaction (about 350). Being a snapshot, it
  is also known before voting: a holder cannot buy weight during the vote.
- One counted vote per voter: a public ballot counts `vote.cast`; a second one replaces the
  first if the ballot allows revotes (its weight moves from the old option to the new one),
  and is refused otherwise (vote.already_voted). A secret ballot counts nothing while
  voting: a voter commits a salted hash (vote.commit; replaceable as above) and reveals
  option and salt in [close_height, close_height + reveal_blocks) (vote.reveal), which
  counts the vote once; a commitment never revealed stays reported as unrevealed (count and
  weight) in the tally and the final result.
- The tally (one state key) holds the counted weight and voters per option, and for secret
  ballots the committed voters and weight, so the unrevealed are committed minus counted.
  Invariants (asserted at every commit): the per-option sums equal the counted totals, which
  never exceed the ballot's eligible voters and weight, and the phase only moves forward.
- Every refusal raises before any write. Reads that decide are `get` (guards); the tally is
  read with `get_to_update` (its new value depends on its old value only and decides
  nothing), so votes of many voters pending at once do not re-check one another in the
  mempool.
- Events: `vote.replaced` when a revote replaces an earlier vote (the old option, which the
  transaction does not state); the block-level `vote.closed` and `vote.result` of the
  begin-block hook (apps/vote/closing.py).
"""

from __future__ import annotations

import re

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, TxContext, TxView
from chainbook.apps.vote import limits
from chainbook.apps.vote.actions import AddVoters, Cast, Commit, Create, Reveal
from chainbook.apps.vote.closing import process_schedule, verify_closing_room
from chainbook.apps.vote.commitment import compute_commitment, is_salt_size_valid
from chainbook.apps.vote.errors import (
    AlreadyRevealed,
    AlreadyVoted,
    BallotExists,
    CommitmentMismatch,
    InvalidBallot,
    InvalidOption,
    InvalidSalt,
    InvalidVoters,
    NoCommitment,
    NotAllowed,
    NotEligible,
    NotRevealing,
    NotVoting,
    UnknownBallot,
    VotersFixed,
    WrongKind,
)
from chainbook.apps.vote.genesis import VoteGenesis
from chainbook.apps.vote.state import (
    NO_CHOICE,
    PARAMS_KEY,
    WEIGHTINGS,
    BallotRecord,
    Phase,
    TallyRecord,
    VoteParams,
    VoterRecord,
    ballot_key,
    get_ballot,
    get_params,
    get_voter,
    tally_key,
    voter_key,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Height

MODULE_NAME = "vote"
_BALLOT_ID = re.compile(r"^[a-z0-9._-]+$")


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


# --- checks of a new ballot -----------------------------------------------------------------


def verify_creator(view: KVReader, sender: Address) -> None:
    creators = get_params(view).creators
    if creators and sender not in creators:
        raise NotAllowed(
            f"{sender.hex()} may not create ballots: the genesis file allows only "
            f"{', '.join(c.hex() for c in creators)}"
        )


def verify_ballot_id(ballot: str) -> None:
    if not 1 <= len(ballot) <= limits.ballot_id_chars_max or not _BALLOT_ID.match(ballot):
        raise InvalidBallot(
            f"ballot id {ballot!r}: accepted 1 to {limits.ballot_id_chars_max} characters of "
            "a-z, 0-9, '.', '_', '-'"
        )


def verify_title_and_options(title: str, options: list[str]) -> None:
    size = compute_utf8_bytes(title)
    if not 1 <= size <= limits.title_bytes_max:
        raise InvalidBallot(
            f"title is {size} bytes of UTF-8; accepted 1 to {limits.title_bytes_max}"
        )
    if not limits.options_min <= len(options) <= limits.options_max:
        raise InvalidBallot(
            f"{len(options)} options; accepted {limits.options_min} to {limits.options_max}"
        )
    for i, option in enumerate(options):
        size = compute_utf8_bytes(option)
        if not 1 <= size <= limits.option_bytes_max:
            raise InvalidBallot(
                f"options[{i}] is {size} bytes of UTF-8; accepted 1 to {limits.option_bytes_max}"
            )
    if len(set(options)) != len(options):
        raise InvalidBallot(f"options must differ; {options!r} repeats one")


def verify_weighting(action: Create) -> None:
    if action.weighting not in WEIGHTINGS:
        raise InvalidBallot(
            f"weighting {action.weighting!r}; accepted: {', '.join(WEIGHTINGS)}"
        )
    if action.weighting == "balance" and not action.voters:
        raise InvalidBallot(
            "a balance-weighted ballot lists all its voters in its create transaction (the "
            "snapshot of their balances); none given"
        )


def verify_new_voters(voters: list[Address], already: int) -> None:
    total = already + len(voters)
    if total > limits.voters_per_ballot_max:
        raise InvalidVoters(
            f"the ballot would have {total} voters, at most {limits.voters_per_ballot_max}"
        )
    seen: set[Address] = set()
    for voter in voters:
        if voter in seen:
            raise InvalidVoters(f"voter {voter.hex()} is listed twice")
        seen.add(voter)


def compute_open_height(action: Create, ctx: TxContext) -> Height:
    return max(action.open_height, ctx.height)


def verify_heights(action: Create, open_height: Height, ctx: TxContext) -> None:
    if not open_height < action.close_height <= open_height + limits.voting_blocks_max:
        raise InvalidBallot(
            f"close_height {action.close_height} must be after the opening ({open_height}; "
            f"this block is {ctx.height}) and at most {limits.voting_blocks_max} heights later"
        )
    if action.secret and not 1 <= action.reveal_blocks <= limits.reveal_blocks_max:
        raise InvalidBallot(
            f"a secret ballot needs a reveal window of 1 to {limits.reveal_blocks_max} "
            f"heights, got reveal_blocks {action.reveal_blocks}"
        )
    if not action.secret and action.reveal_blocks != 0:
        raise InvalidBallot(
            f"a public ballot has no reveal window; reveal_blocks must be 0, got "
            f"{action.reveal_blocks}"
        )


def verify_ballot_is_new(view: KVReader, ballot: str) -> None:
    existing = get_ballot(view, ballot)
    if existing is not None:
        raise BallotExists(
            f"ballot {ballot!r} exists: created by {existing.creator.hex()} at height "
            f"{existing.created_height}; pick another id"
        )


# --- checks of a vote -----------------------------------------------------------------------


def verify_ballot_exists(view: KVReader, ballot: str) -> BallotRecord:
    record = get_ballot(view, ballot)
    if record is None:
        raise UnknownBallot(f"no ballot {ballot!r}")
    return record


def verify_kind(record: BallotRecord, ballot: str, secret: bool) -> None:
    if record.secret and not secret:
        raise WrongKind(
            f"ballot {ballot!r} is secret: commit a salted hash (vote.commit), reveal it after "
            f"close (vote.reveal)"
        )
    if secret and not record.secret:
        raise WrongKind(f"ballot {ballot!r} is public: vote with vote.cast")


def verify_voting(record: BallotRecord, ballot: str, height: Height) -> None:
    if not record.open_height <= height < record.close_height:
        raise NotVoting(
            f"ballot {ballot!r} counts votes at heights {record.open_height} to "
            f"{record.close_height - 1}; this block is {height}"
        )


def verify_revealing(record: BallotRecord, ballot: str, height: Height) -> None:
    if not record.close_height <= height < record.final_height:
        raise NotRevealing(
            f"ballot {ballot!r} counts reveals at heights {record.close_height} to "
            f"{record.final_height - 1}; this block is {height}"
        )


def verify_eligible(view: KVReader, ballot: str, voter: Address) -> VoterRecord:
    record = get_voter(view, ballot, voter)
    if record is None:
        raise NotEligible(f"{voter.hex()} is not an eligible voter of ballot {ballot!r}")
    return record


def verify_option(record: BallotRecord, option: int) -> None:
    if option >= len(record.options):
        choices = ", ".join(f"{i}={text!r}" for i, text in enumerate(record.options))
        raise InvalidOption(f"option {option} does not exist; options: {choices}")


def verify_may_vote_again(record: BallotRecord, ballot: str, voter: VoterRecord) -> None:
    if voter.height and not record.revote:
        raise AlreadyVoted(
            f"this voter voted on ballot {ballot!r} at height {voter.height}; the ballot "
            "counts one vote per voter and allows no replacement"
        )


# --- state changes --------------------------------------------------------------------------


def get_tally_to_update(view: KVStore, ballot: str) -> TallyRecord:
    raw = view.get_to_update(tally_key(ballot))
    assert raw is not None, f"ballot {ballot!r} has no tally"
    return codec.decode(raw, TallyRecord)


def process_count(tally: TallyRecord, option: int, weight: int, sign: int) -> TallyRecord:
    """`tally` with one voter of `weight` added to (sign 1) or removed from (-1) `option`."""
    weights, votes = list(tally.weights), list(tally.votes)
    weights[option] += sign * weight
    votes[option] += sign
    return msgspec.structs.replace(
        tally,
        weights=weights,
        votes=votes,
        counted_voters=tally.counted_voters + sign,
        counted_weight=tally.counted_weight + sign * weight,
    )


def process_voters(
    view: TxView, ctx: TxContext, ballot: str, voters: list[Address], weighting: str
) -> int:
    """Write the eligible voters; returns their total weight."""
    total = 0
    for voter in voters:
        weight = 1 if weighting == "equal" else view.call("bank", "balance", ctx, voter)
        view.set(voter_key(ballot, voter), codec.encode(VoterRecord(weight, NO_CHOICE, b"", 0)))
        total += weight
    return total


def process_create(view: TxView, ctx: TxContext, action: Create) -> list[Event]:
    verify_creator(view, ctx.sender)
    verify_ballot_id(action.ballot)
    verify_title_and_options(action.title, action.options)
    verify_weighting(action)
    verify_new_voters(action.voters, 0)
    open_height = compute_open_height(action, ctx)
    verify_heights(action, open_height, ctx)
    verify_ballot_is_new(view, action.ballot)
    verify_closing_room(view, action.ballot, action.close_height, action.reveal_blocks)
    weight = process_voters(view, ctx, action.ballot, action.voters, action.weighting)
    record = BallotRecord(
        creator=ctx.sender,
        title=action.title,
        options=list(action.options),
        weighting=action.weighting,
        open_height=open_height,
        close_height=action.close_height,
        revote=action.revote,
        secret=action.secret,
        reveal_blocks=action.reveal_blocks,
        created_height=ctx.height,
        voters=len(action.voters),
        voters_weight=weight,
    )
    zeros = [0] * len(action.options)
    tally = TallyRecord(Phase.VOTING, zeros, list(zeros), 0, 0, 0, 0)
    view.set(ballot_key(action.ballot), codec.encode(record))
    view.set(tally_key(action.ballot), codec.encode(tally))
    process_schedule(view, action.ballot, record)
    return []


def process_add_voters(view: TxView, ctx: TxContext, action: AddVoters) -> list[Event]:
    record = verify_ballot_exists(view, action.ballot)
    if record.creator != ctx.sender:
        raise NotAllowed(
            f"only the creator of ballot {action.ballot!r} ({record.creator.hex()}) adds voters"
        )
    if record.weighting != "equal":
        raise VotersFixed(
            f"ballot {action.ballot!r} is balance-weighted: its voters and weights are the "
            "snapshot of its create transaction"
        )
    if ctx.height >= record.open_height:
        raise VotersFixed(
            f"ballot {action.ballot!r} opened at height {record.open_height}; voters are added "
            f"before it opens (this block is {ctx.height})"
        )
    verify_new_voters(action.voters, record.voters)
    for voter in action.voters:
        if get_voter(view, action.ballot, voter) is not None:
            raise InvalidVoters(f"{voter.hex()} is an eligible voter of {action.ballot!r} already")
    weight = process_voters(view, ctx, action.ballot, action.voters, record.weighting)
    updated = msgspec.structs.replace(
        record,
        voters=record.voters + len(action.voters),
        voters_weight=record.voters_weight + weight,
    )
    view.set(ballot_key(action.ballot), codec.encode(updated))
    return []


def process_cast(view: TxView, ctx: TxContext, action: Cast) -> list[Event]:
    record = verify_ballot_exists(view, action.ballot)
    verify_kind(record, action.ballot, secret=False)
    verify_voting(record, action.ballot, ctx.height)
    voter = verify_eligible(view, action.ballot, ctx.sender)
    verify_option(record, action.option)
    verify_may_vote_again(record, action.ballot, voter)
    tally = get_tally_to_update(view, action.ballot)
    events: list[Event] = []
    if voter.choice != NO_CHOICE:
        tally = process_count(tally, voter.choice, voter.weight, -1)
        events.append(
            Event(
                MODULE_NAME,
                "replaced",
                [("ballot", action.ballot), ("previous_option", str(voter.choice))],
            )
        )
    tally = process_count(tally, action.option, voter.weight, 1)
    view.set(tally_key(action.ballot), codec.encode(tally))
    updated = msgspec.structs.replace(voter, choice=action.option, height=ctx.height)
    view.set(voter_key(action.ballot, ctx.sender), codec.encode(updated))
    return events


def process_commit(view: TxView, ctx: TxContext, action: Commit) -> list[Event]:
    record = verify_ballot_exists(view, action.ballot)
    verify_kind(record, action.ballot, secret=True)
    verify_voting(record, action.ballot, ctx.height)
    voter = verify_eligible(view, action.ballot, ctx.sender)
    verify_may_vote_again(record, action.ballot, voter)
    if not voter.commitment:
        tally = get_tally_to_update(view, action.ballot)
        tally = msgspec.structs.replace(
            tally,
            committed_voters=tally.committed_voters + 1,
            committed_weight=tally.committed_weight + voter.weight,
        )
        view.set(tally_key(action.ballot), codec.encode(tally))
    updated = msgspec.structs.replace(voter, commitment=action.commitment, height=ctx.height)
    view.set(voter_key(action.ballot, ctx.sender), codec.encode(updated))
    return []


def process_reveal(view: TxView, ctx: TxContext, action: Reveal) -> list[Event]:
    record = verify_ballot_exists(view, action.ballot)
    verify_kind(record, action.ballot, secret=True)
    verify_revealing(record, action.ballot, ctx.height)
    voter = verify_eligible(view, action.ballot, ctx.sender)
    if not voter.commitment:
        raise NoCommitment(
            f"{ctx.sender.hex()} committed no vote on ballot {action.ballot!r} while it was open"
        )
    if voter.choice != NO_CHOICE:
        raise AlreadyRevealed(
            f"{ctx.sender.hex()} revealed option {voter.choice} on ballot {action.ballot!r} "
            f"at height {voter.height}"
        )
    verify_option(record, action.option)
    if not is_salt_size_valid(action.salt):
        raise InvalidSalt(
            f"salt of {len(action.salt)} bytes; accepted {limits.salt_bytes_min} to "
            f"{limits.salt_bytes_max}"
        )
    expected = compute_commitment(action.ballot, ctx.sender, action.option, action.salt)
    if expected != voter.commitment:
        raise CommitmentMismatch(
            f"option {action.option} with this salt hashes to {expected.hex()}, the "
            f"commitment is {voter.commitment.hex()}: reveal the option and salt committed to"
        )
    tally = process_count(get_tally_to_update(view, action.ballot), action.option, voter.weight, 1)
    view.set(tally_key(action.ballot), codec.encode(tally))
    updated = msgspec.structs.replace(voter, choice=action.option, height=ctx.height)
    view.set(voter_key(action.ballot, ctx.sender), codec.encode(updated))
    return []


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The vote module's entry point: dispatch on the action type."""
    match action:
        case Create():
            return process_create(view, ctx, action)
        case AddVoters():
            return process_add_voters(view, ctx, action)
        case Cast():
            return process_cast(view, ctx, action)
        case Commit():
            return process_commit(view, ctx, action)
        case Reveal():
            return process_reveal(view, ctx, action)
    raise AssertionError(f"vote received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: VoteGenesis) -> None:
    """The genesis hook: the allow-list of creators (checked by verify_vote_genesis)."""
    params = VoteParams(creators=[bytes.fromhex(c) for c in section.creators])
    view.set(PARAMS_KEY, codec.encode(params))


__all__ = [
    "MODULE_NAME",
    "process",
    "process_add_voters",
    "process_cast",
    "process_commit",
    "process_count",
    "process_create",
    "process_genesis",
    "process_reveal",
]
