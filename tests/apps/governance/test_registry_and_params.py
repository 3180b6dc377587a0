"""The institution registry and its query contract; chain parameters and the consensus reading
them at their height."""

from __future__ import annotations

import msgspec
import pytest

from chainbook import limits
from chainbook.apps.fields import InvalidField
from chainbook.apps.governance import (
    GenesisInstitution,
    GovernanceGenesis,
    Propose,
    RegisterInstitution,
    RevokeInstitution,
    SetParameter,
    UpdateInstitution,
)
from chainbook.apps.institutions import ROLES
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.ledger.governed import GovernedChain
from tests.apps.governance.chain import VALIDATORS, AppChain, GovernedLedger
from tests.support import ALICE, BOB, CAROL, ask, make_genesis

COURT = GenesisInstitution("court-1", "First Court", ["court"], [CAROL.public_key.hex()])


def with_court() -> GovernedLedger:
    return GovernedLedger(app_state={"governance": GovernanceGenesis(institutions=[COURT])})


def institution(ledger: GovernedLedger, **request: object) -> object:
    return ask(ledger.state, "governance", "institution", **request)


def settle(ledger: GovernedLedger, change: object) -> None:
    ledger.pass_proposal(change)  # type: ignore[arg-type]
    ledger.block()
    ledger.block()


def test_the_contract_answers_by_id_address_and_key_with_the_role_flag() -> None:
    ledger = with_court()
    by_id = institution(ledger, id="court-1", role="court")
    by_address = institution(ledger, address=CAROL.address, role="court")
    by_key = institution(ledger, public_key=CAROL.public_key)
    assert by_id == by_address
    assert by_id.found and by_id.authorised  # type: ignore[attr-defined]
    view = by_key.institution  # type: ignore[attr-defined]
    assert (view.status, view.roles, view.addresses) == ("active", ["court"], [CAROL.address])
    assert not institution(ledger, address=CAROL.address, role="notary_office").authorised  # type: ignore[attr-defined]
    nobody = institution(ledger, address=ALICE.address)
    assert (nobody.found, nobody.authorised, nobody.institution) == (False, False, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({}, "exactly one of id, address or public_key; got none"),
        ({"id": "court-1", "address": CAROL.address}, "got id, address"),
        ({"address": b"\x01" * 19}, "expected 20 bytes"),
        ({"public_key": b"\x01" * 31}, "expected 32 bytes"),
        ({"id": "court-1", "role": "judge"}, "unknown role 'judge'"),
    ],
)
def test_the_contract_refuses_ambiguous_or_misspelt_requests(
    request_fields: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidField, match=message):
        institution(with_court(), **request_fields)


def test_register_update_and_revoke_take_effect_at_their_height() -> None:
    ledger = with_court()
    settle(
        ledger, RegisterInstitution("bank-a", "Bank A", ["issuer", "taxpayer"], [ALICE.public_key])
    )
    answer = institution(ledger, address=ALICE.address, role="taxpayer")
    assert answer.authorised and answer.institution.roles == ["issuer", "taxpayer"]  # type: ignore[attr-defined]
    settle(ledger, UpdateInstitution("bank-a", "Bank A", ["issuer"], [BOB.public_key]))
    assert not institution(ledger, address=ALICE.address).found  # type: ignore[attr-defined]
    assert not institution(ledger, address=BOB.address, role="taxpayer").authorised  # type: ignore[attr-defined]
    settle(ledger, RevokeInstitution("bank-a", "licence withdrawn"))
    answer = institution(ledger, address=BOB.address, role="issuer")
    view = answer.institution  # type: ignore[attr-defined]
    assert answer.found and not answer.authorised  # type: ignore[attr-defined]
    assert (view.status, view.revoke_reason) == ("revoked", "licence withdrawn")
    page = ask(ledger.state, "governance", "institutions", role="court")
    assert [i.id for i in page.institutions] == ["court-1"]
    assert [i.id for i in ask(ledger.state, "governance", "institutions").institutions] == [
        "court-1",
        "bank-a",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (RegisterInstitution("court-1", "Again", ["court"], [ALICE.public_key]), "exists already"),
        (RegisterInstitution("x", "X", ["court"], [CAROL.public_key]), "belongs to institution"),
        (RegisterInstitution("Bad Id", "X", ["court"], [ALICE.public_key]), "institution id"),
        (RegisterInstitution("x", "X", ["wizard"], [ALICE.public_key]), "unknown role 'wizard'"),
        (RegisterInstitution("x", "X", [], [ALICE.public_key]), "0 roles"),
        (RegisterInstitution("x", "X", ["court"], []), "0 public keys"),
        (RegisterInstitution("x", "", ["court"], [ALICE.public_key]), "name is 0 bytes"),
        (
            RegisterInstitution(
                "x", "X", ["court"], [PrivateKey.from_label(str(i)).public_key for i in range(9)]
            ),
            "accepted 1..8",
        ),
        (UpdateInstitution("nope", "X", ["court"], [ALICE.public_key]), "no institution 'nope'"),
        (RevokeInstitution("court-1", "x" * 257), "limit 256"),
    ],
)
def test_registry_changes_breaking_a_rule_are_refused_at_proposal_time(
    change: object, message: str
) -> None:
    ledger = with_court()
    receipt = ledger.run(VALIDATORS[0], Propose("registry", change))  # type: ignore[arg-type]
    assert not receipt.ok and message in receipt.error, receipt.error


