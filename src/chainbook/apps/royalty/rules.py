"""The royalty rules that need no state: ids, split tables, price tables, texts, the split of a
payment (its rounding rule) and which holders a split change lowers.

Rules kept:
- A work id is 1..64 characters of A-Z a-z 0-9 . _ : - (case-sensitive: an ISRC such as
  "USRC17607839", an ISWC "T-034.524.680-1", a label's own code).
- A split table has 1..holders_per_work_max lines, each holder once, each share 1..10,000
  basis points, the shares summing to exactly 10,000. Its order is for people only: nothing
  computed from it depends on the order (the rounding below breaks ties by address), so two
  tables giving every holder the same share are the same split.
- A price table has 1..prices_max lines, each use kind once (1..24 characters of a-z 0-9 _ -,
  the first a letter: "download", "stream", "licence"), each price 1..2**64 - 1 in the work's
  token's base units. A free use is not paid for, so it has no price.
- The split of a payment of `amount` (compute_allocation; the largest remainder method):
  every holder first gets floor(amount x share / 10,000); the r units left over (r is less
  than the number of holders whose product amount x share is not a multiple of 10,000) go one
  each to the holders with the largest remainders (amount x share mod 10,000), ties to the
  larger share, then to the lower address (bytewise). So the parts sum to `amount` exactly
  (no unit lost or created) and every holder gets its exact share rounded down or up, never
  further from it than one unit. Each payment is split on its own: a holder of 1 basis point
  gets nothing of a payment of 100 units, and nothing is carried to the next payment.
- A split change lowers the share of every holder of the old table whose share in the new
  one is smaller, a holder left out falling to 0 (compute_falling): those are the holders
  who must sign the change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chainbook.apps.royalty import limits
from chainbook.apps.royalty.actions import Price, Share
from chainbook.apps.royalty.errors import (
    InvalidPrices,
    InvalidSplit,
    InvalidText,
    InvalidWorkId,
    UnknownToken,
)
from chainbook.types import Address, Amount

WORK_ID_PATTERN = re.compile(rf"[A-Za-z0-9._:-]{{1,{limits.work_id_chars_max}}}")
USE_PATTERN = re.compile(rf"[a-z][a-z0-9_-]{{0,{limits.use_chars_max - 1}}}")
TOKEN_PATTERN = re.compile(r"|[A-Z][A-Z0-9]{1,11}")
"""The token ids of chainbook.apps.tokens: "" (the native coin) or an issued symbol."""
INSTITUTION_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


# --- predicates and pure computations --------------------------------------------------------


def is_work_id(work: str) -> bool:
    return WORK_ID_PATTERN.fullmatch(work) is not None


def is_token_id(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def compute_shares(split: Sequence[Share]) -> dict[Address, int]:
    """Holder -> share in basis points (the split as a mapping: its order does not count)."""
    return {line.holder: line.share for line in split}


def compute_allocation(amount: Amount, split: Sequence[Share]) -> list[Amount]:
    """Each holder's part of a payment of `amount`, in the split's order (the module
    docstring gives the rule); the parts sum to `amount`."""
    total = limits.share_total_bps
    parts: list[int] = []
    remainders: list[int] = []
    for line in split:
        part, remainder = divmod(amount * line.share, total)
        parts.append(part)
        remainders.append(remainder)
    left = amount - sum(parts)
    # left == sum(remainders) / total, each remainder below total: fewer than the holders
    # with a remainder, so the +1s below go only to them (a split of shares summing to total).
    assert left == 0 or 0 < left < sum(1 for r in remainders if r), (amount, split)
    ranked = sorted(
        range(len(split)), key=lambda i: (-remainders[i], -split[i].share, split[i].holder)
    )
    for i in ranked[:left]:
        parts[i] += 1
    assert sum(parts) == amount, (amount, split, parts)
    return parts


def compute_falling(old: Sequence[Share], new: Sequence[Share]) -> list[tuple[Address, int, int]]:
    """(holder, share now, share after) of every holder whose share the change lowers, in the
    old table's order (a holder left out falls to 0)."""
    after = compute_shares(new)
    return [
        (line.holder, line.share, after.get(line.holder, 0))
        for line in old
        if after.get(line.holder, 0) < line.share
    ]


