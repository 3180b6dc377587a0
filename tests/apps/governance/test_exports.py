"""The institution contract from another module's action (TxView.call): a module that lets only
registered issuers act, built on governance's export as the modules to come will be (the
request type comes from apps/institutions.py, not from governance's folder)."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.base import Module, ModuleError, TxContext, TxView
from chainbook.apps.governance import GenesisInstitution, GovernanceGenesis
from chainbook.apps.institutions import InstitutionRequest
from chainbook.apps.registry import MODULES, Registry
from chainbook.ledger.receipts import Event
from tests.support import ALICE, BOB, make_state, run_block, tx


class NotAnIssuer(ModuleError):
    code = "mint.not_an_issuer"


class Issue(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="mint.issue"
):
    role: str = "issuer"


def mint_process(view: TxView, ctx: TxContext, action: Any) -> list[Event]:
    answer = view.call(
        "governance", "institution", ctx, InstitutionRequest(address=ctx.sender, role=action.role)
    )
    if not answer.authorised:
        raise NotAnIssuer(f"{ctx.sender.hex()} is not a registered {action.role}")
    limit = view.call("governance", "param", ctx, "consensus.block_txs_max")
    view.set(b"issued_by/" + ctx.sender, answer.institution.id.encode())
    return [
        Event("mint", "issued", [("institution", answer.institution.id), ("limit", str(limit))])
    ]


MINT = Module(
    "mint", "issues for registered issuers", (Issue,), mint_process, errors=(NotAnIssuer,)
)
REGISTRY = Registry([*MODULES, MINT])
BANK = GenesisInstitution("bank-a", "Bank A", ["issuer"], [ALICE.public_key.hex()])


def state() -> Any:
    return make_state(
        registry=REGISTRY, app_state={"governance": GovernanceGenesis(institutions=[BANK])}
    )


def test_a_registered_issuer_may_act_and_others_are_refused() -> None:
    ledger = state()
    result = run_block(ledger, [tx(ALICE, 0, Issue()), tx(BOB, 0, Issue())])
    alice, bob = result.receipts
    assert alice.ok and dict(alice.events[0].attributes)["institution"] == "bank-a"
    assert not bob.ok and "is not a registered issuer" in bob.error


def test_a_request_breaking_the_contract_refuses_the_calling_action() -> None:
    ledger = state()
    [receipt] = run_block(ledger, [tx(ALICE, 0, Issue(role="isuer"))]).receipts
    assert not receipt.ok
    assert "module 'mint' asked governance.institution: role: unknown role 'isuer'" in receipt.error
