"""evidence: case files, endorsements by registered institutions, the k-of-n policy; every
refusal changes nothing but the nonce; every limit at its edge."""

from __future__ import annotations

import hashlib

import pytest

from chainbook.apps.evidence import Document, Endorse, compute_case_digest, limits
from tests.apps.evidence.helpers import (
    CA,
    CONTRACT,
    COURT,
    CUSTOMS,
    FORENSIC,
    NOTARY,
    NOTARY_2,
    OTHER_NOTARY,
    OUTSIDER,
    SUBMITTER,
    case,
    digest_of,
    endorse,
    make_ledger,
    ok,
    refused,
    revoke,
)
from tests.support import BOB, ask


def policy(ledger: object, name: str = "c1") -> object:
    return ask(ledger.state, "evidence", "policy", case=name)  # type: ignore[attr-defined]


def test_a_case_is_met_when_distinct_institutions_meet_k_entries() -> None:
    ledger = make_ledger()
    [submitted] = ok(ledger, SUBMITTER, case())
    info = ask(ledger.state, "evidence", "case", case="c1")
    assert info.digest == compute_case_digest(case(), SUBMITTER.address)
    assert dict(submitted.attributes) == {
        "case": "c1", "submitter": SUBMITTER.address.hex(), "digest": info.digest.hex()
    }
    assert not policy(ledger).met  # type: ignore[attr-defined]
    [endorsed] = endorse(ledger, NOTARY, statement="the copies match the originals")
    assert dict(endorsed.attributes)["institution"] == "hz-notary"
    answer = policy(ledger)
    assert (answer.met, answer.met_count) == (False, 1)  # type: ignore[attr-defined]
    events = endorse(ledger, FORENSIC)
    assert [e.kind for e in events] == ["endorsed", "policy_met"]
    answer = policy(ledger)
    assert answer.met and answer.met_height == ledger.height  # type: ignore[attr-defined]
    assert [(e.name, e.met_by) for e in answer.entries] == [  # type: ignore[attr-defined]
        ("notary_office", "hz-notary"), ("forensic_centre", "zj-forensic")
    ]
    # Endorsements after the policy is met are recorded; policy_met is not emitted again.
    assert [e.kind for e in endorse(ledger, COURT)] == ["endorsed"]
    assert ask(ledger.state, "evidence", "case", case="c1").endorsers == [
        "hz-notary", "zj-forensic", "hz-court"
    ]


def test_one_institution_meets_one_entry_even_holding_two_roles() -> None:
    ledger = make_ledger()
    ok(ledger, SUBMITTER, case())
    endorse(ledger, FORENSIC)  # zj-forensic holds forensic_centre and notary_office
    assert policy(ledger).met_count == 1  # type: ignore[attr-defined]
    endorse(ledger, NOTARY)
    # The matching gives the notary the notary entry and the forensic centre its own.
    assert policy(ledger).met  # type: ignore[attr-defined]


def test_a_role_named_twice_asks_for_two_institutions_and_named_institutions_count() -> None:
    ledger = make_ledger()
    ok(ledger, SUBMITTER, case(roles=["notary_office", "notary_office"], institutions=["hz-court"],
                               required=3))
    endorse(ledger, NOTARY)
    endorse(ledger, OTHER_NOTARY)
    assert policy(ledger).met_count == 2  # type: ignore[attr-defined]
    endorse(ledger, CA)  # meets nothing: not a notary, not hz-court
    assert not policy(ledger).met  # type: ignore[attr-defined]
    endorse(ledger, COURT)
    assert policy(ledger).met  # type: ignore[attr-defined]


def test_endorsements_by_anyone_but_an_active_endorsing_institution_are_refused() -> None:
    ledger = make_ledger()
    ok(ledger, SUBMITTER, case())
    digest = digest_of(ledger)
    error = refused(ledger, OUTSIDER, Endorse("c1", digest), "evidence.not_an_institution")
    assert OUTSIDER.address.hex() in error
    error = refused(ledger, CUSTOMS, Endorse("c1", digest), "evidence.role_missing")
    assert "hz-customs" in error and "customs" in error
    endorse(ledger, NOTARY)
    error = refused(ledger, NOTARY_2, Endorse("c1", digest), "evidence.already_endorsed")
    assert "hz-notary" in error  # another key of the same institution
    refused(ledger, NOTARY, Endorse("c1", digest), "evidence.already_endorsed")
    wrong = hashlib.sha256(b"other content").digest()
    error = refused(ledger, FORENSIC, Endorse("c1", wrong), "evidence.digest_mismatch")
    assert wrong.hex() in error and digest.hex() in error
    refused(ledger, FORENSIC, Endorse("c2", digest), "evidence.unknown_case")
    revoke(ledger, "zj-forensic")
    error = refused(ledger, FORENSIC, Endorse("c1", digest), "evidence.institution_revoked")
    assert "licence withdrawn" in error


