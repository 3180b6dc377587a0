"""The assets module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"assets/"; values canonical MessagePack):

    token/<symbol>                       TokenRecord   a token: issuer, cap, supply, holders
    tokens                               uint          tokens created so far
    token_at/<n u32 BE>                  str           the n-th token's symbol (creation order)
    balance/<symbol>/<address 20>        uint          a balance; present iff the account ever
                                                       held the token (kept at 0)
    frozen/<symbol>/<address 20>         uint          the height of the freeze; present iff
                                                       the account is frozen in that token
    holder_at/<symbol>/<n u32 BE>        bin(20)       the n-th account that ever held it
    held/<address 20>                    uint          tokens the account ever held
    held_at/<address 20><n u32 BE>       str           the n-th of them (first-credit order)
    asset/<asset id>                     AssetRecord   a registered asset and its owner
    entry/<asset id>/<n u32 BE>          AssetEntry    entry n of its ownership history
    owned/<address 20>                   uint          assets the account owns now
    owned_at/<address 20><n u32 BE>      str           one of them (AssetRecord.slot says which)

Symbols ([A-Z][A-Z0-9]{1,11}) and asset ids ([A-Za-z0-9._:-]{1,64}) hold no "/", so every key
above has one reading. A module's view has no range reads: the lists (tokens, holders, held,
owned) are counters with numbered entries, which is how queries page through them.
"""

from __future__ import annotations

import enum
import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, decode_int
from chainbook.types import Address, Amount, Hash, Height, TimeMs

MODULE_NAME = "assets"
TOKEN_PREFIX = b"token/"
TOKENS_KEY = b"tokens"
TOKEN_AT_PREFIX = b"token_at/"
BALANCE_PREFIX = b"balance/"
FROZEN_PREFIX = b"frozen/"
HOLDER_AT_PREFIX = b"holder_at/"
HELD_PREFIX = b"held/"
HELD_AT_PREFIX = b"held_at/"
ASSET_PREFIX = b"asset/"
ENTRY_PREFIX = b"entry/"
OWNED_PREFIX = b"owned/"
OWNED_AT_PREFIX = b"owned_at/"


class TokenRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    name: str
    decimals: int
    supply_max: Amount
    """0: no cap (the supply still stays below 2**64)."""
    freezable: bool
    institution: str
    """The issuing institution's id (governance registry, role "issuer")."""
    creator: Address
    """The institution's key that created it; empty for a token the genesis imported."""
    supply: Amount
    """== minted - burned == the sum of its balances (asserted at every commit)."""
    minted: Amount
    burned: Amount
    holders: int
    """Accounts that ever held it: holder_at/<symbol>/0 .. holders - 1."""
    height: Height
    tx_hash: Hash


class EntryKind(enum.IntEnum):
    REGISTERED = 0
    TRANSFER = 1


ENTRY_KIND_NAMES = {EntryKind.REGISTERED: "registered", EntryKind.TRANSFER: "transfer"}


class AssetRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    metadata_hash: Hash
    owner: Address
    registrant: Address
    """Who registered it (the owner or, e.g., a land registry for the owner); empty for an
    asset the genesis imported."""
    institution: str
    """The registrant's institution id when it was an active issuer then; else empty."""
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    entries: int
    """History entries so far (>= 1: entry 0 is the registration)."""
    slot: int
    """Its position in its owner's list: owned_at/<owner><slot> holds its id."""


class AssetEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    kind: EntryKind
    previous_owner: Address
    """Empty for the registration."""
    owner: Address
    """The owner from this entry on."""
    by: Address
    """Who signed it: the registrant, or the transaction's sender of the transfer."""
    module: str
    """The module that moved it through the export (escrow, collateral); empty when the
    owner's own assets.transfer_asset did."""
    height: Height
    time_ms: TimeMs
    tx_hash: Hash


# --- keys -----------------------------------------------------------------------------------


def _number(n: int) -> bytes:
    return struct.pack(">I", n)


def token_key(token: str) -> bytes:
    return TOKEN_PREFIX + token.encode()


