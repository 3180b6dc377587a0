"""The ip module's section of the genesis file (`app_state.ip`): registrations imported from an
earlier register, so that its filings stay first when the register moves onto the chain (a
work already filed elsewhere cannot then be filed first on chain by someone else).

    {"works": [{"work": "<64 hex>", "title": "...", "author": "...", "owner": "<40 hex>",
                "time_ms": 1700000000000, "metadata": "..."}, ...]}

Each becomes a registration at height 0, owned by `owner`, with the filing time stated here
(apps/ip/process.py). Default: none.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.apps.ip import limits
from chainbook.errors import ConfigError

_HASH_HEX = re.compile(r"^[0-9a-f]{64}$")
_ADDRESS_HEX = re.compile(r"^[0-9a-f]{40}$")


class GenesisWork(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: str
    """64 lowercase hex: the work's SHA-256."""
    title: str
    author: str
    owner: str
    """40 lowercase hex: the account that owns it on chain."""
    time_ms: int
    """When the earlier register recorded the filing (ms since the Unix epoch)."""
    metadata: str = ""


class IpGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    works: list[GenesisWork] = []


def verify_ip_genesis(section: IpGenesis) -> None:
    """Refuse a section that could not run; each reason names the entry, field and value."""
    where = "genesis app_state.ip.works"
    if len(section.works) > limits.genesis_works_max:
        raise ConfigError(f"{where}: {len(section.works)} entries, at most "
                          f"{limits.genesis_works_max}")
    seen: set[str] = set()
    for i, entry in enumerate(section.works):
        at = f"{where}[{i}]"
        if not _HASH_HEX.match(entry.work):
            raise ConfigError(f"{at}.work: expected 64 lowercase hex characters, got "
                              f"{entry.work!r}")
        if entry.work in seen:
            raise ConfigError(f"{at}.work: {entry.work} appears twice")
        seen.add(entry.work)
        if not _ADDRESS_HEX.match(entry.owner):
            raise ConfigError(f"{at}.owner: expected 40 lowercase hex characters, got "
                              f"{entry.owner!r}")
        if entry.time_ms < 0:
            raise ConfigError(f"{at}.time_ms must be >= 0, got {entry.time_ms}")
        for name, text, low, high in (
            ("title", entry.title, 1, limits.title_bytes_max),
            ("author", entry.author, 1, limits.author_bytes_max),
            ("metadata", entry.metadata, 0, limits.metadata_bytes_max),
        ):
            size = len(text.encode())
            if not low <= size <= high:
                raise ConfigError(f"{at}.{name}: {size} bytes of UTF-8, accepted {low} to {high}")


__all__ = ["GenesisWork", "IpGenesis", "verify_ip_genesis"]