def test_a_revocation_after_the_endorsement_is_shown_not_erased() -> None:
    ledger = make_ledger()
    ok(ledger, SUBMITTER, case())
    endorse(ledger, NOTARY)
    endorse(ledger, FORENSIC)
    revoke(ledger, "hz-notary")
    answer = policy(ledger)
    assert answer.met  # type: ignore[attr-defined]
    notary = answer.endorsements[0]  # type: ignore[attr-defined]
    assert (notary.status_now, notary.revoked_height > notary.height) == ("revoked", True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"required": 0}, "requires 0 of 2"),
        ({"required": 3}, "requires 3 of 2"),
        ({"roles": [], "institutions": [], "required": 1}, "0 entries"),
        ({"roles": ["customs"], "required": 1}, "cannot endorse"),
        ({"roles": ["judge"], "required": 1}, "cannot endorse"),
        ({"roles": [], "institutions": ["nobody"], "required": 1}, "not registered"),
        ({"roles": [], "institutions": ["hz-customs"], "required": 1}, "include none"),
        ({"roles": [], "institutions": ["hz-court", "hz-court"], "required": 1}, "named twice"),
        ({"roles": ["court"] * (limits.policy_entries_max + 1), "required": 1}, "1 to 16"),
    ],
)
def test_a_policy_that_can_never_be_met_is_refused(fields: dict[str, object], message: str) -> None:
    ledger = make_ledger()
    error = refused(ledger, SUBMITTER, case(**fields), "evidence.invalid_policy")
    assert message in error


def test_a_policy_naming_a_revoked_institution_is_refused() -> None:
    ledger = make_ledger()
    revoke(ledger, "hz-court")
    error = refused(ledger, SUBMITTER, case(roles=[], institutions=["hz-court"], required=1),
                    "evidence.invalid_policy")
    assert "revoked at height" in error


def test_case_ids_are_never_reused_and_records_are_distinct() -> None:
    ledger = make_ledger()
    ok(ledger, SUBMITTER, case())
    error = refused(ledger, BOB, case(), "evidence.case_exists")
    assert SUBMITTER.address.hex() in error
    twice = [Document("a", CONTRACT), Document("b", CONTRACT)]
    assert "documents[0]" in refused(ledger, SUBMITTER, case("c2", documents=twice),
                                     "evidence.invalid_case")
    for bad in ("", "Upper", "a/b", "x" * (limits.case_id_chars_max + 1)):
        refused(ledger, SUBMITTER, case(bad), "evidence.invalid_case")
    ok(ledger, SUBMITTER, case("x" * limits.case_id_chars_max))


def test_every_size_limit_at_its_edge() -> None:
    ledger = make_ledger()
    docs = [Document(f"r{i}", hashlib.sha256(b"%d" % i).digest())
            for i in range(limits.documents_max + 1)]
    edges = [
        ("title", "t" * limits.title_bytes_max, "t" * (limits.title_bytes_max + 1)),
        ("description", "d" * limits.description_bytes_max,
         "d" * (limits.description_bytes_max + 1)),
        ("documents", docs[:-1], docs),
        ("documents", [Document("n" * limits.document_name_bytes_max, CONTRACT)],
         [Document("n" * (limits.document_name_bytes_max + 1), CONTRACT)]),
    ]
    for number, (field, fits, over) in enumerate(edges):
        ok(ledger, SUBMITTER, case(f"fits-{number}", **{field: fits}))
        refused(ledger, SUBMITTER, case(f"over-{number}", **{field: over}),
                "evidence.invalid_case")
    refused(ledger, SUBMITTER, case("none", documents=[]), "evidence.invalid_case")
    ok(ledger, SUBMITTER, case("c1", roles=["court"] * limits.policy_entries_max, required=1))
    digest = digest_of(ledger)
    refused(ledger, NOTARY, Endorse("c1", digest, "s" * (limits.statement_bytes_max + 1)),
            "evidence.invalid_statement")
    ok(ledger, NOTARY, Endorse("c1", digest, "s" * limits.statement_bytes_max))


def test_endorsements_stop_at_their_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "endorsements_max", 2)
    ledger = make_ledger()
    ok(ledger, SUBMITTER, case(roles=["court"], required=1))
    endorse(ledger, NOTARY)
    endorse(ledger, FORENSIC)  # the limit: ok
    error = refused(ledger, COURT, Endorse("c1", digest_of(ledger)), "evidence.endorsements_full")
    assert "2 endorsements" in error


def test_the_endorsement_query_and_unknown_cases() -> None:
    ledger = make_ledger()
    assert not ask(ledger.state, "evidence", "case", case="nope").found
    assert not policy(ledger, "nope").found  # type: ignore[attr-defined]
    ok(ledger, SUBMITTER, case())
    endorse(ledger, NOTARY_2, statement="seen")  # the institution's second key
    answer = ask(ledger.state, "evidence", "endorsement", case="c1", institution="hz-notary")
    assert answer.found and answer.endorsement.signer == NOTARY_2.address
    assert answer.endorsement.statement == "seen"
    assert not ask(ledger.state, "evidence", "endorsement", case="c1",
                   institution="hz-court").found
