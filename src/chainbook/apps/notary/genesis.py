"""The notary's section of the genesis file (`app_state.notary`): anchorings imported from an
earlier register, so that moving a register onto the chain keeps its earliest dates.

    {"anchors": [{"hash": "<64 hex>", "title": "...", "metadata": "...",
                  "signer": "<40 hex or empty>", "time_ms": 1700000000000,
                  "kind": "document" | "batch", "hashes": 1}, ...]}

Each becomes a record at height 0 with the time and signer stated here (the genesis file is
what every member of the network agreed to; apps/notary/process.py). Default: none.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.apps.notary import limits
from chainbook.errors import ConfigError

_HASH_HEX = re.compile(r"^[0-9a-f]{64}$")
_ADDRESS_HEX = re.compile(r"^(?:[0-9a-f]{40})?$")
KINDS = ("document", "batch")


class GenesisAnchor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hash: str
    """64 lowercase hex: the document's SHA-256, or a batch's root."""
    time_ms: int
    """When the earlier register recorded it (milliseconds since the Unix epoch)."""
    title: str = ""
    metadata: str = ""
    signer: str = ""
    """40 lowercase hex, or empty when the earlier register names no address."""
    kind: str = "document"
    hashes: int = 1
    """1 for a document; the number of documents under a batch root."""


class NotaryGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    anchors: list[GenesisAnchor] = []


def verify_notary_genesis(section: NotaryGenesis) -> None:
    """Refuse a section that could not run; each reason names the entry, field and value."""
    where = "genesis app_state.notary.anchors"
    if len(section.anchors) > limits.genesis_anchors_max:
        raise ConfigError(
            f"{where}: {len(section.anchors)} entries, at most {limits.genesis_anchors_max}"
        )
    seen: set[str] = set()
    for i, entry in enumerate(section.anchors):
        at = f"{where}[{i}]"
        if not _HASH_HEX.match(entry.hash):
            raise ConfigError(f"{at}.hash: expected 64 lowercase hex characters, got "
                              f"{entry.hash!r}")
        if entry.hash in seen:
            raise ConfigError(f"{at}.hash: {entry.hash} appears twice")
        seen.add(entry.hash)
        if not _ADDRESS_HEX.match(entry.signer):
            raise ConfigError(f"{at}.signer: expected 40 lowercase hex characters or empty, "
                              f"got {entry.signer!r}")
        if entry.time_ms < 0:
            raise ConfigError(f"{at}.time_ms must be >= 0, got {entry.time_ms}")
        if entry.kind not in KINDS:
            raise ConfigError(f"{at}.kind: expected one of {', '.join(KINDS)}, got "
                              f"{entry.kind!r}")
        if entry.kind == "document" and entry.hashes != 1:
            raise ConfigError(f"{at}.hashes: a document is 1 hash, got {entry.hashes}")
        if not 1 <= entry.hashes <= limits.batch_hashes_max:
            raise ConfigError(
                f"{at}.hashes: accepted 1 to {limits.batch_hashes_max}, got {entry.hashes}"
            )
        for name, text, limit in (
            ("title", entry.title, limits.title_bytes_max),
            ("metadata", entry.metadata, limits.metadata_bytes_max),
        ):
            if len(text.encode()) > limit:
                raise ConfigError(
                    f"{at}.{name}: {len(text.encode())} bytes of UTF-8, at most {limit}"
                )


__all__ = ["KINDS", "GenesisAnchor", "NotaryGenesis", "verify_notary_genesis"]