def describe_split(split: Sequence[Share]) -> str:
    return ", ".join(f"{line.holder.hex()} {line.share}" for line in split)


# --- checks ---------------------------------------------------------------------------------


def verify_work_id(work: str) -> None:
    if not is_work_id(work):
        raise InvalidWorkId(
            f"work id {work!r} is not accepted: 1 to {limits.work_id_chars_max} characters of "
            "A-Z a-z 0-9 . _ : - (e.g. an ISRC USRC17607839 or an ISWC T-034.524.680-1)"
        )


def verify_split(split: Sequence[Share]) -> None:
    count = len(split)
    if not 1 <= count <= limits.holders_per_work_max:
        raise InvalidSplit(
            f"a split table has 1 to {limits.holders_per_work_max} holders, got {count}"
        )
    seen: set[Address] = set()
    for i, line in enumerate(split):
        if line.holder in seen:
            raise InvalidSplit(f"split[{i}]: holder {line.holder.hex()} is listed twice")
        seen.add(line.holder)
        if not 1 <= line.share <= limits.share_total_bps:
            raise InvalidSplit(
                f"split[{i}]: share {line.share} of {line.holder.hex()} is not accepted: 1 to "
                f"{limits.share_total_bps} basis points"
            )
    total = sum(line.share for line in split)
    if total != limits.share_total_bps:
        raise InvalidSplit(
            f"the shares sum to {total} basis points; they must sum to exactly "
            f"{limits.share_total_bps} (100 %)"
        )


def verify_prices(prices: Sequence[Price]) -> None:
    count = len(prices)
    if not 1 <= count <= limits.prices_max:
        raise InvalidPrices(f"a price table has 1 to {limits.prices_max} uses, got {count}")
    seen: set[str] = set()
    for i, line in enumerate(prices):
        if USE_PATTERN.fullmatch(line.use) is None:
            raise InvalidPrices(
                f"prices[{i}]: use {line.use!r} is not accepted: 1 to {limits.use_chars_max} "
                "characters of a-z 0-9 _ -, the first a letter (e.g. download, stream, licence)"
            )
        if line.use in seen:
            raise InvalidPrices(f"prices[{i}]: use {line.use!r} is listed twice")
        seen.add(line.use)
        if not 1 <= line.price <= limits.amount_max:
            raise InvalidPrices(
                f"prices[{i}]: price {line.price} of {line.use!r} is not accepted: 1 to "
                f"{limits.amount_max} base units of the work's token"
            )


def verify_title(title: str) -> None:
    size = compute_utf8_bytes(title)
    if not 1 <= size <= limits.title_bytes_max:
        raise InvalidText(
            f"title is {size} bytes of UTF-8; accepted 1 to {limits.title_bytes_max}"
        )


def verify_reference(reference: str) -> None:
    size = compute_utf8_bytes(reference)
    if size > limits.reference_bytes_max:
        raise InvalidText(
            f"reference is {size} bytes of UTF-8; accepted 0 to {limits.reference_bytes_max}"
        )


def verify_token_id(token: str) -> None:
    if not is_token_id(token):
        raise UnknownToken(
            f"token {token!r} is not a token id: \"\" for the native coin or an issued symbol "
            "(2 to 12 of A-Z 0-9, the first a letter)"
        )


__all__ = [
    "INSTITUTION_PATTERN",
    "TOKEN_PATTERN",
    "USE_PATTERN",
    "WORK_ID_PATTERN",
    "compute_allocation",
    "compute_falling",
    "compute_shares",
    "compute_utf8_bytes",
    "describe_split",
    "is_token_id",
    "is_work_id",
    "verify_prices",
    "verify_reference",
    "verify_split",
    "verify_title",
    "verify_token_id",
    "verify_work_id",
]
