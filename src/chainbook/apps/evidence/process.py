"""evidence state transitions: case files submitted by a party, endorsed by institutions.

The Hangzhou Internet Court model: notary offices, forensic centres, certificate authorities
and courts are registered institutions (the governance registry, apps/institutions.py) that
witness a party's records and endorse them; a judge later checks the endorsements offline
(the evidence package, cli/evidence.py). State layout: apps/evidence/state.py.

Rules kept:
- A case (`evidence.submit`, by any account) has an id chosen by its submitter (1..64 of
  a-z 0-9 . _ -, never reused), a title, an optional description and 1..documents_max
  records, each a name and a SHA-256 (distinct hashes; the records never go on chain). Its
  digest (apps/evidence/digest.py) covers all of it and the submitter. A case never changes:
  further records are a new case.
- Its policy is "`required` (k) of these n entries", 1 <= k <= n <= policy_entries_max; an
  entry is an endorsing role (court, notary_office, forensic_centre, certificate_authority)
  or the id of an institution that is registered, not revoked and holds an endorsing role
  when the case is submitted. A policy that could never be met is refused
  (evidence.invalid_policy): k = 0 or k > n, an unknown or non-endorsing role, an unknown,
  revoked or non-endorsing institution, an institution named twice. A role may be named
  twice ("two notaries").
- An endorsement is a transaction signed by a registered key of an institution
  (`evidence.endorse`, naming the case and its digest, so the signature covers that exact
  content; a digest other than the case's is refused, evidence.digest_mismatch). Refused
  too: a signer that is no institution's key (evidence.not_an_institution), a revoked
  institution (evidence.institution_revoked), one holding no endorsing role
  (evidence.role_missing), a second endorsement by the same institution with any of its
  keys (evidence.already_endorsed), more than endorsements_max (evidence.endorsements_full).
  The endorsement records the endorsing roles the institution held at that height: it is
  judged as of when it was signed (a later revocation is shown by the `policy` query, it
  does not erase a signature made while authorised).
- The policy is met when distinct endorsers meet k entries (apps/evidence/policy.py);
  endorsements are only added, so once met it stays met; the case records the height.
- Every refusal raises before any write. Reads that decide are `get`.
- Events: `evidence.submitted` (case, submitter, digest), `evidence.endorsed` (case,
  institution, signer), `evidence.policy_met` (case, the number of entries met) once, by
  the endorsement that meets it.
- No genesis section: what this module holds is signatures made on this chain (a case's
  endorsements are transactions of the institutions' keys), which an import could not carry.
"""

from __future__ import annotations

import re

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, TxContext, TxView
from chainbook.apps.evidence import limits
from chainbook.apps.evidence.actions import Endorse, Submit
from chainbook.apps.evidence.digest import compute_case_digest
from chainbook.apps.evidence.errors import (
    AlreadyEndorsed,
    CaseExists,
    DigestMismatch,
    EndorsementsFull,
    InstitutionRevoked,
    InvalidCase,
    InvalidPolicy,
    InvalidStatement,
    NotAnInstitution,
    RoleMissing,
    UnknownCase,
)
from chainbook.apps.evidence.policy import Endorser, count_met, get_policy_entries
from chainbook.apps.evidence.state import (
    ENDORSING_ROLES,
    CaseRecord,
    EndorsementRecord,
    case_key,
    endorsement_key,
    get_case,
    get_endorsements,
)
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.ledger.receipts import Event

MODULE_NAME = "evidence"
_CASE_ID = re.compile(r"^[a-z0-9._-]+$")


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def ask_institution(view: TxView, ctx: TxContext, request: InstitutionRequest) -> InstitutionAnswer:
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    return answer


# --- checks of a new case -------------------------------------------------------------------


def verify_case_id(case: str) -> None:
    if not 1 <= len(case) <= limits.case_id_chars_max or not _CASE_ID.match(case):
        raise InvalidCase(
            f"case id {case!r}: accepted 1 to {limits.case_id_chars_max} characters of a-z, "
            "0-9, '.', '_', '-'"
        )


