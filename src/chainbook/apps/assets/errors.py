"""The assets module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class NotAnIssuer(ModuleError):
    """Creating a token needs a key of an institution registered (and not revoked) in the
    role "issuer"; minting, burning and freezing need a key of the token's own issuer."""

    code = "assets.not_an_issuer"


class InvalidSymbol(ModuleError):
    code = "assets.invalid_symbol"


class SymbolTaken(ModuleError):
    """The symbol names a token already (or the native coin); the message names its issuer."""

    code = "assets.symbol_taken"


class UnknownToken(ModuleError):
    code = "assets.unknown_token"


class InvalidAmount(ModuleError):
    """An amount that is not > 0, or a cap, a decimals or a name out of range."""

    code = "assets.invalid_amount"


class InvalidText(ModuleError):
    code = "assets.invalid_text"


class CapExceeded(ModuleError):
    """A mint that would take the supply past its hard cap (or past 2**64 - 1)."""

    code = "assets.cap_exceeded"


class InsufficientBalance(ModuleError):
    code = "assets.insufficient_balance"


class AccountFrozen(ModuleError):
    """A frozen account neither sends nor receives the token until its issuer unfreezes it."""

    code = "assets.account_frozen"


class NotFreezable(ModuleError):
    """The token was created without `freezable`: nobody can ever freeze an account of it."""

    code = "assets.not_freezable"


class InvalidParty(ModuleError):
    """Freezing the issuer's own key, a freeze that changes nothing, or an asset transfer to
    its owner."""

    code = "assets.invalid_party"


class NotAllowed(ModuleError):
    """A module moved a token or an asset from an account that is neither the transaction's
    sender nor its own module account, or asked for the native coin through assets."""

    code = "assets.not_allowed"


class InvalidAssetId(ModuleError):
    code = "assets.invalid_asset_id"


class AssetExists(ModuleError):
    """The id was registered before; the message names that record (owner, registrant, when)."""

    code = "assets.asset_exists"


class UnknownAsset(ModuleError):
    code = "assets.unknown_asset"


class NotOwner(ModuleError):
    code = "assets.not_owner"


class HistoryFull(ModuleError):
    code = "assets.history_full"


ERRORS: tuple[type[ModuleError], ...] = (
    NotAnIssuer,
    InvalidSymbol,
    SymbolTaken,
    UnknownToken,
    InvalidAmount,
    InvalidText,
    CapExceeded,
    InsufficientBalance,
    AccountFrozen,
    NotFreezable,
    InvalidParty,
    NotAllowed,
    InvalidAssetId,
    AssetExists,
    UnknownAsset,
    NotOwner,
    HistoryFull,
)

__all__ = [
    "ERRORS",
    "AccountFrozen",
    "AssetExists",
    "CapExceeded",
    "HistoryFull",
    "InsufficientBalance",
    "InvalidAmount",
    "InvalidAssetId",
    "InvalidParty",
    "InvalidSymbol",
    "InvalidText",
    "NotAllowed",
    "NotAnIssuer",
    "NotFreezable",
    "NotOwner",
    "SymbolTaken",
    "UnknownAsset",
    "UnknownToken",
]