def test_a_revoked_institution_stays_revoked() -> None:
    ledger = with_court()
    settle(ledger, RevokeInstitution("court-1", "dissolved"))
    receipt = ledger.run(
        VALIDATORS[0],
        Propose("back", UpdateInstitution("court-1", "C", ["court"], [CAROL.public_key])),
    )
    assert not receipt.ok and "revoked (for ever)" in receipt.error


def test_every_role_is_documented_and_genesis_institutions_are_checked() -> None:
    assert all(text for text in ROLES.values())
    bad = GenesisInstitution("court-1", "C", ["judge"], [CAROL.public_key.hex()])
    with pytest.raises(ConfigError, match=r"institutions\[0\].*unknown role"):
        make_genesis(app_state={"governance": GovernanceGenesis(institutions=[bad])})
    twice = GovernanceGenesis(institutions=[COURT, COURT])
    with pytest.raises(ConfigError, match="appears twice"):
        make_genesis(app_state={"governance": twice})


def test_a_parameter_change_reaches_consensus_at_its_height() -> None:
    ledger = GovernedLedger()
    genesis_value = ledger.genesis.consensus.block_txs_max
    settle(ledger, SetParameter("consensus.block_txs_max", 7))
    chain = GovernedChain(ledger.genesis)
    height = ledger.height
    assert chain.get_consensus_params(ledger.state, height).block_txs_max == 7
    assert ask(ledger.state, "governance", "param", name="consensus.block_txs_max").value == 7
    params = {p.name: p for p in ask(ledger.state, "governance", "params").params}
    spec = params["consensus.block_txs_max"]
    assert (spec.value, spec.minimum, spec.maximum) == (7, 1, limits.block_txs_max)
    assert genesis_value != 7


def test_a_block_over_the_governed_size_is_invalid_and_the_proposer_keeps_to_it() -> None:
    from chainbook.apps.bank import Transfer
    from chainbook.apps.governance import CastVote
    from chainbook.chain.block import compute_txs_root
    from chainbook.errors import InvalidBlock

    chain = AppChain(GovernedLedger(), VALIDATORS)
    ledger = chain.governed
    chain.step(
        [ledger.tx(VALIDATORS[0], Propose("small", SetParameter("consensus.block_txs_max", 1)))]
    )
    chain.step([ledger.tx(k, CastVote(1, "yes")) for k in VALIDATORS[:3]])
    chain.step()
    chain.step()
    assert chain.ledger.get_consensus_params(chain.ledger.state.height + 1).block_txs_max == 1
    txs = [ledger.tx(ALICE, Transfer(BOB.address, 1 + i)) for i in range(3)]
    block = chain.next_block(txs)
    assert len(block.txs) == 1
    header = msgspec.structs.replace(block.header, tx_count=2, txs_root=compute_txs_root(txs[:2]))
    forged = msgspec.structs.replace(block, header=header, txs=txs[:2])
    with pytest.raises(InvalidBlock, match="2 txs, consensus.block_txs_max is 1"):
        chain.ledger.verify_block(forged)
