"""The assets rules one by one: who may create, mint, burn and freeze; symbols; caps;
freezing only where declared; unique assets; every refusal names the value and changes
nothing but the nonce (run_refused); every limit at its edge."""

from __future__ import annotations

import hashlib
import re

import pytest

from chainbook.apps.assets import (
    AssetsGenesis,
    Burn,
    CreateToken,
    Freeze,
    GenesisAsset,
    GenesisBalance,
    GenesisToken,
    Mint,
    RegisterAsset,
    Transfer,
    TransferAsset,
    Unfreeze,
    limits,
)
from chainbook.apps.assets.genesis import verify_assets_genesis
from chainbook.apps.governance import GovernanceGenesis
from chainbook.errors import ConfigError
from chainbook.ledger.state import LedgerState
from tests.apps.assets.helpers import (
    AIRLINE,
    BANK_A,
    BANK_A2,
    BANK_B,
    COURT,
    INSTITUTIONS,
    balance,
    make_ledger,
    refused,
    run,
)
from tests.support import ALICE, BOB, CAROL, DAVE, ask, make_state

DEED = hashlib.sha256(b"deed").digest()


def with_token(freezable: bool = True, supply_max: int = 0) -> LedgerState:
    state = make_ledger()
    run(state, BANK_A, CreateToken("CNYX", "CNY deposit token", 2, supply_max, freezable))
    run(state, BANK_A, Mint("CNYX", ALICE.address, 1_000))
    return state


# --- creation ------------------------------------------------------------------------------


def test_two_banks_and_an_airline_issue_their_own_tokens() -> None:
    state = make_ledger()
    receipt = run(state, BANK_A, CreateToken("CNYX", "CNY deposit token", 2, 0, True))
    assert dict(receipt.events[0].attributes)["institution"] == "bank-a"
    run(state, BANK_B, CreateToken("HKDX", "HKD deposit token", 2))
    run(state, AIRLINE, CreateToken("MILES", "Loyalty miles", 0, 10**12))
    info = ask(state, "assets", "token", token="MILES")
    assert (info.institution, info.decimals, info.supply_max, info.freezable) == (
        "airline", 0, 10**12, False)
    assert ask(state, "assets", "tokens").tokens == ["CNYX", "HKDX", "MILES"]


def test_only_an_active_issuer_creates_a_token() -> None:
    state = make_ledger()
    error = refused(state, ALICE, CreateToken("ALIC", "mine", 2), "assets.not_an_issuer")
    assert ALICE.address.hex() in error and "no registered institution" in error
    error = refused(state, COURT, CreateToken("COURT", "x", 2), "assets.not_an_issuer")
    assert "court-1" in error and "not issuer" in error


@pytest.mark.parametrize("symbol", ["C", "cnyx", "1ABC", "CNY-X", "ABCDEFGHIJKLM", "CNYX\n", ""])
def test_a_symbol_outside_the_rule_is_refused(symbol: str) -> None:
    state = make_ledger()
    error = refused(state, BANK_A, CreateToken(symbol, "x", 2), "assets.invalid_symbol")
    assert repr(symbol) in error or symbol == ""


def test_symbols_at_the_edges_and_taken_ones() -> None:
    state = make_ledger()
    run(state, BANK_A, CreateToken("AB", "two", 0))
    run(state, BANK_A, CreateToken("A" * limits.symbol_chars_max, "twelve", 0))
    error = refused(state, BANK_B, CreateToken("AB", "mine", 0), "assets.symbol_taken")
    assert "institution 'bank-a'" in error and "height 1" in error
    refused(state, BANK_B, CreateToken("CBK", "the coin", 6), "assets.symbol_taken")


def test_decimals_name_and_cap_at_their_edges() -> None:
    state = make_ledger()
    run(state, BANK_A, CreateToken("D18", "n" * limits.token_name_bytes_max, 18, limits.amount_max))
    refused(state, BANK_A, CreateToken("D19", "x", 19), "assets.invalid_amount")
    refused(state, BANK_A, CreateToken("N65", "n" * 65, 2), "assets.invalid_text")
    refused(state, BANK_A, CreateToken("N0", "", 2), "assets.invalid_text")
    # A cap over 2**64 - 1 cannot even be encoded (MessagePack's largest unsigned integer).


# --- mint and burn ---------------------------------------------------------------------------


