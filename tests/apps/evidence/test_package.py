"""The evidence package, built from a chain's proofs and checked offline: what it proves, and
every tampering refused with the check that caught it (the worked example of docs/APPS.md runs
the same against a real testnet)."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from chainbook.api.proof_routes import build_receipt_file, build_state_proof_file
from chainbook.apps.evidence import Endorse, compute_case_digest
from chainbook.apps.fields import build_from_text
from chainbook.apps.governance import GovernanceGenesis
from chainbook.chain.tx import tx_hash
from chainbook.cli.evidence import build_package, verify_package
from chainbook.cli.output import UserError
from chainbook.client.verify import ProofError, trust_root_from_genesis
from chainbook.ledger.node_ledger import NodeLedger
from chainbook.ledger.queries import find_query, run_query
from chainbook.ledger.state import LedgerState
from chainbook.storage import MemoryBlockStore
from tests.apps.evidence.helpers import FORENSIC, INSTITUTIONS, NOTARY, OUTSIDER, case
from tests.client.ledger_chain import LedgerChain, _Pending
from tests.support import ALICE, VALIDATOR, make_genesis, signed


class RegistryChain(LedgerChain):
    """A LedgerChain whose genesis registers the evidence tests' institutions."""

    def __init__(self) -> None:
        self.keys = [VALIDATOR]
        self.genesis = make_genesis(
            validators=self.keys,
            app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)},
        )
        self.pending = _Pending()
        self.ledger = NodeLedger(self.genesis, LedgerState.from_genesis(self.genesis), None,
                                     self.pending)
        self.store = MemoryBlockStore()
        self.commits = {}


def client_of(chain: RegistryChain) -> Any:
    """What build_package asks of a Client, answered from the chain itself."""

    def prove_query(module: str, name: str, **fields: str) -> Any:
        request = build_from_text(find_query(chain.ledger.state.registry, module, name).request,
                                  fields)
        return build_state_proof_file(chain, module, name, fields, request)

    def case_query(**fields: str) -> Any:
        request = build_from_text(find_query(chain.ledger.state.registry, "evidence", "case")
                                  .request, fields)
        return run_query(chain.ledger.state, "evidence", "case", request)

    return SimpleNamespace(
        prove_query=prove_query,
        get_receipt_file=lambda h: build_receipt_file(chain, bytes.fromhex(h)),
        apps=SimpleNamespace(evidence=SimpleNamespace(case=case_query)),
    )


@pytest.fixture(scope="module")
def endorsed() -> tuple[RegistryChain, bytes]:
    chain = RegistryChain()
    digest = compute_case_digest(case(), ALICE.address)
    chain.commit_block([signed(ALICE, 0, case())])
    chain.commit_block([signed(NOTARY, 0, Endorse("c1", digest, "copies match"))])
    chain.commit_block([signed(FORENSIC, 0, Endorse("c1", digest))])
    chain.commit_block([signed(OUTSIDER, 0, Endorse("c1", digest))])  # refused: no institution
    package = build_package("c1", client_of(chain))
    return chain, msgspec.json.encode(package)


def root(chain: RegistryChain) -> Any:
    return trust_root_from_genesis(chain.genesis)


def test_a_package_proves_the_case_its_endorsers_and_the_policy(
    endorsed: tuple[RegistryChain, bytes]
) -> None:
    chain, data = endorsed
    verified = verify_package(data, root(chain))
    assert verified.met and verified.required == 2
    assert [e.institution for e in verified.endorsements] == ["hz-notary", "zj-forensic"]
    assert verified.endorsements[0].signer == NOTARY.address
    assert verified.submitter == ALICE.address and verified.submitted_height == 1
    assert verified.digest == compute_case_digest(case(), ALICE.address)


def test_the_newest_endorsement_waits_for_the_next_header() -> None:
    chain = RegistryChain()
    digest = compute_case_digest(case(), ALICE.address)
    chain.commit_block([signed(ALICE, 0, case())])
    chain.commit_block([signed(NOTARY, 0, Endorse("c1", digest))])
    with pytest.raises(UserError, match="retry after it"):
        build_package("c1", client_of(chain))


def _drop_endorsement(p: dict[str, Any]) -> None:
    p["endorsements"].pop()


def _swap_submission(p: dict[str, Any]) -> None:
    p["submission"] = p["endorsements"][0]


def _duplicate(p: dict[str, Any]) -> None:
    p["endorsements"].append(p["endorsements"][0])


def _policy_answer(p: dict[str, Any]) -> None:
    p["policy"]["answer"]["met"] = not p["policy"]["answer"]["met"]


def _other_case(p: dict[str, Any]) -> None:
    p["case"] = "c2"


def _foreign_receipt(p: dict[str, Any]) -> None:
    p["endorsements"].append(p["submission"])


TAMPERINGS = {
    "a receipt the case does not list": (_foreign_receipt, "does not list as endorsements"),
    "an endorsement taken out": (_drop_endorsement, "no receipt for the endorsement"),
    "the submission swapped": (_swap_submission, "the submission receipt is of tx"),
    "an endorsement twice": (_duplicate, "repeats receipt 0"),
    "the answer changed": (_policy_answer, "not what the proven state gives"),
    "another case named": (_other_case, "not evidence.policy"),
    "another format": (lambda p: p.update(format="x"), "unknown format"),
    "a receipt changed": (
        lambda p: p["endorsements"][0].update(receipt=p["endorsements"][0]["receipt"][:-2]
                                              + "00"),
        "receipt",
    ),
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_every_tampering_is_refused(endorsed: tuple[RegistryChain, bytes], name: str) -> None:
    chain, data = endorsed
    change, message = TAMPERINGS[name]
    package = copy.deepcopy(msgspec.json.decode(data))
    change(package)
    with pytest.raises(ProofError, match=message):
        verify_package(msgspec.json.encode(package), root(chain))


def test_a_package_of_another_chain_is_refused(endorsed: tuple[RegistryChain, bytes]) -> None:
    _, data = endorsed
    other = trust_root_from_genesis(make_genesis(chain_id="another-chain"))
    with pytest.raises(ProofError, match="chain"):
        verify_package(data, other)


def test_the_refused_endorsement_is_no_endorsement(endorsed: tuple[RegistryChain, bytes]) -> None:
    chain, data = endorsed
    assert tx_hash(signed(OUTSIDER, 0, Endorse("c1", b"\x00" * 32))) not in {
        e.tx_hash for e in verify_package(data, root(chain)).endorsements
    }


def test_the_verify_command_prints_what_the_package_proves(
    endorsed: tuple[RegistryChain, bytes], tmp_path: Any
) -> None:
    import json

    from typer.testing import CliRunner

    from chainbook.cli.main import app
    from chainbook.ledger.genesis import dump_genesis

    chain, data = endorsed
    (tmp_path / "p.json").write_bytes(data)
    (tmp_path / "g.json").write_bytes(dump_genesis(chain.genesis))
    package, genesis = str(tmp_path / "p.json"), str(tmp_path / "g.json")
    command = ["evidence", "verify", package, "--genesis", genesis]
    shown = CliRunner().invoke(app, [*command, "--json"])
    assert shown.exit_code == 0, shown.output
    answer = json.loads(shown.output)
    assert answer["met"] and [e["institution"] for e in answer["endorsements"]] == [
        "hz-notary", "zj-forensic"
    ]
    (tmp_path / "forged.txt").write_text("not a record")
    refused = CliRunner().invoke(app, [*command, "--document", str(tmp_path / "forged.txt")])
    assert refused.exit_code == 1 and "is not a record of case" in refused.output
