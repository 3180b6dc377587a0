"""The vote module's section of the genesis file (`app_state.vote`): who may create ballots.

    {"creators": ["<40 hex>", ...]}

Empty (the default): any account may create a ballot. A consortium that wants its ballots
created only by, say, its secretariat lists those accounts here.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.apps.vote import limits
from chainbook.errors import ConfigError

_ADDRESS_HEX = re.compile(r"^[0-9a-f]{40}$")


class VoteGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    creators: list[str] = []
    """Accounts (40 lowercase hex) allowed to create ballots; empty: every account."""


def verify_vote_genesis(section: VoteGenesis) -> None:
    where = "genesis app_state.vote.creators"
    if len(section.creators) > limits.creators_max:
        raise ConfigError(f"{where}: {len(section.creators)} accounts, at most "
                          f"{limits.creators_max}")
    for i, creator in enumerate(section.creators):
        if not _ADDRESS_HEX.match(creator):
            raise ConfigError(f"{where}[{i}]: expected 40 lowercase hex characters, got "
                              f"{creator!r}")
    if len(set(section.creators)) != len(section.creators):
        raise ConfigError(f"{where}: an account appears twice")


__all__ = ["VoteGenesis", "verify_vote_genesis"]