def test_any_key_of_the_issuer_mints_and_burns_and_no_one_else() -> None:
    state = with_token()
    run(state, BANK_A2, Mint("CNYX", BANK_A2.address, 50))
    run(state, BANK_A2, Burn("CNYX", 20))
    error = refused(state, BANK_B, Mint("CNYX", BANK_B.address, 1), "assets.not_an_issuer")
    assert "institution 'bank-a'" in error and "institution 'bank-b'" in error
    refused(state, ALICE, Burn("CNYX", 1), "assets.not_an_issuer")
    info = ask(state, "assets", "token", token="CNYX")
    assert (info.supply, info.minted, info.burned) == (1_030, 1_050, 20)


def test_the_issuer_burns_only_what_it_holds() -> None:
    state = with_token()
    error = refused(state, BANK_A, Burn("CNYX", 1), "assets.insufficient_balance")
    assert "holds 0" in error and "needed 1" in error
    run(state, ALICE, Transfer("CNYX", BANK_A.address, 10))
    run(state, BANK_A, Burn("CNYX", 10))
    refused(state, BANK_A, Burn("CNYX", 1), "assets.insufficient_balance")


def test_the_cap_holds_exactly() -> None:
    state = with_token(supply_max=1_500)
    error = refused(state, BANK_A, Mint("CNYX", BOB.address, 501), "assets.cap_exceeded")
    assert "cap 1500" in error and "at most 500 more" in error
    run(state, BANK_A, Mint("CNYX", BOB.address, 500))
    refused(state, BANK_A, Mint("CNYX", BOB.address, 1), "assets.cap_exceeded")


def test_without_a_cap_the_supply_stays_below_two_to_the_64() -> None:
    state = with_token()
    run(state, BANK_A, Mint("CNYX", BOB.address, limits.amount_max - 1_000))
    refused(state, BANK_A, Mint("CNYX", BOB.address, 1), "assets.cap_exceeded")


@pytest.mark.parametrize("amount", [0, -1])
def test_amounts_must_be_positive(amount: int) -> None:
    state = with_token()
    refused(state, BANK_A, Mint("CNYX", BOB.address, amount), "assets.invalid_amount")
    refused(state, ALICE, Transfer("CNYX", BOB.address, amount), "assets.invalid_amount")
    refused(state, BANK_A, Burn("CNYX", amount), "assets.invalid_amount")


def test_a_token_whose_institution_is_not_an_active_issuer_is_not_minted() -> None:
    """A genesis token of an institution governance does not register (or has revoked: the
    same `authorised` flag): nobody mints it, its holders still transfer."""
    state = make_state(app_state={
        "governance": GovernanceGenesis(institutions=INSTITUTIONS),
        "assets": AssetsGenesis(tokens=[GenesisToken(
            "OLDX", "imported", 2, "gone-bank", balances=[GenesisBalance(ALICE.address.hex(), 7)]
        )]),
    })
    refused(state, BANK_A, Mint("OLDX", BANK_A.address, 1), "assets.not_an_issuer")
    run(state, ALICE, Transfer("OLDX", BOB.address, 7))
    assert balance(state, "OLDX", BOB) == 7


# --- transfers and freezes -------------------------------------------------------------------


def test_transfers_move_exactly_and_list_holders() -> None:
    state = with_token()
    run(state, ALICE, Transfer("CNYX", BOB.address, 300, "m" * limits.memo_bytes_max))
    run(state, ALICE, Transfer("CNYX", ALICE.address, 700))  # to oneself: checked, no change
    assert (balance(state, "CNYX", ALICE), balance(state, "CNYX", BOB)) == (700, 300)
    error = refused(state, ALICE, Transfer("CNYX", BOB.address, 701), "assets.insufficient_balance")
    assert "holds 700" in error and "needed 701" in error
    refused(state, DAVE, Transfer("CNYX", BOB.address, 1), "assets.insufficient_balance")
    refused(state, ALICE, Transfer("CNYX", BOB.address, 1, "m" * 257), "assets.invalid_text")
    refused(state, ALICE, Transfer("NOPE", BOB.address, 1), "assets.unknown_token")
    refused(state, ALICE, Transfer("", BOB.address, 1), "assets.unknown_token")
    holders = ask(state, "assets", "holders", token="CNYX")
    assert [(h.address, h.balance) for h in holders.holders] == [
        (ALICE.address, 700), (BOB.address, 300)]


