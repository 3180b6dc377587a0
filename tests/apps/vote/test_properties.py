"""Properties of ballots (hypothesis), against a model written from the rules alone:

- under any blocks of votes, commitments and reveals by eligible and ineligible accounts, every
  outcome (success or the refusal's code) is the model's;
- each voter is counted at most once: the tally equals the sum of the counted votes (the weight
  of each voter's one counted option), option by option, after every block;
- a secret ballot's unrevealed votes are exactly the commitments never revealed;
- each ballot's result is emitted once, at its final height, with the model's tally.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.vote import Cast, Commit, Create, Reveal, compute_commitment
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.vote.helpers import nonce
from tests.support import ALICE, BOB, CAROL, DAVE, ask, make_state, run_block, tx

KEYS = [ALICE, BOB, CAROL, DAVE]
ELIGIBLE = [ALICE, BOB, CAROL]
OPTIONS = ["yes", "no", "abstain"]
SALTS = [bytes(16), bytes(range(16)), bytes(8)]
"""Two valid salts and one too short."""


@dataclass
class Voter:
    weight: int
    choice: int | None = None
    commitment: tuple[int, bytes] | None = None
    voted_height: int = 0


@dataclass
class Ballot:
    name: str
    secret: bool
    revote: bool
    close_height: int
    reveal_blocks: int
    voters: dict[bytes, Voter] = field(default_factory=dict)
    results: int = 0

    def expect(self, kind: str, key: PrivateKey, option: int, salt: bytes, height: int) -> str:
        """The code of the action at `height` ("" for success), applied if it succeeds."""
        if (kind == "cast") == self.secret:
            return "vote.wrong_kind"
        voter = self.voters.get(key.address)
        if kind in ("cast", "commit"):
            if not 1 <= height < self.close_height:
                return "vote.not_voting"
            if voter is None:
                return "vote.not_eligible"
            if kind == "cast" and option >= len(OPTIONS):
                return "vote.invalid_option"
            if voter.voted_height and not self.revote:
                return "vote.already_voted"
            voter.voted_height = height
            if kind == "cast":
                voter.choice = option
            else:
                voter.commitment = (option, salt)
            return ""
        if not self.close_height <= height < self.close_height + self.reveal_blocks:
            return "vote.not_revealing"
        if voter is None:
            return "vote.not_eligible"
        if voter.commitment is None:
            return "vote.no_commitment"
        if voter.choice is not None:
            return "vote.already_revealed"
        if option >= len(OPTIONS):
            return "vote.invalid_option"
        if not 16 <= len(salt) <= 64:
            return "vote.invalid_salt"
        if voter.commitment != (option, salt):
            return "vote.commitment_mismatch"
        voter.choice = option
        voter.voted_height = height
        return ""

    def weights(self) -> list[int]:
        totals = [0] * len(OPTIONS)
        for voter in self.voters.values():
            if voter.choice is not None:
                totals[voter.choice] += voter.weight
        return totals


STEP = st.tuples(
    st.sampled_from(["cast", "commit", "reveal"]),
    st.integers(0, 3),  # the signer: ALICE, BOB, CAROL (eligible) or DAVE
    st.integers(0, 3),  # the option (3 does not exist)
    st.integers(0, 2),  # the salt
    st.booleans(),  # which ballot: the public one or the secret one
)


def check_tallies(state: LedgerState, ballots: list[Ballot]) -> None:
    for model in ballots:
        tally = ask(state, "vote", "tally", ballot=model.name)
        assert [o.weight for o in tally.options] == model.weights()
        counted = [v for v in model.voters.values() if v.choice is not None]
        assert [o.votes for o in tally.options] == [
            sum(1 for v in counted if v.choice == i) for i in range(len(OPTIONS))
        ]
        assert tally.counted_voters == len(counted)
        assert tally.counted_weight == sum(v.weight for v in counted)
        if model.secret:
            hidden = [v for v in model.voters.values() if v.commitment and v.choice is None]
            assert tally.unrevealed_voters == len(hidden)
            assert tally.unrevealed_weight == sum(v.weight for v in hidden)
        else:
            assert tally.unrevealed_voters == tally.unrevealed_weight == 0
        for key in KEYS:
            answer = ask(state, "vote", "voter", ballot=model.name, address=key.address)
            voter = model.voters.get(key.address)
            assert answer.eligible == (voter is not None)
            if voter is not None:
                assert answer.option == voter.choice and answer.weight == voter.weight


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(STEP, min_size=0, max_size=3), min_size=1, max_size=16),
    st.integers(3, 9),
    st.integers(2, 6),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_outcomes_and_tallies_follow_the_model(
    blocks: list[list[tuple[str, int, int, int, bool]]],
    close_height: int,
    reveal_blocks: int,
    revote: bool,
    secret_revote: bool,
    balance: bool,
) -> None:
    state = make_state()  # ALICE 1,000, BOB 500, CAROL nothing
    weighting = "balance" if balance else "equal"
    public = Ballot("public", False, revote, close_height, 0)
    secret = Ballot("secret", True, secret_revote, close_height, reveal_blocks)
    for model in (public, secret):
        for key in ELIGIBLE:
            weight = {ALICE: 1_000, BOB: 500, CAROL: 0}[key] if balance else 1
            model.voters[key.address] = Voter(weight)
    creates = [
        Create(
            m.name, "t", OPTIONS, [k.address for k in ELIGIBLE], 1, close_height,
            weighting, m.revote, m.secret, m.reveal_blocks,
        )
        for m in (public, secret)
    ]  # fmt: skip
    created = run_block(state, [tx(ALICE, i, c) for i, c in enumerate(creates)])
    assert all(r.ok for r in created.receipts)
    final_height = close_height + reveal_blocks
    for block in blocks + [[]] * (final_height + 1 - len(blocks)):
        height = state.height + 1
        nonces = {k.address: nonce(state, k) for k in KEYS}
        txs, expected = [], []
        for kind, signer, option, salt_index, on_secret in block:
            key, model, salt = KEYS[signer], (secret if on_secret else public), SALTS[salt_index]
            action: Cast | Commit | Reveal
            if kind == "cast":
                action = Cast(model.name, option)
            elif kind == "commit":
                commitment = compute_commitment(model.name, key.address, option, salt)
                action = Commit(model.name, commitment)
            else:
                action = Reveal(model.name, option, salt)
            txs.append(tx(key, nonces[key.address], action))
            nonces[key.address] += 1
            expected.append(model.expect(kind, key, option, salt, height))
        result = run_block(state, txs)
        assert [r.code for r in result.receipts] == expected
        for event in result.events:
            if event.kind == "result":
                model = public if dict(event.attributes)["ballot"] == "public" else secret
                model.results += 1
                assert height == (model.close_height + model.reveal_blocks)
                assert dict(event.attributes)["weights"] == ",".join(map(str, model.weights()))
        check_tallies(state, [public, secret])
    assert public.results == secret.results == 1