def verify_text(name: str, text: str, limit: int, required: bool) -> None:
    size = compute_utf8_bytes(text)
    low = 1 if required else 0
    if not low <= size <= limit:
        raise InvalidCase(f"{name} is {size} bytes of UTF-8; accepted {low} to {limit}")


def verify_documents(action: Submit) -> None:
    count = len(action.documents)
    if not 1 <= count <= limits.documents_max:
        raise InvalidCase(f"{count} records in the case file; accepted 1 to {limits.documents_max}")
    seen: dict[bytes, int] = {}
    for i, document in enumerate(action.documents):
        verify_text(f"documents[{i}].name", document.name, limits.document_name_bytes_max, True)
        if document.hash in seen:
            raise InvalidCase(
                f"documents[{i}] has the hash {document.hash.hex()} of documents"
                f"[{seen[document.hash]}]; each record is listed once"
            )
        seen[document.hash] = i


def verify_not_submitted(view: KVReader, case: str) -> None:
    existing = get_case(view, case)
    if existing is not None:
        raise CaseExists(
            f"case {case!r} was submitted by {existing.submitter.hex()} at height "
            f"{existing.height} (transaction {existing.tx_hash.hex()}); case ids are never reused"
        )


def verify_policy_shape(action: Submit) -> None:
    n = len(action.roles) + len(action.institutions)
    if not 1 <= n <= limits.policy_entries_max:
        raise InvalidPolicy(
            f"the policy has {n} entries (roles and institutions); accepted 1 to "
            f"{limits.policy_entries_max}"
        )
    if not 1 <= action.required <= n:
        raise InvalidPolicy(
            f"the policy requires {action.required} of {n} entries; it can only be met with "
            f"1 to {n}"
        )
    for role in action.roles:
        if role not in ENDORSING_ROLES:
            raise InvalidPolicy(
                f"role {role!r} cannot endorse evidence; endorsing roles: "
                f"{', '.join(ENDORSING_ROLES)}"
            )
    if len(set(action.institutions)) != len(action.institutions):
        raise InvalidPolicy(
            f"an institution is named twice in {action.institutions!r}: one institution "
            "meets one entry, so the policy could never be met"
        )


def verify_policy_institutions(view: TxView, ctx: TxContext, institutions: list[str]) -> None:
    for institution in institutions:
        answer = ask_institution(view, ctx, InstitutionRequest(id=institution))
        record = answer.institution
        if record is None:
            raise InvalidPolicy(
                f"the policy names institution {institution!r}, which is not registered; "
                "register it through governance first"
            )
        if record.status != "active":
            raise InvalidPolicy(
                f"the policy names institution {institution!r}, revoked at height "
                f"{record.revoked_height}: it can never endorse"
            )
        if not set(record.roles) & set(ENDORSING_ROLES):
            raise InvalidPolicy(
                f"the policy names institution {institution!r}, whose roles "
                f"{', '.join(record.roles)} include none of {', '.join(ENDORSING_ROLES)}"
            )


# --- checks of an endorsement ---------------------------------------------------------------


def verify_case_known(view: KVReader, case: str) -> CaseRecord:
    record = get_case(view, case)
    if record is None:
        raise UnknownCase(f"no case {case!r} was submitted (evidence.submit)")
    return record


def verify_endorser(view: TxView, ctx: TxContext) -> tuple[str, list[str]]:
    """The signer's institution id and its endorsing roles, or the refusal."""
    answer = ask_institution(view, ctx, InstitutionRequest(address=ctx.sender))
    record = answer.institution
    if record is None:
        raise NotAnInstitution(
            f"{ctx.sender.hex()} is not a key of any registered institution; an endorsement "
            "is signed by a registered key of a court, notary office, forensic centre or CA"
        )
    if record.status != "active":
        raise InstitutionRevoked(
            f"institution {record.id!r} was revoked at height {record.revoked_height} "
            f"({record.revoke_reason or 'no reason given'}); it endorses nothing any more"
        )
    roles = [r for r in ENDORSING_ROLES if r in record.roles]
    if not roles:
        raise RoleMissing(
            f"institution {record.id!r} holds {', '.join(record.roles)}; endorsing takes one of "
            f"{', '.join(ENDORSING_ROLES)}"
        )
    return record.id, roles


