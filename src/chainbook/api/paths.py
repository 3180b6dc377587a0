"""Path and query values of the API: heights, hashes, addresses, cursors, each parsed once here.

Rules kept:
- A number in a URL is ASCII decimal digits only (the rule of apps/fields.py for module
  parameters): "²", "١٢" (Arabic-Indic) and other Unicode digits are refused, though Python's
  str.isdigit() and int() accept them.
- A height is 1 .. HEIGHT_MAX (2^63 - 1, SQLite's largest integer): a larger one is refused
  here with the bound named, never sent to the database.
- A hash is 64 hex characters, an address 40, both with an optional 0x.
- Every refusal is an ApiProblem with the API's one body: the code, the value, what is
  accepted. The status comes from the code (api/errors.py), never from the call site.
"""

from __future__ import annotations

import re

from chainbook.api.errors import ApiProblem
from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES, parse_address
from chainbook.types import Hash, Height

HEIGHT_MAX = 10**18 - 1
"""The largest height a URL may name: 18 digits, within SQLite's INTEGER (2^63 - 1) and some
31 billion years of one-second blocks; beyond it nothing exists."""

# The OpenAPI document gives each parameter exactly the pattern its parser accepts, so a
# schema-valid value is never refused and a schema-invalid one never accepted.
HEIGHT_PATTERN = "^[1-9][0-9]{0,17}$"
HASH_PATTERN = "^(0x)?[0-9a-fA-F]{64}$"
ADDRESS_PATTERN = "^(0x)?[0-9a-fA-F]{40}$"
NAME_PATTERN = "^[ -~]{1,100}$"
"""A module, event type or action tag: 1 to 100 printable ASCII characters."""

_HEIGHT = re.compile(HEIGHT_PATTERN[1:-1])


def count_pattern(maximum: int) -> str:
    """The pattern of the decimal integers 1 .. maximum (maximum a power of ten, or 100)."""
    digits = len(str(maximum)) - 1
    assert maximum == 10**digits, maximum
    return f"^({maximum}|[1-9][0-9]{{0,{digits - 1}}})$"


def _show(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def parse_height(text: str) -> Height:
    """A height from a path or query value: ASCII digits, 1 .. HEIGHT_MAX."""
    if _HEIGHT.fullmatch(text) is None:
        raise ApiProblem(
            "invalid_height",
            f"height must be ASCII decimal digits from 1 to {HEIGHT_MAX}, got {_show(text)}",
        )
    return int(text)


def parse_optional_height(text: str | None, name: str) -> Height | None:
    if text is None:
        return None
    if _HEIGHT.fullmatch(text) is None:
        raise ApiProblem(
            "invalid_request",
            f"parameter {name!r} must be ASCII decimal digits from 1 to {HEIGHT_MAX}, "
            f"got {_show(text)}",
        )
    return int(text)


def parse_count(text: str | None, name: str, default: int, maximum: int) -> int:
    """A count parameter (limit=...): ASCII digits, 1 .. maximum."""
    if text is None:
        return default
    if re.fullmatch(count_pattern(maximum)[1:-1], text) is None:
        raise ApiProblem(
            "invalid_request",
            f"parameter {name!r} must be ASCII decimal digits from 1 to {maximum}, "
            f"got {_show(text)}",
        )
    return int(text)


def parse_hash(text: str) -> Hash:
    if re.fullmatch(HASH_PATTERN[1:-1], text) is None:
        raise ApiProblem(
            "invalid_hash", f"hash must be {HASH_BYTES * 2} hex characters, got {_show(text)}"
        )
    return bytes.fromhex(text.removeprefix("0x"))


def parse_address_param(text: str) -> bytes:
    # bytes.fromhex (under crypto.parse_address) skips spaces: refuse them first.
    if re.fullmatch(ADDRESS_PATTERN[1:-1], text) is None:
        raise ApiProblem(
            "invalid_address",
            f"address must be {ADDRESS_BYTES * 2} hex characters, got {_show(text)}",
        )
    try:
        return parse_address(text)
    except ValueError as exc:
        raise ApiProblem("invalid_address", str(exc)) from None


def parse_name(text: str | None, name: str) -> str | None:
    """A module, event type or action tag (NAME_PATTERN)."""
    if text is None:
        return None
    if re.fullmatch(NAME_PATTERN[1:-1], text) is None:
        raise ApiProblem(
            "invalid_request",
            f"parameter {name!r} must be 1 to 100 printable ASCII characters, got {_show(text)}",
        )
    return text


def pattern(regex: str) -> dict[str, object]:
    """json_schema_extra for a text parameter: its exact pattern."""
    return {"pattern": regex}


def parse_choice(text: str | None, name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first is the default)."""
    if text is None:
        return choices[0]
    if text not in choices:
        raise ApiProblem(
            "invalid_request",
            f"parameter {name!r} must be one of {', '.join(choices)}, got {_show(text)}",
        )
    return text


__all__ = [
    "ADDRESS_PATTERN",
    "HASH_PATTERN",
    "HEIGHT_MAX",
    "HEIGHT_PATTERN",
    "NAME_PATTERN",
    "count_pattern",
    "pattern",
    "parse_name",
    "parse_address_param",
    "parse_choice",
    "parse_count",
    "parse_hash",
    "parse_height",
    "parse_optional_height",
]
