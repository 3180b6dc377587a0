"""The royalty module's section of the genesis file (`app_state.royalty`): a catalogue of works
imported from an earlier register (a label's or a collecting society's), so that moving the
catalogue onto the chain keeps its ids, splits and prices.

    {"works": [{"work": "USRC17607839", "title": "...", "metadata_hash": "<64 hex>",
                "institution": "sunrise-records", "token": "",
                "prices": [{"use": "download", "price": 100}],
                "split": [{"holder": "<40 hex>", "share": 5000}, ...],
                "time_ms": 1700000000000}, ...]}

Each becomes a work at height 0, split version 0, with the time stated here and no registrant;
the institution named sets its prices once governance has it registered as a rights manager
(the genesis may do so in app_state.governance). The rules are those of a registration
(apps/royalty/rules.py), the limits too; whether the token exists is the assets section's
business (a work in a token nobody issued cannot be paid: its transfers are refused).
Default: none.
"""

from __future__ import annotations

import re
from collections import Counter

import msgspec

from chainbook.apps.royalty import limits
from chainbook.apps.royalty.actions import Price, Share
from chainbook.apps.royalty.errors import InvalidPrices, InvalidSplit, InvalidText, UnknownToken
from chainbook.apps.royalty.rules import (
    INSTITUTION_PATTERN,
    is_token_id,
    is_work_id,
    verify_prices,
    verify_split,
    verify_title,
)
from chainbook.errors import ConfigError

_HASH_HEX = re.compile(r"[0-9a-f]{64}")
_ADDRESS_HEX = re.compile(r"[0-9a-f]{40}")


class GenesisShare(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    holder: str
    """40 lowercase hex."""
    share: int


class GenesisPrice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    use: str
    price: int


class GenesisWork(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: str
    title: str
    metadata_hash: str
    """64 lowercase hex."""
    institution: str
    """The rights manager's institution id."""
    prices: list[GenesisPrice]
    split: list[GenesisShare]
    token: str = ""
    time_ms: int = 0
    """When the earlier register recorded it (ms since the Unix epoch)."""


class RoyaltyGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    works: list[GenesisWork] = []


def verify_work_entry(at: str, entry: GenesisWork) -> None:
    if not is_work_id(entry.work):
        raise ConfigError(f"{at}.work: {entry.work!r} is not accepted (1 to "
                          f"{limits.work_id_chars_max} of A-Z a-z 0-9 . _ : -)")
    if not _HASH_HEX.fullmatch(entry.metadata_hash):
        raise ConfigError(f"{at}.metadata_hash: expected 64 lowercase hex, got "
                          f"{entry.metadata_hash!r}")
    if not INSTITUTION_PATTERN.fullmatch(entry.institution):
        raise ConfigError(f"{at}.institution: {entry.institution!r} is not an institution id "
                          "(a-z 0-9 . _ -, first a letter or digit, at most 64)")
    if entry.time_ms < 0:
        raise ConfigError(f"{at}.time_ms must be >= 0, got {entry.time_ms}")
    for j, line in enumerate(entry.split):
        if not _ADDRESS_HEX.fullmatch(line.holder):
            raise ConfigError(f"{at}.split[{j}].holder: expected 40 lowercase hex, got "
                              f"{line.holder!r}")
    try:
        verify_title(entry.title)
        if not is_token_id(entry.token):
            raise UnknownToken(f"token {entry.token!r} is not a token id (\"\" or a symbol)")
        verify_split([Share(bytes.fromhex(s.holder), s.share) for s in entry.split])
        verify_prices([Price(p.use, p.price) for p in entry.prices])
    except (InvalidText, UnknownToken, InvalidSplit, InvalidPrices) as refusal:
        raise ConfigError(f"{at}: {refusal}") from None


def verify_royalty_genesis(section: RoyaltyGenesis) -> None:
    """Refuse a section that could not run; each reason names the entry, field and value."""
    where = "genesis app_state.royalty.works"
    if len(section.works) > limits.genesis_works_max:
        raise ConfigError(f"{where}: {len(section.works)} entries, at most "
                          f"{limits.genesis_works_max}")
    seen: set[str] = set()
    for i, entry in enumerate(section.works):
        verify_work_entry(f"{where}[{i}]", entry)
        if entry.work in seen:
            raise ConfigError(f"{where}[{i}].work: {entry.work} appears twice")
        seen.add(entry.work)
    held = Counter(line.holder for entry in section.works for line in entry.split)
    for holder, count in held.items():
        if count > limits.holder_works_max:
            raise ConfigError(f"{where}: holder {holder} is in {count} works, at most "
                              f"{limits.holder_works_max}")
    catalogues = Counter(entry.institution for entry in section.works)
    for institution, count in catalogues.items():
        if count > limits.catalogue_works_max:
            raise ConfigError(f"{where}: institution {institution} has {count} works, at most "
                              f"{limits.catalogue_works_max}")


__all__ = [
    "GenesisPrice",
    "GenesisShare",
    "GenesisWork",
    "RoyaltyGenesis",
    "verify_royalty_genesis",
]
