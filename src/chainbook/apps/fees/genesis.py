"""The fees section of the genesis file (`app_state.fees`).

    {"min_fee_per_byte": 0}

0 (the default, and what `chainbook testnet init` writes) is a private consortium whose
members trust each other's clients: any fee, 0 included, is accepted. Above 0, every
transaction pays at least min_fee_per_byte x its signed bytes, burnt from the sender.
"""

from __future__ import annotations

import msgspec

from chainbook.apps.fees import limits
from chainbook.errors import ConfigError
from chainbook.types import Amount


class FeesGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    min_fee_per_byte: Amount = 0


def verify_fees_genesis(section: FeesGenesis) -> None:
    if not 0 <= section.min_fee_per_byte <= limits.min_fee_per_byte_max:
        raise ConfigError(
            f"genesis app_state.fees.min_fee_per_byte must be 0 to "
            f"{limits.min_fee_per_byte_max}, got {section.min_fee_per_byte}"
        )


__all__ = ["FeesGenesis", "verify_fees_genesis"]
