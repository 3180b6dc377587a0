"""`chainbook evidence package CASE --out F` and `chainbook evidence verify F --genesis G`.

    chainbook evidence package CASE --out F [--node URL]
    chainbook evidence verify F --genesis G [--document FILE ...] [--json]

`package` asks a node for everything a judge needs about a case and writes it in one file;
`verify` checks that file offline, contacting no node, trusting only the genesis file, and says
what it proves: who submitted which records when, which institutions endorsed them when, and
whether the case's policy is met. With `--document`, it also checks that each file is one of
the case's records (its SHA-256 is listed).

An evidence package (format "chainbook/evidence-package", version 1) is JSON:

    { "format": "chainbook/evidence-package", "version": 1, "case": "<case id>",
      "policy":       <state proof file of evidence.policy(case), docs/PROTOCOL.md>,
      "submission":   <receipt file of the evidence.submit transaction>,
      "endorsements": [<receipt file of each evidence.endorse transaction>, ...] }

Checking one, in order: the state proof verifies (the `policy` answer is the chain's, under a
header certified by > 2/3 of the validators followed from the genesis file; it names every
endorsement with its transaction and signer, each endorser's registry status, the digest and
whether the policy is met); the submission's receipt verifies, succeeded, is the transaction
the answer names, submitted this case by the answer's submitter, and its records and policy
give the answer's digest (apps/evidence/digest.py); there is exactly one endorsement receipt
per endorsement of the answer, each verifies, succeeded, is the transaction the answer names,
is signed by the key the answer names and endorses this case's digest. The endorser being a
registered institution is the chain's own check when it accepted the endorsement (a refused
one is no endorsement); its registry status at the proof's height is in the answer.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from chainbook.cli.notary import hash_file
from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)

EVIDENCE_PACKAGE_FORMAT = "chainbook/evidence-package"
EVIDENCE_PACKAGE_VERSION = 1
PACKAGE_BYTES_MAX = 64 * 1024 * 1024
"""A package: a state proof and at most 17 receipt files (each at most PROOF_FILE_BYTES_MAX,
api/proof_views.py; in practice a few kB)."""


class EvidencePackage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: str
    version: int
    case: str
    policy: Any
    submission: Any
    endorsements: list[Any]


class VerifiedEndorsement(msgspec.Struct, frozen=True):
    institution: str
    roles: list[str]
    signer: bytes
    statement: str
    height: int
    time_ms: int
    tx_hash: bytes
    status_now: str


class VerifiedCase(msgspec.Struct, frozen=True):
    """What an evidence package proves, every field checked."""

    case: str
    chain_id: str
    title: str
    documents: list[tuple[str, bytes]]
    submitter: bytes
    submitted_height: int
    submitted_time_ms: int
    digest: bytes
    required: int
    entries: list[tuple[str, str, str]]
    """(kind, name, met_by)."""
    met: bool
    met_height: int
    endorsements: list[VerifiedEndorsement]
    proven_height: int
    """The policy answer is of the state after this block."""


def build_package(case: str, client: Any) -> EvidencePackage:
    """Ask `client` (a chainbook Client) for the case's proofs."""
    proof = client.prove_query("evidence", "policy", case=case)
    answer = proof.answer
    if not answer.get("found"):
        raise UserError(f"no case {case!r} on the chain (a case submitted in the latest block "
                        "is proven by the next block's header: retry after it)")
    latest = client.apps.evidence.case(case=case)
    if len(latest.endorsers) != len(answer["endorsements"]):
        raise UserError(
            f"case {case!r} has {len(latest.endorsers)} endorsements, the latest proven state "
            f"{len(answer['endorsements'])}: the newest is proven by the next block's header; "
            "retry after it"
        )
    submission = client.get_receipt_file(answer["tx_hash"])
    endorsements = [client.get_receipt_file(e["tx_hash"]) for e in answer["endorsements"]]
    return EvidencePackage(
        EVIDENCE_PACKAGE_FORMAT,
        EVIDENCE_PACKAGE_VERSION,
        case,
        msgspec.to_builtins(proof),
        msgspec.to_builtins(submission),
        [msgspec.to_builtins(e) for e in endorsements],
    )


