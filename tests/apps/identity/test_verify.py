"""A presented document checked against a credential offline (cli/identity.py
verify_credential): a state proof file of identity.credential from a real chain, the genesis
file's validators as the only trust; every tampering and every wrong document refused."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

from chainbook.apps.governance import GovernanceGenesis
from chainbook.apps.identity import Issue, Revoke
from chainbook.cli.identity import verify_credential
from chainbook.cli.main import app
from chainbook.client.verify import ProofError, trust_root_from_genesis
from chainbook.ledger.genesis import dump_genesis
from chainbook.ledger.node_ledger import NodeLedger
from chainbook.ledger.state import LedgerState
from chainbook.storage import MemoryBlockStore
from tests.apps.identity.helpers import CIVIL, DOCUMENT, INSTITUTIONS, SALT, commitment_of
from tests.client.ledger_chain import LedgerChain, _Pending
from tests.client.test_state_proof_file import proof_document
from tests.support import ALICE, VALIDATOR, make_genesis, signed


class RegistryChain(LedgerChain):
    """LedgerChain whose genesis registers the civil registry and the university."""

    def __init__(self) -> None:
        self.keys = [VALIDATOR]
        self.genesis = make_genesis(
            app_state={"governance": GovernanceGenesis(institutions=INSTITUTIONS)}
        )
        self.pending = _Pending()
        self.ledger = NodeLedger(
            self.genesis, LedgerState.from_genesis(self.genesis), None, self.pending
        )
        self.store = MemoryBlockStore()
        self.commits = {}


@pytest.fixture(scope="module")
def chains() -> tuple[RegistryChain, dict[str, Any], dict[str, Any]]:
    """A chain with a birth record; its proof while valid, and after its revocation."""
    chain = RegistryChain()
    chain.commit_block([signed(CIVIL, 0, Issue(commitment_of(), "birth", ALICE.address))])
    chain.commit_block([])
    valid = proof_document(chain, "identity", "credential", commitment=commitment_of().hex())
    chain.commit_block([signed(CIVIL, 1, Revoke(commitment_of(), "issued in error"))])
    chain.commit_block([])
    revoked = proof_document(chain, "identity", "credential", commitment=commitment_of().hex())
    return chain, valid, revoked


def check(chain: RegistryChain, document: dict[str, Any], data: bytes = DOCUMENT,
          salt: bytes = SALT) -> Any:  # fmt: skip
    root = trust_root_from_genesis(chain.genesis)
    return verify_credential(
        hashlib.sha256(data).digest(), salt, msgspec.json.encode(document), root
    )


def test_the_document_is_the_credentialled_one_and_valid(chains: Any) -> None:
    chain, valid, _ = chains
    checked = check(chain, valid)
    assert checked.answer["status"] == "valid" and checked.answer["issuer"] == "civil-registry"
    assert checked.answer["issuer_status"] == "active" and checked.height == 1


def test_after_its_revocation_the_proof_says_revoked(chains: Any) -> None:
    chain, _, revoked = chains
    answer = check(chain, revoked).answer
    assert (answer["status"], answer["revoke_reason"]) == ("revoked", "issued in error")


@pytest.mark.parametrize(
    ("data", "salt", "words"),
    [
        (DOCUMENT + b" (amended)", SALT, "not the credentialled document"),
        (DOCUMENT, bytes(16), "not the credentialled document"),
        (DOCUMENT, bytes(8), "a salt is 16 to 64 bytes"),
    ],
    ids=["another document", "another salt", "short salt"],
)
def test_another_document_or_salt_is_refused(chains: Any, data: bytes, salt: bytes,
                                             words: str) -> None:  # fmt: skip
    chain, valid, _ = chains
    with pytest.raises(ProofError, match=words):
        check(chain, valid, data, salt)


TAMPERINGS = {
    "status": (lambda d: d["answer"].update(status="valid"), "not what the proven state gives"),
    "subject": (lambda d: d["answer"].update(subject="00" * 20), "not what the proven state"),
    "header": (lambda d: d.update(header=d["header"][:-2] + "00"), "header"),
    "another query": (lambda d: d.update(module="bank", query="supply"), "bank.supply"),
}


@pytest.mark.parametrize("name", TAMPERINGS, ids=list(TAMPERINGS))
def test_a_changed_proof_is_refused(chains: Any, name: str) -> None:
    chain, _, revoked = chains
    document = copy.deepcopy(revoked)
    change, words = TAMPERINGS[name]
    change(document)
    with pytest.raises(ProofError, match=words):
        check(chain, document)


def test_an_unknown_credential_is_refused(chains: Any) -> None:
    chain, _, _ = chains
    unknown = proof_document(chain, "identity", "credential", commitment="ab" * 32)
    with pytest.raises(ProofError, match="holds no credential"):
        check(chain, unknown)


def test_the_commands_commit_and_verify(chains: Any, tmp_path: Path) -> None:
    chain, valid, revoked = chains
    (tmp_path / "doc.txt").write_bytes(DOCUMENT)
    (tmp_path / "genesis.json").write_bytes(dump_genesis(chain.genesis))
    runner = CliRunner()
    made = runner.invoke(app, ["identity", "commit", str(tmp_path / "doc.txt"), "--kind", "birth",
                               "--subject", ALICE.address.hex(), "--salt", SALT.hex()])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert f"commitment {commitment_of().hex()}" in made.output
    for name, document, code, words in (("v.json", valid, 0, "valid"),
                                        ("r.json", revoked, 1, "revoked")):  # fmt: skip
        (tmp_path / name).write_bytes(msgspec.json.encode(document))
        done = runner.invoke(app, [
            "identity", "verify", str(tmp_path / "doc.txt"), "--salt", SALT.hex(),
            "--proof", str(tmp_path / name), "--genesis", str(tmp_path / "genesis.json"),
        ])  # fmt: skip
        assert done.exit_code == code, done.output
        assert words in done.output
    (tmp_path / "doc.txt").write_bytes(DOCUMENT + b"!")
    done = runner.invoke(app, [
        "identity", "verify", str(tmp_path / "doc.txt"), "--salt", SALT.hex(),
        "--proof", str(tmp_path / "v.json"), "--genesis", str(tmp_path / "genesis.json"),
    ])  # fmt: skip
    assert done.exit_code == 1 and "not the credentialled document" in done.output
