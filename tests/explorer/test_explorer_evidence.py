"""The evidence view in a real browser against a real 4-validator testnet: a case with its
records' hashes, its policy ("k of these n", each entry and who meets it), its endorsements
(institution, role, signer, height) and whether the policy is met; the page follows a
committed endorsement without reload, up to the policy being met; the search box finds a case.

The activity is docs/APPS.md's evidence example: a court, a notary office and a forensic
centre registered through governance; Zhang (Alice) submits a loan contract and a chat log
asking for 2 of [a notary office, a forensic centre, the court hz-court]; the notary office
endorses (the forensic centre endorses during the live test).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.evidence.actions import Document, Endorse, Submit
from chainbook.apps.governance import RegisterInstitution
from tests.explorer.activity import wallet
from tests.explorer.conftest import Tab
from tests.explorer.institutions import WAIT_S, key_wallet, register_institutions, send_round
from tests.explorer.test_explorer_browser import search

pytestmark = pytest.mark.integration

CASE = "zhang-v-li"
RECORDS = {
    "contract.txt": b"Loan contract: Li lends Zhang 50,000 CNY on 1 March\n",
    "chat.txt": b'Chat log, 2 March: "I will repay on 1 April"\n',
}
LIVE_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class EvidenceActivity:
    submitter: str
    notary: str
    forensic: str
    digest: str


def build_evidence_activity(root: Path) -> EvidenceActivity:
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        court, notary, forensic = (key_wallet(client, f"evidence-{who}")
                                   for who in ("court", "notary", "forensic"))
        alice = wallet(root, client, "alice")
        register_institutions(root, client, [
            RegisterInstitution("hz-court", "Hangzhou Internet Court", ["court"],
                                [court.private_key.public_key]),
            RegisterInstitution("hz-notary", "Hangzhou Notary Office", ["notary_office"],
                                [notary.private_key.public_key]),
            RegisterInstitution("zj-forensic", "Zhejiang Forensic Centre", ["forensic_centre"],
                                [forensic.private_key.public_key]),
        ])
        documents = [Document(name, hashlib.sha256(data).digest())
                     for name, data in RECORDS.items()]
        send_round(client, [(alice, Submit(
            CASE, "Loan dispute, Zhang v. Li", documents, 2,
            ["notary_office", "forensic_centre"], ["hz-court"],
            "Li says the loan was repaid; Zhang says it was not"))])
        digest = client.apps.evidence.case(case=CASE).digest
        send_round(client, [(notary, Endorse(
            CASE, digest, "the copies match the originals shown to us"))])
    return EvidenceActivity(alice.address.hex(), notary.address.hex(), forensic.address.hex(),
                            digest.hex())


@pytest.fixture(scope="module")
def evidence(network: Path) -> EvidenceActivity:
    return build_evidence_activity(network)


def policy_entries(tab: Tab) -> list[list[str]]:
    found: list[list[str]] = tab.page.locator(
        "#evidence-policy section:has(h2:text-matches('^Policy')) tbody tr").evaluate_all(
        "trs => trs.map(tr => [tr.cells[0].innerText, tr.cells[1].innerText])")
    return found


def endorsement_rows(tab: Tab) -> list[list[str]]:
    """(institution id, roles, statement, block) of each endorsement shown."""
    found: list[list[str]] = tab.page.locator("#evidence-policy table.endorsements tbody tr"
                                              ).evaluate_all(
        "trs => trs.map(tr => [tr.dataset.institution, tr.cells[1].innerText,"
        " tr.cells[3].innerText, tr.cells[4].innerText])")
    return found


def test_a_case_shows_its_records_policy_and_endorsements(
    tab: Tab, base_url: str, network: Path, evidence: EvidenceActivity
) -> None:
    view = tab.open(base_url, f"/apps/evidence/case?case={CASE}")
    text = view.inner_text()
    for shown in ("Loan dispute, Zhang v. Li", "Li says the loan was repaid", evidence.submitter,
                  evidence.digest):
        assert shown in text, shown
    records = view.locator("table.records tbody tr").evaluate_all(
        "trs => trs.map(tr => [tr.cells[0].innerText, tr.cells[1].innerText])")
    assert records == [[name, hashlib.sha256(data).hexdigest()] for name, data in RECORDS.items()]
    policy = view.locator("#evidence-policy")
    assert (policy.get_attribute("data-met"), policy.get_attribute("data-met-count")) == (
        "false", "1")
    assert "policy not met: 1 entry met by distinct institutions, 2 needed" in text
    assert "Policy: 2 of these 3" in text
    assert policy_entries(tab) == [
        ["any institution that is a notary office", "Hangzhou Notary Office (hz-notary)"],
        ["any institution that is a forensic centre", "not yet"],
        ["the institution Hangzhou Internet Court (hz-court)", "not yet"],
    ]
    with testnet.load_testnet(network).client("node0") as client:
        height = client.apps.evidence.endorsement(case=CASE, institution="hz-notary"
                                                  ).endorsement.height
    assert endorsement_rows(tab) == [
        ["hz-notary", "notary_office", "the copies match the originals shown to us", str(height)]]
    tab.assert_clean()


def test_the_search_box_finds_a_case(
    tab: Tab, base_url: str, evidence: EvidenceActivity
) -> None:
    tab.open(base_url, "/")
    search(tab, CASE)
    assert tab.page.evaluate("decodeURIComponent(location.hash)") == (
        f"#/apps/evidence/case?case={CASE}")
    assert tab.page.locator("#evidence-policy").count() == 1
    view = tab.open(base_url, "/apps/evidence/case?case=no-such-case")
    assert 'no case "no-such-case" on this chain' in view.inner_text()
    tab.assert_clean()


def test_an_endorsement_appears_live_and_meets_the_policy(
    tab: Tab, base_url: str, network: Path, evidence: EvidenceActivity
) -> None:
    """Last in the module: the forensic centre endorses."""
    tab.open(base_url, f"/apps/evidence/case?case={CASE}")
    tab.page.locator("#live.on").wait_for()
    tab.page.evaluate("window.__notReloaded = true")
    with testnet.load_testnet(network).client("node1") as client:  # another node than the page's
        sent = key_wallet(client, "evidence-forensic").send(Endorse(
            CASE, bytes.fromhex(evidence.digest), "the chat log was extracted unaltered"))
        height = client.wait_for_receipt(sent.hash, timeout_s=WAIT_S).height
    tab.page.locator('#evidence-policy[data-met="true"][data-endorsements="2"]').wait_for(
        timeout=LIVE_TIMEOUT_MS)
    text = tab.page.locator("#evidence-policy").inner_text()
    assert f"policy met at height {height}: 2 entries met by distinct institutions" in text
    assert endorsement_rows(tab)[1] == [
        "zj-forensic", "forensic_centre", "the chat log was extracted unaltered", str(height)]
    assert policy_entries(tab)[1] == ["any institution that is a forensic centre",
                                      "Zhejiang Forensic Centre (zj-forensic)"]
    assert tab.page.evaluate("window.__notReloaded") is True
    tab.assert_clean()