def load_package(data: bytes) -> EvidencePackage:
    from chainbook.client.verify import ProofError

    if len(data) > PACKAGE_BYTES_MAX:
        raise ProofError(f"evidence package of {len(data)} bytes, at most {PACKAGE_BYTES_MAX}")
    try:
        head = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ProofError(f"not an evidence package (malformed or truncated JSON): {exc}") from None
    kind = head.get("format") if isinstance(head, dict) else None
    if kind != EVIDENCE_PACKAGE_FORMAT:
        raise ProofError(f"unknown format {kind!r}; accepted: {EVIDENCE_PACKAGE_FORMAT}")
    if head.get("version") != EVIDENCE_PACKAGE_VERSION:
        raise ProofError(f"{kind} version {head.get('version')!r}; this verifier reads version "
                         f"{EVIDENCE_PACKAGE_VERSION}")
    try:
        return msgspec.convert(head, EvidencePackage)
    except msgspec.ValidationError as exc:
        raise ProofError(f"{kind}: {exc}") from None


def verify_package(data: bytes, root: Any, registry: Any = None) -> VerifiedCase:
    """What the package `data` proves under the trust root `root` (client/verify.py);
    ProofError naming the first failed check."""
    from chainbook.api.proof_views import ReceiptFile, StateProofFile
    from chainbook.apps.evidence import Endorse, Submit, compute_case_digest, limits
    from chainbook.apps.fields import from_json_value
    from chainbook.apps.registry import REGISTRY
    from chainbook.client.verify import ProofError, verify_receipt_file, verify_state_proof_file

    registry = registry or REGISTRY
    package = load_package(data)
    try:
        proof = msgspec.convert(package.policy, StateProofFile)
        submission = msgspec.convert(package.submission, ReceiptFile)
        receipts = [msgspec.convert(e, ReceiptFile) for e in package.endorsements]
    except msgspec.ValidationError as exc:
        raise ProofError(f"evidence package: {exc}") from None
    state = verify_state_proof_file(proof, root, registry)
    if (state.module, state.query, state.request) != ("evidence", "policy", {"case": package.case}):
        raise ProofError(
            f"the state proof answers {state.module}.{state.query}({state.request}), not "
            f"evidence.policy(case={package.case!r})"
        )
    answer = state.answer
    if not answer["found"]:
        raise ProofError(f"the chain holds no case {package.case!r}")
    submitted = verify_receipt_file(submission, root, registry)
    if submitted.tx_hash.hex() != answer["tx_hash"]:
        raise ProofError(f"the submission receipt is of tx {submitted.tx_hash.hex()}, the case "
                         f"was submitted by tx {answer['tx_hash']}")
    if not submitted.ok or submitted.action.get("type") != "evidence.submit":
        raise ProofError("the submission receipt is not a successful evidence.submit")
    action = from_json_value(submitted.action, Submit)
    digest = compute_case_digest(action, submitted.sender)
    if action.case != package.case or digest.hex() != answer["digest"]:
        raise ProofError(f"the submitted case file gives digest {digest.hex()} of case "
                         f"{action.case!r}; the chain's case {package.case!r} has "
                         f"{answer['digest']}")
    if len(receipts) > limits.endorsements_max:
        raise ProofError(f"{len(receipts)} endorsement receipts, a case holds at most "
                         f"{limits.endorsements_max}")
    by_hash: dict[str, tuple[int, Any]] = {}
    for number, receipt in enumerate(receipts):
        verified = verify_receipt_file(receipt, root, registry)
        if verified.tx_hash.hex() in by_hash:
            raise ProofError(f"endorsement receipt {number} repeats receipt "
                             f"{by_hash[verified.tx_hash.hex()][0]} (tx {verified.tx_hash.hex()})")
        by_hash[verified.tx_hash.hex()] = (number, verified)
    endorsements = []
    for e in answer["endorsements"]:
        found = by_hash.pop(e["tx_hash"], None)
        if found is None:
            raise ProofError(f"no receipt for the endorsement of {e['institution']!r} "
                             f"(tx {e['tx_hash']})")
        number, verified = found
        where = f"endorsement receipt {number}"
        if not verified.ok or verified.action.get("type") != "evidence.endorse":
            raise ProofError(f"{where} is not a successful evidence.endorse")
        endorse = from_json_value(verified.action, Endorse)
        if endorse.case != package.case or endorse.digest != digest:
            raise ProofError(f"{where} endorses case {endorse.case!r} digest "
                             f"{endorse.digest.hex()}, not this case file")
        if verified.sender.hex() != e["signer"]:
            raise ProofError(f"{where} is signed by {verified.sender.hex()}, the chain records "
                             f"{e['signer']} for {e['institution']!r}")
        endorsements.append(VerifiedEndorsement(
            e["institution"], e["roles"], verified.sender, endorse.statement, verified.height,
            verified.time_ms, verified.tx_hash, e["status_now"]))
    if by_hash:
        raise ProofError(f"receipts of transactions the case does not list as endorsements: "
                         f"{', '.join(sorted(by_hash))}")
    return VerifiedCase(
        case=package.case,
        chain_id=state.chain_id,
        title=action.title,
        documents=[(d.name, d.hash) for d in action.documents],
        submitter=submitted.sender,
        submitted_height=submitted.height,
        submitted_time_ms=submitted.time_ms,
        digest=digest,
        required=answer["required"],
        entries=[(x["kind"], x["name"], x["met_by"]) for x in answer["entries"]],
        met=answer["met"],
        met_height=answer["met_height"],
        endorsements=endorsements,
        proven_height=state.height,
    )


