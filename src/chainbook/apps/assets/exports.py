"""What the assets module offers other modules during an action (apps/base.py TxView.call).

    transfer(sender, to, token, amount) -> None     move a token; `sender` must have signed
                                                    the transaction (its sender or a
                                                    co-signer) or be the calling module's
                                                    own account (module_account)
    balance(address, token) -> int                  0 for an account that never held it;
                                                    token "" (the native coin) asks the bank
    token_info(token) -> TokenInfo                  found=False for an unknown id; token ""
                                                    answers found and native only
    transfer_asset(owner, to, asset_id) -> None     move a registered asset, `owner` as for
                                                    `transfer` and the asset's current owner
    asset_owner(asset_id) -> bytes | None           the current owner, None if unregistered

`transfer` refuses the native coin's id "" (assets.not_allowed): a module moves the native
coin with the bank's export, which must see the module itself as the caller;
chainbook.apps.tokens.transfer does the routing for both. The rules of the actions hold here
too (frozen accounts, funds, history bound); a refusal refuses the calling action with all its
writes. Exports emit no event (the calling module's events say what its action did); the
history of an asset records the module that moved it.
"""

from __future__ import annotations

from chainbook.apps.assets.errors import NotAllowed
from chainbook.apps.assets.fungible import process_move, verify_token
from chainbook.apps.assets.state import get_asset, get_balance, get_token
from chainbook.apps.assets.unique import process_move_asset
from chainbook.apps.base import ExportFn, KVReader, KVStore, TxContext, TxView, module_account
from chainbook.apps.tokens import NATIVE_TOKEN, TokenInfo
from chainbook.types import Address, Amount


def verify_may_move(ctx: TxContext, caller: str, source: Address, what: str) -> None:
    """An account that signed the transaction (sender or co-signer: it signed this very
    action) or the caller's own. Unlike the bank's coin (sender only, because fees are paid
    in it and admission counts on them: apps/tokens.py), no fee is paid in a token, so a
    co-signer's token may move (a borrower's collateral in a loan the lender sends)."""
    if source not in ctx.signers and source != module_account(caller):
        raise NotAllowed(
            f"module {caller!r} may move {what} only from an account that signed the "
            f"transaction or from its own account, not from {source.hex()}"
        )


def export_transfer(
    view: KVStore, ctx: TxContext, caller: str, sender: Address, to: Address, token: str,
    amount: Amount,
) -> None:
    """Move `amount` of `token` for another module (escrow in or out, a payment leg)."""
    if token == NATIVE_TOKEN:
        raise NotAllowed(
            f"module {caller!r} asked assets to move the native coin (token \"\"): the bank "
            "moves it (view.call('bank', 'transfer', ...) or chainbook.apps.tokens.transfer)"
        )
    verify_may_move(ctx, caller, sender, f"token {token!r}")
    record = verify_token(view, token)
    process_move(view, token, record, sender, to, amount)


def export_balance(
    view: TxView, ctx: TxContext, caller: str, address: Address, token: str
) -> Amount:
    """The balance of `address` in `token`; a guard read."""
    if token == NATIVE_TOKEN:
        native: Amount = view.call("bank", "balance", ctx, address)
        return native
    return get_balance(view, token, address) or 0


def export_token_info(view: KVStore, ctx: TxContext, caller: str, token: str) -> TokenInfo:
    """The token's record (found=False when nobody created `token`)."""
    if token == NATIVE_TOKEN:
        return TokenInfo(token=NATIVE_TOKEN, found=True, native=True)
    return compute_token_info(view, token)


def compute_token_info(view: KVReader, token: str) -> TokenInfo:
    """A created token's record as the contract shows it (found=False if none)."""
    record = get_token(view, token)
    if record is None:
        return TokenInfo(token=token, found=False)
    return TokenInfo(
        token=token,
        found=True,
        name=record.name,
        decimals=record.decimals,
        institution=record.institution,
        creator=record.creator,
        supply=record.supply,
        supply_max=record.supply_max,
        minted=record.minted,
        burned=record.burned,
        freezable=record.freezable,
        holders=record.holders,
        height=record.height,
        tx_hash=record.tx_hash,
        symbol=token,
    )


def export_transfer_asset(
    view: KVStore, ctx: TxContext, caller: str, owner: Address, to: Address, asset_id: str
) -> None:
    """Move a registered asset for another module (collateral, escrow, a sale)."""
    verify_may_move(ctx, caller, owner, f"asset {asset_id!r}")
    process_move_asset(view, ctx, asset_id, owner, to, caller)


def export_asset_owner(
    view: KVStore, ctx: TxContext, caller: str, asset_id: str
) -> Address | None:
    """The asset's current owner; None when no asset has that id."""
    record = get_asset(view, asset_id)
    return None if record is None else record.owner


EXPORTS: dict[str, ExportFn] = {
    "transfer": export_transfer,
    "balance": export_balance,
    "token_info": export_token_info,
    "transfer_asset": export_transfer_asset,
    "asset_owner": export_asset_owner,
}

__all__ = [
    "EXPORTS",
    "compute_token_info",
    "export_asset_owner",
    "export_balance",
    "export_token_info",
    "export_transfer",
    "export_transfer_asset",
    "verify_may_move",
]