def token_at_key(n: int) -> bytes:
    return TOKEN_AT_PREFIX + _number(n)


def balance_key(token: str, address: Address) -> bytes:
    return BALANCE_PREFIX + token.encode() + b"/" + address


def frozen_key(token: str, address: Address) -> bytes:
    return FROZEN_PREFIX + token.encode() + b"/" + address


def holder_at_key(token: str, n: int) -> bytes:
    return HOLDER_AT_PREFIX + token.encode() + b"/" + _number(n)


def held_key(address: Address) -> bytes:
    return HELD_PREFIX + address


def held_at_key(address: Address, n: int) -> bytes:
    return HELD_AT_PREFIX + address + _number(n)


def asset_key(asset_id: str) -> bytes:
    return ASSET_PREFIX + asset_id.encode()


def entry_key(asset_id: str, n: int) -> bytes:
    return ENTRY_PREFIX + asset_id.encode() + b"/" + _number(n)


def owned_key(address: Address) -> bytes:
    return OWNED_PREFIX + address


def owned_at_key(address: Address, n: int) -> bytes:
    return OWNED_AT_PREFIX + address + _number(n)


def parse_balance_key(key: bytes) -> tuple[str, Address]:
    """(symbol, address) of a key under BALANCE_PREFIX."""
    rest = key[len(BALANCE_PREFIX) :]
    return rest[:-21].decode(), rest[-20:]


# --- accessors ------------------------------------------------------------------------------


def get_uint(view: KVReader, key: bytes) -> int:
    raw = view.get(key)
    return 0 if raw is None else decode_int(raw)


def get_token(view: KVReader, token: str) -> TokenRecord | None:
    raw = view.get(token_key(token))
    return None if raw is None else codec.decode(raw, TokenRecord)


def get_balance(view: KVReader, token: str, address: Address) -> Amount | None:
    """The balance, or None when the account never held the token."""
    raw = view.get(balance_key(token, address))
    return None if raw is None else decode_int(raw)


def is_frozen(view: KVReader, token: str, address: Address) -> bool:
    return view.get(frozen_key(token, address)) is not None


def get_text(view: KVReader, key: bytes) -> str:
    raw = view.get(key)
    assert raw is not None, f"assets list entry missing: {key!r}"
    return codec.decode(raw, str)


def get_address(view: KVReader, key: bytes) -> Address:
    raw = view.get(key)
    assert raw is not None, f"assets list entry missing: {key!r}"
    return codec.decode(raw, bytes)


def get_asset(view: KVReader, asset_id: str) -> AssetRecord | None:
    raw = view.get(asset_key(asset_id))
    return None if raw is None else codec.decode(raw, AssetRecord)


def get_entry(view: KVReader, asset_id: str, n: int) -> AssetEntry | None:
    raw = view.get(entry_key(asset_id, n))
    return None if raw is None else codec.decode(raw, AssetEntry)


__all__ = [
    "ASSET_PREFIX",
    "BALANCE_PREFIX",
    "ENTRY_KIND_NAMES",
    "ENTRY_PREFIX",
    "FROZEN_PREFIX",
    "HELD_AT_PREFIX",
    "HELD_PREFIX",
    "HOLDER_AT_PREFIX",
    "MODULE_NAME",
    "OWNED_AT_PREFIX",
    "OWNED_PREFIX",
    "TOKENS_KEY",
    "TOKEN_AT_PREFIX",
    "TOKEN_PREFIX",
    "AssetEntry",
    "AssetRecord",
    "EntryKind",
    "TokenRecord",
    "asset_key",
    "balance_key",
    "entry_key",
    "frozen_key",
    "get_address",
    "get_asset",
    "get_balance",
    "get_entry",
    "get_text",
    "get_token",
    "get_uint",
    "held_at_key",
    "held_key",
    "holder_at_key",
    "is_frozen",
    "owned_at_key",
    "owned_key",
    "parse_balance_key",
    "token_at_key",
    "token_key",
]
