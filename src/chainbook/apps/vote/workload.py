"""The vote module's simulated clients: ballots public and secret, votes, revotes, commitments
and reveals, every simulated account an eligible voter.

A workload does not see the chain's height, and a ballot's heights are absolute: it guesses a
close height, and when a create is refused (the guess was in the past, most likely) it
guesses later. So ballots close during a run and the begin-block hook is exercised too;
votes and reveals outside their windows are refused, as a real client's late vote would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.vote.actions import Cast, Commit, Create, Reveal
from chainbook.apps.vote.commitment import compute_commitment
from chainbook.crypto import sha256
from chainbook.types import Address

VOTERS_MAX = 300
"""Simulated accounts listed as voters of one ballot (one create transaction holds them)."""
OPTIONS = ["yes", "no", "abstain"]
GUESS_STEP_BLOCKS = 25


@dataclass(slots=True)
class SimBallot:
    name: str
    secret: bool


class VoteWorkload:
    def __init__(self) -> None:
        self.created = 0
        self.height_guess = 0
        self.ballots: list[SimBallot] = []
        self.commitments: dict[tuple[str, Address], tuple[int, bytes]] = {}

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        if draw < 0.1 or not self.ballots:
            return self._create(rng, accounts)
        ballot: SimBallot = rng.choice(self.ballots)
        option = rng.randint(0, len(OPTIONS) - 1)
        if not ballot.secret:
            return Cast(ballot=ballot.name, option=option)
        committed = self.commitments.get((ballot.name, sender))
        if committed is not None and draw < 0.6:
            return Reveal(ballot=ballot.name, option=committed[0], salt=committed[1])
        salt = sha256(ballot.name.encode() + sender + bytes([option]))[:16]
        self.commitments[(ballot.name, sender)] = (option, salt)
        return Commit(ballot.name, compute_commitment(ballot.name, sender, option, salt))

    def _create(self, rng: Rng, accounts: Sequence[Address]) -> Create:
        self.created += 1
        secret = rng.random() < 0.4
        return Create(
            ballot=f"sim-{self.created}",
            title="a simulated ballot",
            options=OPTIONS,
            voters=list(accounts[:VOTERS_MAX]),
            open_height=0,
            close_height=self.height_guess + rng.randint(5, 40),
            revote=rng.random() < 0.5,
            secret=secret,
            reveal_blocks=rng.randint(3, 20) if secret else 0,
        )

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not isinstance(action, Create):
            return
        if ok:
            self.ballots.append(SimBallot(action.ballot, action.secret))
        else:
            self.height_guess += GUESS_STEP_BLOCKS


__all__ = ["VoteWorkload"]
