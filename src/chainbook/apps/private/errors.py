"""The private module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidId(ModuleError):
    """A collection or record id that is empty, too long or has a character outside a-z 0-9 . _ -"""

    code = "private.invalid_id"


class CollectionExists(ModuleError):
    code = "private.collection_exists"


class UnknownCollection(ModuleError):
    code = "private.unknown_collection"


class InvalidMembers(ModuleError):
    """A member list that is empty, too long, repeats an id, names an institution that is not
    registered and active, or a threshold outside 1..members."""

    code = "private.invalid_members"


class NotAMember(ModuleError):
    """The sender is not a key of an active member institution of the collection."""

    code = "private.not_a_member"


class StaleVersion(ModuleError):
    """A member-list approval for a version of the collection that is no longer current."""

    code = "private.stale_version"


class RecordExists(ModuleError):
    code = "private.record_exists"


class InvalidPurge(ModuleError):
    code = "private.invalid_purge"


class BlockFull(ModuleError):
    """The block holds records_per_block_max records already; send it again (next block)."""

    code = "private.block_full"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidId,
    CollectionExists,
    UnknownCollection,
    InvalidMembers,
    NotAMember,
    StaleVersion,
    RecordExists,
    InvalidPurge,
    BlockFull,
)

__all__ = [
    "ERRORS",
    "BlockFull",
    "CollectionExists",
    "InvalidId",
    "InvalidMembers",
    "InvalidPurge",
    "NotAMember",
    "RecordExists",
    "StaleVersion",
    "UnknownCollection",
]