def test_the_issuer_freezes_and_unfreezes_a_freezable_token() -> None:
    state = with_token()
    run(state, ALICE, Transfer("CNYX", BOB.address, 100))
    run(state, BANK_A, Freeze("CNYX", BOB.address))
    assert ask(state, "assets", "balance", token="CNYX", address=BOB.address).frozen
    error = refused(state, BOB, Transfer("CNYX", ALICE.address, 1), "assets.account_frozen")
    assert "sender" in error and BOB.address.hex() in error
    error = refused(state, ALICE, Transfer("CNYX", BOB.address, 1), "assets.account_frozen")
    assert "recipient" in error
    refused(state, BANK_A, Mint("CNYX", BOB.address, 1), "assets.account_frozen")
    refused(state, BANK_A, Freeze("CNYX", BOB.address), "assets.invalid_party")
    refused(state, BANK_B, Unfreeze("CNYX", BOB.address), "assets.not_an_issuer")
    refused(state, BANK_A, Freeze("CNYX", BANK_A2.address), "assets.invalid_party")
    run(state, BANK_A2, Unfreeze("CNYX", BOB.address))
    refused(state, BANK_A, Unfreeze("CNYX", BOB.address), "assets.invalid_party")
    run(state, BOB, Transfer("CNYX", ALICE.address, 100))


def test_nobody_freezes_a_token_created_without_freezable() -> None:
    state = with_token(freezable=False)
    error = refused(state, BANK_A, Freeze("CNYX", ALICE.address), "assets.not_freezable")
    assert "created without freezable" in error
    refused(state, BANK_A, Unfreeze("CNYX", ALICE.address), "assets.not_freezable")


def test_balances_of_an_account_page_through_its_tokens() -> None:
    state = make_ledger()
    count = limits.page_items_max + 3
    for i in range(count):
        run(state, BANK_A, CreateToken(f"T{i}", "t", 0))
        run(state, BANK_A, Mint(f"T{i}", CAROL.address, i + 1))
    first = ask(state, "assets", "balances", address=CAROL.address)
    assert first.total == count and len(first.balances) == limits.page_items_max
    assert first.next == limits.page_items_max
    rest = ask(state, "assets", "balances", address=CAROL.address, start=first.next)
    assert [h.balance for h in first.balances + rest.balances] == list(range(1, count + 1))
    assert rest.next is None


# --- unique assets ---------------------------------------------------------------------------


def test_a_second_registration_names_the_existing_record() -> None:
    state = make_ledger()
    run(state, BANK_B, RegisterAsset("LR-HK-1", DEED, ALICE.address))
    error = refused(state, BOB, RegisterAsset("LR-HK-1", DEED, BOB.address), "assets.asset_exists")
    assert "'LR-HK-1' is registered already" in error and BANK_B.address.hex() in error
    assert "institution 'bank-b'" in error and ALICE.address.hex() in error
    assert "at height 1" in error
    info = ask(state, "assets", "asset", asset_id="LR-HK-1")
    assert (info.owner, info.registrant, info.institution) == (
        ALICE.address, BANK_B.address, "bank-b")


@pytest.mark.parametrize("asset_id", ["", "a/b", "a b", "x" * 65, "é"])
def test_an_asset_id_outside_the_rule_is_refused(asset_id: str) -> None:
    state = make_ledger()
    refused(state, ALICE, RegisterAsset(asset_id, DEED, ALICE.address), "assets.invalid_asset_id")


def test_ownership_history_and_owner_lists_follow_transfers() -> None:
    state = make_ledger()
    ids = ["x" * limits.asset_id_chars_max, "cert:u:1", "art.2"]
    for asset_id in ids:
        run(state, ALICE, RegisterAsset(asset_id, DEED, ALICE.address))
    run(state, ALICE, TransferAsset(ids[0], BOB.address))
    refused(state, ALICE, TransferAsset(ids[0], CAROL.address), "assets.not_owner")
    refused(state, BOB, TransferAsset(ids[0], BOB.address), "assets.invalid_party")
    refused(state, BOB, TransferAsset("nothing", ALICE.address), "assets.unknown_asset")
    run(state, BOB, TransferAsset(ids[0], CAROL.address))
    assert sorted(ask(state, "assets", "assets_of", owner=ALICE.address).asset_ids) == sorted(
        ids[1:])
    assert ask(state, "assets", "assets_of", owner=BOB.address).asset_ids == []
    assert ask(state, "assets", "assets_of", owner=CAROL.address).asset_ids == [ids[0]]
    history = ask(state, "assets", "asset_history", asset_id=ids[0])
    assert [(e.kind, e.previous_owner, e.owner) for e in history.entries] == [
        ("registered", b"", ALICE.address),
        ("transfer", ALICE.address, BOB.address),
        ("transfer", BOB.address, CAROL.address),
    ]