def verify_not_endorsed(case: str, record: CaseRecord, institution: str) -> None:
    if institution in record.endorsers:
        raise AlreadyEndorsed(
            f"institution {institution!r} endorsed case {case!r} already; an institution "
            "endorses a case once, with any of its keys"
        )
    if len(record.endorsers) >= limits.endorsements_max:
        raise EndorsementsFull(
            f"case {case!r} holds {len(record.endorsers)} endorsements, the most a case may"
        )


# --- state changes --------------------------------------------------------------------------


def process_submit(view: TxView, ctx: TxContext, action: Submit) -> list[Event]:
    verify_case_id(action.case)
    verify_text("title", action.title, limits.title_bytes_max, required=True)
    verify_text("description", action.description, limits.description_bytes_max, required=False)
    verify_documents(action)
    verify_policy_shape(action)
    verify_not_submitted(view, action.case)
    verify_policy_institutions(view, ctx, action.institutions)
    digest = compute_case_digest(action, ctx.sender)
    record = CaseRecord(
        submitter=ctx.sender,
        title=action.title,
        description=action.description,
        documents=list(action.documents),
        required=action.required,
        roles=list(action.roles),
        institutions=list(action.institutions),
        digest=digest,
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        endorsers=[],
        met_height=0,
    )
    view.set(case_key(action.case), codec.encode(record))
    attributes = [("case", action.case), ("submitter", ctx.sender.hex()), ("digest", digest.hex())]
    return [Event(MODULE_NAME, "submitted", attributes)]


def process_endorse(view: TxView, ctx: TxContext, action: Endorse) -> list[Event]:
    size = compute_utf8_bytes(action.statement)
    if size > limits.statement_bytes_max:
        raise InvalidStatement(
            f"statement is {size} bytes of UTF-8; accepted 0 to {limits.statement_bytes_max}"
        )
    record = verify_case_known(view, action.case)
    if action.digest != record.digest:
        raise DigestMismatch(
            f"the endorsement names digest {action.digest.hex()}, case {action.case!r} has "
            f"{record.digest.hex()}: it would endorse other content"
        )
    institution, roles = verify_endorser(view, ctx)
    verify_not_endorsed(action.case, record, institution)
    endorsement = EndorsementRecord(
        institution, roles, ctx.sender, action.statement, ctx.height, ctx.time_ms, ctx.tx_hash
    )
    view.set(endorsement_key(action.case, institution), codec.encode(endorsement))
    endorsers = [
        Endorser(e.institution, e.roles) for e in get_endorsements(view, action.case, record)
    ] + [Endorser(institution, roles)]
    events = [
        Event(
            MODULE_NAME,
            "endorsed",
            [("case", action.case), ("institution", institution), ("signer", ctx.sender.hex())],
        )
    ]
    met_height = record.met_height
    if not met_height:
        met = count_met(get_policy_entries(record.roles, record.institutions), endorsers)
        if met >= record.required:
            met_height = ctx.height
            events.append(
                Event(MODULE_NAME, "policy_met", [("case", action.case), ("met", str(met))])
            )
    updated = msgspec.structs.replace(
        record, endorsers=[*record.endorsers, institution], met_height=met_height
    )
    view.set(case_key(action.case), codec.encode(updated))
    return events


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The evidence module's entry point: dispatch on the action type."""
    match action:
        case Submit():
            return process_submit(view, ctx, action)
        case Endorse():
            return process_endorse(view, ctx, action)
    raise AssertionError(f"evidence received a foreign action {type(action).__name__}")


__all__ = [
    "MODULE_NAME",
    "process",
    "process_endorse",
    "process_submit",
    "verify_case_id",
    "verify_documents",
    "verify_endorser",
    "verify_policy_shape",
]
