"""Cross-module calls (apps/base.py TxView.call): an action acts on another module's state only
through that module's exports, and a refused action keeps none of the writes it caused."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.base import KVStore, Module, ModuleError, TxContext, TxView, decode_int
from chainbook.apps.base import encode_int as enc
from chainbook.apps.registry import MODULES, Registry
from chainbook.ledger.receipts import Event
from tests.support import ALICE, make_state, run_block, tx

CALLERS: list[str] = []


class Refused(ModuleError):
    code = "payer.refused"


def vault_deposit(view: KVStore, ctx: TxContext, caller: str, amount: int) -> int:
    """The vault's export: add to its total, record who called."""
    CALLERS.append(caller)
    total = decode_int(view.get(b"total") or enc(0)) + amount
    view.set(b"total", enc(total))
    return total


def vault_process(view: TxView, ctx: TxContext, action: Any) -> list[Event]:
    raise AssertionError("the vault has no actions in this test")


class Pay(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="payer.pay"
):
    amount: int
    then_fail: bool


def payer_process(view: TxView, ctx: TxContext, action: Pay) -> list[Event]:
    view.set(b"last", enc(action.amount))
    total = view.call("vault", "deposit", ctx, action.amount)
    if action.then_fail:
        raise Refused(f"refused after depositing (vault total would be {total})")
    return []


class VaultNothing(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="vault.nothing"
):
    pass


VAULT = Module(
    "vault", "keeps a total", (VaultNothing,), vault_process, exports={"deposit": vault_deposit}
)
PAYER = Module("payer", "pays into the vault", (Pay,), payer_process, errors=(Refused,))
REGISTRY = Registry([*MODULES, VAULT, PAYER])


def test_a_call_writes_the_callee_s_keys_and_is_told_the_caller() -> None:
    CALLERS.clear()
    state = make_state(registry=REGISTRY)
    result = run_block(state, [tx(ALICE, 0, Pay(5, False))])
    assert result.receipts[0].ok
    assert decode_int(state.kv[b"vault/total"]) == 5 and decode_int(state.kv[b"payer/last"]) == 5
    assert CALLERS == ["payer"]


def test_a_refused_action_keeps_none_of_the_writes_of_the_modules_it_called() -> None:
    state = make_state(registry=REGISTRY)
    run_block(state, [tx(ALICE, 0, Pay(5, False))])
    result = run_block(state, [tx(ALICE, 1, Pay(7, True))])
    assert not result.receipts[0].ok and "refused after depositing" in result.receipts[0].error
    assert decode_int(state.kv[b"vault/total"]) == 5, "the vault kept a refused action's write"
    assert decode_int(state.kv[b"payer/last"]) == 5
