"""The assets module: fungible tokens of registered issuers, and unique registered assets.

Tokens: a key of an institution that governance registers as an "issuer" creates a token
whose id is its symbol (2..12 of A-Z 0-9, first a letter, unique per chain), with decimals,
an optional hard cap and, declared once at creation, whether its issuer may freeze accounts.
Its issuer (any active key of that institution) mints and burns; holders transfer; the supply
changes only by mint and burn (asserted at every commit). Unique assets: an id, the SHA-256
of a metadata document and an owner; the first registration of an id wins and a second names
it; the owner transfers; the full ownership history is kept.

Other modules use the exports through chainbook.apps.tokens (apps/tokens.py), whose token id
"" is the native coin (routed to the bank); the assets exports are `transfer(sender, to,
token, amount)`, `balance(address, token)`, `token_info(token)`, `transfer_asset(owner, to,
asset_id)` and `asset_owner(asset_id)` (exports.py).
"""

from chainbook.apps.assets import process as _process
from chainbook.apps.assets.actions import (
    ACTIONS,
    Burn,
    CreateToken,
    Freeze,
    Mint,
    RegisterAsset,
    Transfer,
    TransferAsset,
    Unfreeze,
)
from chainbook.apps.assets.errors import ERRORS
from chainbook.apps.assets.exports import EXPORTS
from chainbook.apps.assets.genesis import (
    AssetsGenesis,
    GenesisAsset,
    GenesisBalance,
    GenesisToken,
    verify_assets_genesis,
)
from chainbook.apps.assets.limits import LIMITS
from chainbook.apps.assets.queries import QUERIES
from chainbook.apps.assets.state import MODULE_NAME
from chainbook.apps.assets.workload import AssetsWorkload
from chainbook.apps.base import GenesisSection, Module

MODULE = Module(
    name=MODULE_NAME,
    summary="Digital assets: tokens of registered issuers (mint, burn, transfer, freeze) and "
    "unique registered assets with their ownership history.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(AssetsGenesis, _process.process_genesis, verify_assets_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=AssetsWorkload,
    exports=EXPORTS,
    assert_invariants=_process.assert_invariants,
)

__all__ = [
    "MODULE",
    "AssetsGenesis",
    "Burn",
    "CreateToken",
    "Freeze",
    "GenesisAsset",
    "GenesisBalance",
    "GenesisToken",
    "Mint",
    "RegisterAsset",
    "Transfer",
    "TransferAsset",
    "Unfreeze",
]
