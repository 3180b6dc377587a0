"""The tokens contract: how a module moves and reads tokens (the native coin included) and
registered assets, without importing the assets or the bank folder.

Rules kept:
- A token is named by its id: the symbol its issuer gave it in the assets module
  (`^[A-Z][A-Z0-9]{1,11}$`, unique per chain), or NATIVE_TOKEN ("") for the chain's native
  coin (the bank's; its symbol, "CBK" by default, is the bank genesis's display name, not an
  id). The empty id can never be a token symbol, and does not depend on the bank's genesis.
- Call these helpers from your module's `process` (or export) with your own `view`:

      from chainbook.apps import tokens
      tokens.transfer(view, ctx, ctx.sender, escrow, "CNYX", 500)     # into escrow
      tokens.transfer(view, ctx, escrow, seller, "", 10)               # native coin out
      tokens.balance(view, ctx, address, "HKDX") -> int
      tokens.token_info(view, ctx, "CNYX") -> TokenInfo (found=False for an unknown id)
      tokens.transfer_asset(view, ctx, owner, escrow, "LR-HK-000123")
      tokens.asset_owner(view, ctx, "LR-HK-000123") -> Address | None

  They route NATIVE_TOKEN to the bank's exports and every other id to the assets module's.
  Either way the exporting module sees *your* module as the caller, and funds move only from
  an account that signed the transaction or from your module's own account
  (`module_account(<your module>)`); a refusal refuses your action with all its writes.
  Which signers: tokens and assets move from any account that signed (the sender or a
  co-signer, who signed this very action: `ctx.signers`), the native coin only from the
  sender. The native coin pays fees, and admission relies on an account's coins leaving it
  only through its own transactions (what it could pay when admitted, it can pay when its
  block runs: apps/bank/process.py); no fee is paid in a token, and a token spend that
  races another fails in its receipt, as any overdraft does. So a module whose action takes
  the native coin from two parties makes the payer the sender, or takes it in two steps (an
  offer escrowed by one, accepted by the other: apps/loans). (The assets export itself
  does not take "": a nested call through assets would make the bank see "assets" as the
  caller and refuse a release from your module's account.)
- Amounts are integers in the token's base units (`decimals` says where the point goes).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import TxContext, TxView
from chainbook.types import Address, Amount, Hash, Height

NATIVE_TOKEN = ""
"""The token id of the chain's native coin (the bank's)."""
ASSETS = "assets"
BANK = "bank"


class TokenInfo(msgspec.Struct, frozen=True):
    """A token as the assets module records it (the `token` query and the `token_info` export).

    For the native coin (`native` true) only `found` and `native` are meaningful: its symbol,
    decimals and supply are the bank's (query `bank.supply`); an action cannot ask the bank
    for them, and one answer for the query and the export keeps them the same."""

    token: str
    found: bool
    native: bool = False
    name: str = ""
    decimals: int = 0
    institution: str = ""
    """The issuer: the id of the institution (governance registry, role "issuer") whose keys
    mint, burn and freeze."""
    creator: Address = b""
    """The key (address) of that institution that created the token."""
    supply: Amount = 0
    """Everything minted minus everything burnt (genesis balances count as minted)."""
    supply_max: Amount = 0
    """The hard cap on `supply`; 0 means no cap (below 2**64)."""
    minted: Amount = 0
    burned: Amount = 0
    freezable: bool = False
    """Declared at creation, for ever: only then may the issuer freeze an account."""
    holders: int = 0
    """Accounts that ever held it (an account stays listed at balance 0)."""
    height: Height = 0
    """Of the creation; 0 for a token imported by the genesis file."""
    tx_hash: Hash = b""
    symbol: str = ""
    """The id itself (empty for the native coin)."""


def transfer(
    view: TxView, ctx: TxContext, sender: Address, to: Address, token: str, amount: Amount
) -> None:
    """Move `amount` of `token` from `sender`: a signer of the tx (the sender alone for the
    native coin) or your module's account."""
    if token == NATIVE_TOKEN:
        view.call(BANK, "transfer", ctx, sender, to, amount)
    else:
        view.call(ASSETS, "transfer", ctx, sender, to, token, amount)


def balance(view: TxView, ctx: TxContext, address: Address, token: str) -> Amount:
    """The balance of `address` in `token` (0 for an account that never held it)."""
    if token == NATIVE_TOKEN:
        result: Amount = view.call(BANK, "balance", ctx, address)
    else:
        result = view.call(ASSETS, "balance", ctx, address, token)
    return result


def token_info(view: TxView, ctx: TxContext, token: str) -> TokenInfo:
    """The token's record; found=False for an id nobody created."""
    if token == NATIVE_TOKEN:
        return TokenInfo(token=NATIVE_TOKEN, found=True, native=True)
    info: TokenInfo = view.call(ASSETS, "token_info", ctx, token)
    return info


def transfer_asset(
    view: TxView, ctx: TxContext, owner: Address, to: Address, asset_id: str
) -> None:
    """Move a registered asset owned by `owner` (a signer of the tx or your module's account)."""
    view.call(ASSETS, "transfer_asset", ctx, owner, to, asset_id)


def asset_owner(view: TxView, ctx: TxContext, asset_id: str) -> Address | None:
    """The current owner of a registered asset; None when no asset has that id."""
    owner: Address | None = view.call(ASSETS, "asset_owner", ctx, asset_id)
    return owner


__all__ = [
    "NATIVE_TOKEN",
    "TokenInfo",
    "asset_owner",
    "balance",
    "token_info",
    "transfer",
    "transfer_asset",
]