def test_history_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "asset_history_entries_max", 3)
    state = make_ledger()
    run(state, ALICE, RegisterAsset("a1", DEED, ALICE.address))
    run(state, ALICE, TransferAsset("a1", BOB.address))
    run(state, BOB, TransferAsset("a1", ALICE.address))  # entry 2: the last allowed
    refused(state, ALICE, TransferAsset("a1", BOB.address), "assets.history_full")
    page = ask(state, "assets", "asset_history", asset_id="a1", start=1)
    assert page.total == 3 and [e.number for e in page.entries] == [1, 2]


# --- genesis ---------------------------------------------------------------------------------


def test_genesis_imports_tokens_and_assets() -> None:
    section = AssetsGenesis(
        tokens=[GenesisToken("CNYX", "imported", 2, "bank-a", 100, True,
                             [GenesisBalance(ALICE.address.hex(), 60),
                              GenesisBalance(BOB.address.hex(), 40)])],
        assets=[GenesisAsset("LR-1", DEED.hex(), CAROL.address.hex(), 1_600_000_000_000)],
    )
    state = make_ledger(assets=section)
    info = ask(state, "assets", "token", token="CNYX")
    assert (info.supply, info.minted, info.holders, info.height) == (100, 100, 2, 0)
    refused(state, BANK_A, Mint("CNYX", ALICE.address, 1), "assets.cap_exceeded")
    run(state, BANK_A, Freeze("CNYX", BOB.address))
    assert ask(state, "assets", "asset", asset_id="LR-1").owner == CAROL.address
    error = refused(state, ALICE, RegisterAsset("LR-1", DEED, ALICE.address),
                    "assets.asset_exists")
    assert "imported by the genesis file" in error


@pytest.mark.parametrize(
    ("section", "words"),
    [
        (AssetsGenesis(tokens=[GenesisToken("cny", "x", 2, "b")]), "tokens[0].token"),
        (AssetsGenesis(tokens=[GenesisToken("CNY", "x", 2, "b"), GenesisToken("CNY", "y", 2, "b")]),
         "appears twice"),
        (AssetsGenesis(tokens=[GenesisToken("CNY", "x", 2, "b", 5,
                                            balances=[GenesisBalance("ab" * 20, 6)])]),
         "over the cap 5"),
        (AssetsGenesis(tokens=[GenesisToken("CNY", "x", 2, "")]), "institution"),
        (AssetsGenesis(assets=[GenesisAsset("a/b", "00" * 32, "ab" * 20, 0)]), "asset_id"),
        (AssetsGenesis(assets=[GenesisAsset("a", "00" * 31, "ab" * 20, 0)]), "metadata_hash"),
    ],
)
def test_a_genesis_section_that_could_not_run_is_refused(
    section: AssetsGenesis, words: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        verify_assets_genesis(section)


# --- the commit invariants bite ------------------------------------------------------------


def test_the_commit_invariants_catch_units_created_outside_mint() -> None:
    from chainbook import codec
    from chainbook.apps.assets import MODULE
    from chainbook.apps.assets.state import TokenRecord, balance_key, token_key
    from chainbook.apps.base import PrefixedReader, encode_int

    state = with_token(supply_max=2_000)
    assert MODULE.assert_invariants is not None
    before = dict(state.kv)
    prefix = b"assets/"
    key = balance_key("CNYX", ALICE.address)

    def check(after: dict[bytes, bytes], keys: list[bytes]) -> None:
        assert MODULE.assert_invariants is not None
        MODULE.assert_invariants(PrefixedReader(before, prefix), PrefixedReader(after, prefix),
                                 keys)

    check(dict(before), [key])  # unchanged: holds
    inflated = {**before, prefix + key: encode_int(1_001)}
    with pytest.raises(AssertionError):
        check(inflated, [key])
    record = codec.decode(before[prefix + token_key("CNYX")], TokenRecord)
    # Supply raised with the balance but not as a mint: refused too.
    sneaky = dict(inflated)
    sneaky[prefix + token_key("CNYX")] = codec.encode(
        type(record)(**{**{f: getattr(record, f) for f in record.__struct_fields__},
                        "supply": 1_001}))
    with pytest.raises(AssertionError):
        check(sneaky, [key, token_key("CNYX")])
    minted = dict(sneaky)
    minted[prefix + token_key("CNYX")] = codec.encode(
        type(record)(**{**{f: getattr(record, f) for f in record.__struct_fields__},
                        "supply": 1_001, "minted": 1_001}))
    check(minted, [key, token_key("CNYX")])  # a mint of 1: holds
