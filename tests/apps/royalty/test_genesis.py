"""The genesis section: a catalogue imported at height 0 is payable and changeable like a
registered work, and a section that could not run is refused naming the entry and field."""

from __future__ import annotations

from typing import Any

import pytest

from chainbook.apps.royalty import (
    ChangeSplit,
    GenesisPrice,
    GenesisShare,
    GenesisWork,
    Pay,
    Price,
    RoyaltyGenesis,
    SetPrices,
    Share,
    limits,
)
from chainbook.apps.royalty.genesis import verify_royalty_genesis
from chainbook.errors import ConfigError
from tests.apps.royalty.helpers import (
    AUTHOR,
    LABEL,
    LISTENER,
    OTHER_LABEL,
    SINGER,
    balance,
    make_ledger,
    refused,
    run,
)
from tests.support import ask


def entry(**fields: Any) -> GenesisWork:
    values: dict[str, Any] = {
        "work": "CAT-0001", "title": "Old Song", "metadata_hash": "ab" * 32,
        "institution": "sunrise-records", "prices": [GenesisPrice("download", 80)],
        "split": [GenesisShare(AUTHOR.address.hex(), 6_000),
                  GenesisShare(SINGER.address.hex(), 4_000)],
        "time_ms": 1_600_000_000_000,
    }
    values.update(fields)
    return GenesisWork(**values)


def test_an_imported_catalogue_is_paid_and_managed_like_a_registered_one() -> None:
    state = make_ledger(royalty=RoyaltyGenesis(works=[entry()]))
    info = ask(state, "royalty", "work", work="CAT-0001")
    assert info.found and info.height == 0 and info.registrant == b""
    assert info.time_ms == 1_600_000_000_000 and info.institution == "sunrise-records"
    assert ask(state, "royalty", "catalogue", institution="sunrise-records").works == [
        "CAT-0001"]
    run(state, LISTENER, Pay("CAT-0001", "download", 5, 400))
    assert (balance(state, AUTHOR), balance(state, SINGER)) == (240, 160)
    run(state, LABEL, SetPrices("CAT-0001", [Price("download", 90)]))
    refused(state, OTHER_LABEL, SetPrices("CAT-0001", [Price("download", 1)]),
            "royalty.not_a_rights_manager")
    run(state, AUTHOR, ChangeSplit("CAT-0001", 0, [Share(AUTHOR.address, 5_000),
                                                    Share(SINGER.address, 5_000)]))
    assert [s.signed_by for s in ask(state, "royalty", "split_history",
                                     work="CAT-0001").splits] == [[], [AUTHOR.address]]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"work": "bad id"}, r"works\[0\]\.work"),
        ({"metadata_hash": "AB" * 32}, "metadata_hash"),
        ({"institution": "Sunrise"}, "institution"),
        ({"time_ms": -1}, "time_ms"),
        ({"title": ""}, "title"),
        ({"token": "bad"}, "token"),
        ({"split": [GenesisShare("zz" * 20, 10_000)]}, r"split\[0\]\.holder"),
        ({"split": [GenesisShare(AUTHOR.address.hex(), 9_000)]}, "sum to 9000"),
        ({"prices": []}, "1 to 8 uses"),
        ({"prices": [GenesisPrice("download", 0)]}, "price 0"),
    ],
)
def test_a_bad_entry_is_refused_naming_it(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        verify_royalty_genesis(RoyaltyGenesis(works=[entry(**change)]))


def test_counts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="appears twice"):
        verify_royalty_genesis(RoyaltyGenesis(works=[entry(), entry()]))
    two = [entry(), entry(work="CAT-0002")]
    verify_royalty_genesis(RoyaltyGenesis(works=two))
    monkeypatch.setattr(limits, "genesis_works_max", 1)
    with pytest.raises(ConfigError, match="2 entries, at most 1"):
        verify_royalty_genesis(RoyaltyGenesis(works=two))
    monkeypatch.setattr(limits, "genesis_works_max", 10)
    monkeypatch.setattr(limits, "holder_works_max", 1)
    with pytest.raises(ConfigError, match="in 2 works, at most 1"):
        verify_royalty_genesis(RoyaltyGenesis(works=two))
    monkeypatch.setattr(limits, "holder_works_max", 10)
    monkeypatch.setattr(limits, "catalogue_works_max", 1)
    with pytest.raises(ConfigError, match="sunrise-records has 2 works"):
        verify_royalty_genesis(RoyaltyGenesis(works=two))