def _time(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms // 1000, datetime.UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{ms % 1000:03d} UTC"


# --- the commands ------------------------------------------------------------------------------


def package(
    case: Annotated[str, typer.Argument(help="The case id.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The package file to write.")],
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Write a case's evidence package: its record, endorsements and their proofs."""
    from chainbook.client.http import Client

    with friendly_errors():
        if out.exists():
            raise UserError(f"{out} exists; a package is never overwritten (move it away)")
        with Client(node) as client:
            built = build_package(case, client)
        with out.open("xb") as file:
            file.write(msgspec.json.format(msgspec.json.encode(built), indent=2) + b"\n")
        console.print(f"wrote {out}: case {case!r}, {len(built.endorsements)} endorsement(s)")


def verify(
    file: Annotated[Path, typer.Argument(help="The evidence package.")],
    genesis: Annotated[
        Path, typer.Option("--genesis", help="The genesis file whose validators are trusted.")
    ],
    document: Annotated[
        list[Path] | None,
        typer.Option("--document", help="A record to check against the case (repeatable)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Check an evidence package offline: who submitted and endorsed what, and the policy."""
    from chainbook.client.verify import ProofError, trust_root_from_genesis
    from chainbook.ledger.genesis import load_genesis

    with friendly_errors():
        size = file.stat().st_size
        if size > PACKAGE_BYTES_MAX:
            raise UserError(f"{file}: {size} bytes, a package has at most {PACKAGE_BYTES_MAX}")
        trust = trust_root_from_genesis(load_genesis(genesis.read_bytes()),
                                        f"the genesis file {genesis}")
        verified = verify_package(file.read_bytes(), trust)
        listed = {h: name for name, h in verified.documents}
        for path in document or []:
            digest = hash_file(path)
            if digest not in listed:
                raise ProofError(f"{path} (SHA-256 {digest.hex()}) is not a record of case "
                                 f"{verified.case!r}")
        if json_output:
            print_json(verified)
            return
        _print_verified(verified, [(p, listed[hash_file(p)]) for p in document or []])


def _print_verified(verified: VerifiedCase, documents: list[tuple[Path, str]]) -> None:
    rows: list[tuple[str, object]] = [
        ("chain", verified.chain_id),
        ("title", verified.title),
        ("submitted", f"by {verified.submitter.hex()} at height {verified.submitted_height} "
                      f"({_time(verified.submitted_time_ms)})"),
        ("digest", verified.digest.hex()),
    ]
    rows += [(f"record {name}", h.hex()) for name, h in verified.documents]
    rows += [
        (f"endorsed by {e.institution}",
         f"{', '.join(e.roles)}; key {e.signer.hex()} at height {e.height} ({_time(e.time_ms)})"
         + (f"; {e.statement!r}" if e.statement else "")
         + ("" if e.status_now == "active" else f"; {e.status_now} since"))
        for e in verified.endorsements
    ]
    policy = ", ".join(f"{kind} {name} -> {by or 'unmet'}" for kind, name, by in verified.entries)
    rows.append(("policy", f"{verified.required} of [{policy}]"))
    rows += [(f"document {path}", f"is record {name!r}") for path, name in documents]
    console.print(key_value_table(f"evidence package of case {verified.case}", rows))
    outcome = (
        f"policy met at height {verified.met_height}" if verified.met else "policy NOT met"
    )
    console.print(
        f"[bold green]verified[/]: case {verified.case} submitted at height "
        f"{verified.submitted_height}, {len(verified.endorsements)} endorsement(s), {outcome} "
        f"(state after block {verified.proven_height}), certified by more than 2/3 of the "
        "validators followed from the genesis file",
        soft_wrap=True,
        highlight=False,
    )


def add_evidence_commands(app: typer.Typer) -> None:
    """Put `package` and `verify` in the generated `evidence` group of `app`."""
    for group in app.registered_groups:
        if group.name == "evidence" and group.typer_instance is not None:
            group.typer_instance.command("package")(package)
            group.typer_instance.command("verify")(verify)
            return


__all__ = [
    "EVIDENCE_PACKAGE_FORMAT",
    "EvidencePackage",
    "VerifiedCase",
    "add_evidence_commands",
    "build_package",
    "load_package",
    "verify_package",
]
