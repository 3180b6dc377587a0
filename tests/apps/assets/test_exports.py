"""The assets exports and chainbook.apps.tokens, as the modules built on them use them: an
escrow module takes a token, the native coin and an asset from the sender into its own
account and releases them; it may not take them from anyone else; a refusal after a move
keeps none of the writes."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps import tokens
from chainbook.apps.assets import CreateToken, Mint, RegisterAsset
from chainbook.apps.base import Module, ModuleError, TxContext, TxView, module_account
from chainbook.apps.governance import GovernanceGenesis
from chainbook.apps.registry import MODULES, Registry
from chainbook.ledger.receipts import Event
from chainbook.ledger.state import LedgerState
from tests.apps.assets.helpers import BANK_A, INSTITUTIONS, balance, nonce
from tests.support import ALICE, BOB, CAROL, ask, balance_of, make_state, run_block, tx

ESCROW = module_account("escrow")


class Refused(ModuleError):
    code = "escrow.refused"


class Lock(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True,
           tag="escrow.lock"):
    token: str
    amount: int
    asset_id: str = ""
    source: bytes = b""
    """Empty: the sender."""
    then_fail: bool = False


class Release(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True,
              tag="escrow.release"):
    token: str
    amount: int
    to: bytes
    asset_id: str = ""


class Direct(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True,
             tag="escrow.direct"):
    """Calls the assets export itself, not through chainbook.apps.tokens."""

    token: str
    amount: int


SEEN: list[Any] = []


def escrow_process(view: TxView, ctx: TxContext, action: Any) -> list[Event]:
    if isinstance(action, Direct):
        view.call("assets", "transfer", ctx, ctx.sender, ESCROW, action.token, action.amount)
    elif isinstance(action, Lock):
        source = action.source or ctx.sender
        tokens.transfer(view, ctx, source, ESCROW, action.token, action.amount)
        if action.asset_id:
            tokens.transfer_asset(view, ctx, source, ESCROW, action.asset_id)
        SEEN.append(tokens.balance(view, ctx, ESCROW, action.token))
        SEEN.append(tokens.token_info(view, ctx, action.token))
        if action.asset_id:
            SEEN.append(tokens.asset_owner(view, ctx, action.asset_id))
        if action.then_fail:
            raise Refused("refused after locking")
    else:
        tokens.transfer(view, ctx, ESCROW, action.to, action.token, action.amount)
        if action.asset_id:
            tokens.transfer_asset(view, ctx, ESCROW, action.to, action.asset_id)
    return []


ESCROW_MODULE = Module("escrow", "holds things", (Lock, Release, Direct), escrow_process,
                       errors=(Refused,))
REGISTRY = Registry([*MODULES, ESCROW_MODULE])


def ledger() -> LedgerState:
    state = make_state(
        {ALICE.address: 1_000, BOB.address: 500},
        registry=REGISTRY,
        app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)},
    )
    run_block(state, [
        tx(BANK_A, 0, CreateToken("CNYX", "CNY token", 2, 0, True)),
        tx(BANK_A, 1, Mint("CNYX", ALICE.address, 1_000)),
        tx(ALICE, 0, RegisterAsset("house-1", b"\x01" * 32, ALICE.address)),
    ])
    return state


def send(state: LedgerState, key: Any, action: msgspec.Struct) -> Any:
    (receipt,) = run_block(state, [tx(key, nonce(state, key), action)]).receipts
    return receipt


def test_a_module_escrows_a_token_and_an_asset_and_releases_them() -> None:
    state = ledger()
    SEEN.clear()
    assert send(state, ALICE, Lock("CNYX", 400, "house-1")).ok
    assert balance(state, "CNYX", ESCROW) == 400 and balance(state, "CNYX", ALICE) == 600
    assert SEEN[0] == 400 and SEEN[1].found and SEEN[1].institution == "bank-a"
    assert SEEN[2] == ESCROW
    receipt = send(state, BOB, Release("CNYX", 400, CAROL.address, "house-1"))
    assert receipt.ok, receipt.error
    assert balance(state, "CNYX", CAROL) == 400 and balance(state, "CNYX", ESCROW) == 0
    history = ask(state, "assets", "asset_history", asset_id="house-1")
    assert [(e.owner, e.module) for e in history.entries] == [
        (ALICE.address, ""), (ESCROW, "escrow"), (CAROL.address, "escrow"),
    ]


def test_the_native_coin_moves_through_the_same_helper_with_token_id_empty() -> None:
    state = ledger()
    SEEN.clear()
    assert tokens.NATIVE_TOKEN == ""
    assert send(state, ALICE, Lock("", 250)).ok
    assert balance_of(state, ESCROW) == 250 and SEEN[0] == 250
    assert SEEN[1].found and SEEN[1].native
    # The release from the escrow's own account works: the bank sees "escrow" as the caller.
    assert send(state, BOB, Release("", 250, CAROL.address)).ok
    assert balance_of(state, CAROL.address) == 250


def test_a_module_may_not_move_from_another_account() -> None:
    state = ledger()
    receipt = send(state, BOB, Lock("CNYX", 1, source=ALICE.address))
    assert not receipt.ok and receipt.code == "assets.not_allowed"
    assert (
        "may move token 'CNYX' only from an account that signed the transaction or from its "
        "own account" in receipt.error
    )
    receipt = send(state, BOB, Lock("CNYX", 1, source=module_account("settlement")))
    assert not receipt.ok and receipt.code == "assets.not_allowed"
    assert balance(state, "CNYX", ALICE) == 1_000


def test_a_module_may_move_a_token_and_an_asset_from_a_co_signer_but_not_its_coins() -> None:
    """A co-signer agreed to the transaction, so its tokens and assets may move (a swap's
    second leg); its native coins may not: the bank moves those only from the sender."""
    state = ledger()
    cosigned = tx([BOB, ALICE], nonce(state, BOB), Lock("CNYX", 300, "house-1",
                  source=ALICE.address), accounts=[BOB.address, ALICE.address])
    (receipt,) = run_block(state, [cosigned]).receipts
    assert receipt.ok, receipt.error
    assert balance(state, "CNYX", ESCROW) == 300 and balance(state, "CNYX", ALICE) == 700
    assert ask(state, "assets", "asset", asset_id="house-1").owner == ESCROW
    coins = tx([BOB, ALICE], nonce(state, BOB), Lock("", 10, source=ALICE.address),
               accounts=[BOB.address, ALICE.address])
    (receipt,) = run_block(state, [coins]).receipts
    assert not receipt.ok and receipt.code == "bank.unknown_account", receipt.error
    assert balance_of(state, ALICE.address) == 1_000
    # Alice's key signing without Alice among the accounts grants nothing.
    stray = tx([BOB, ALICE], nonce(state, BOB), Lock("CNYX", 1, source=ALICE.address))
    (receipt,) = run_block(state, [stray]).receipts
    assert not receipt.ok and receipt.code == "assets.not_allowed"


def test_the_asset_export_checks_the_owner_and_the_source() -> None:
    state = ledger()
    run_block(state, [tx(BANK_A, 2, Mint("CNYX", BOB.address, 5))])
    receipt = send(state, BOB, Lock("CNYX", 1, "house-1"))
    assert not receipt.ok and receipt.code == "assets.not_owner"
    assert balance(state, "CNYX", BOB) == 5, "the token leg of a refused action was kept"


def test_a_refused_action_keeps_none_of_the_moves() -> None:
    state = ledger()
    receipt = send(state, ALICE, Lock("CNYX", 400, "house-1", then_fail=True))
    assert not receipt.ok and receipt.code == "escrow.refused"
    assert balance(state, "CNYX", ALICE) == 1_000 and balance(state, "CNYX", ESCROW) == 0
    assert ask(state, "assets", "asset", asset_id="house-1").owner == ALICE.address


def test_the_assets_export_refuses_the_native_coin_and_unknown_tokens() -> None:
    state = ledger()
    receipt = send(state, ALICE, Direct("", 1))
    assert not receipt.ok and receipt.code == "assets.not_allowed"
    assert "chainbook.apps.tokens.transfer" in receipt.error
    receipt = send(state, ALICE, Direct("NOPE", 1))
    assert not receipt.ok and receipt.code == "assets.unknown_token"
    assert send(state, ALICE, Direct("CNYX", 3)).ok
    assert balance(state, "CNYX", ESCROW) == 3


def test_frozen_accounts_are_frozen_for_modules_too() -> None:
    from chainbook.apps.assets import Freeze

    state = ledger()
    run_block(state, [tx(BANK_A, 2, Freeze("CNYX", ALICE.address))])
    receipt = send(state, ALICE, Lock("CNYX", 1))
    assert not receipt.ok and receipt.code == "assets.account_frozen"
