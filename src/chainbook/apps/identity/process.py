"""identity state transitions: registered authorities issue credentials and revoke them.

Rules kept (state layout and types in apps/identity/state.py; the commitment in
apps/identity/commitment.py):
- A credential is a 32-byte commitment to a document, bound to a subject (an address, or a
  32-byte hash of an identifier the issuer chooses) in a credential type from a closed set.
  The chain holds the commitment, type, subject, issuer, heights; never the document, never
  the salt.
- Who issues: the sender must be a key of an institution that governance's registry
  (apps/institutions.py, asked through the `institution` export on this block's state) holds
  as active in the role the type names. Unregistered, revoked, or registered in another role
  is refused (identity.not_authorised), naming which.
- A commitment is issued once (identity.already_issued names the first): a credential has one
  issuer and one history.
- Validity: `valid_until_height` 0 (no end) or in (this height, this height +
  validity_blocks_max].
- Who revokes: a key of the institution that issued it (its id is recorded, so a rotated key
  of the same institution may revoke), while that institution is not revoked itself; with a
  reason (1..reason_bytes_max bytes). Revocation is final (identity.already_revoked).
- An authority revoked by governance issues and revokes nothing more. The credentials it
  issued before stay as they were (valid unless the issuer revoked them), as certificates a
  CA signed before its revocation stay valid until they are revoked or expire: revoking a
  registry does not unmake the births it recorded. A verifier who wants to distrust them
  reads the issuer's standing, which every answer reports beside the status (issuer_status,
  issuer_revoked_height), and a credential issued at or after that height cannot exist.
- Every refusal raises before any write.
- Events: `identity.issued` (commitment, kind, subject, issuer id: the issuer is what the
  transaction does not state) and `identity.revoked` (commitment, issuer, reason).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, TxContext, TxView
from chainbook.apps.identity import limits
from chainbook.apps.identity.actions import Issue, Revoke
from chainbook.apps.identity.errors import (
    AlreadyIssued,
    AlreadyRevoked,
    InvalidReason,
    InvalidSubject,
    InvalidType,
    InvalidValidity,
    NotAuthorised,
    NotIssuer,
    UnknownCredential,
)
from chainbook.apps.identity.genesis import IdentityGenesis
from chainbook.apps.identity.state import (
    CREDENTIAL_TYPES,
    CredentialRecord,
    credential_key,
    describe_types,
    get_credential,
)
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.ledger.receipts import Event
from chainbook.types import Hash, Height

MODULE_NAME = "identity"


# --- checks ---------------------------------------------------------------------------------


def verify_type(type_: str) -> str:
    """The role the type needs."""
    role = CREDENTIAL_TYPES.get(type_)
    if role is None:
        raise InvalidType(f"credential kind {type_!r}; accepted: {describe_types()}")
    return role


def verify_subject(subject: bytes) -> None:
    if len(subject) not in limits.subject_bytes:
        raise InvalidSubject(
            f"subject of {len(subject)} bytes; accepted 20 (an address) or 32 (a hash of an "
            "identifier)"
        )


def verify_validity(valid_until_height: Height, height: Height) -> None:
    if valid_until_height == 0:
        return
    last = height + limits.validity_blocks_max
    if not height < valid_until_height <= last:
        raise InvalidValidity(
            f"valid_until_height {valid_until_height}: accepted 0 (no end) or {height + 1} to "
            f"{last} (this block is {height}; at most {limits.validity_blocks_max} heights)"
        )


def describe_refusal(answer: InstitutionAnswer, sender: bytes, role: str) -> str:
    institution = answer.institution
    if institution is None:
        return f"{sender.hex()} is not a key of any registered institution"
    if institution.status != "active":
        return (
            f"institution {institution.id!r} was revoked at height {institution.revoked_height}"
            f" ({institution.revoke_reason or 'no reason given'})"
        )
    return f"institution {institution.id!r} holds roles {', '.join(institution.roles)}, not {role}"


def verify_issuer(view: TxView, ctx: TxContext, type_: str, role: str) -> str:
    """The issuing institution's id; NotAuthorised unless the sender may issue `type_`."""
    request = InstitutionRequest(address=ctx.sender, role=role)
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    if not answer.authorised or answer.institution is None:
        raise NotAuthorised(
            f"a {type_!r} credential is issued by an active {role} institution: "
            f"{describe_refusal(answer, ctx.sender, role)}"
        )
    return answer.institution.id


def verify_not_issued(view: KVReader, commitment: Hash) -> None:
    first = get_credential(view, commitment)
    if first is not None:
        raise AlreadyIssued(
            f"credential {commitment.hex()} was issued by {first.issuer!r} at height "
            f"{first.issued_height}; a commitment is issued once (a new credential of the same "
            "document takes a new salt)"
        )


def verify_exists(view: KVReader, commitment: Hash) -> CredentialRecord:
    record = get_credential(view, commitment)
    if record is None:
        raise UnknownCredential(f"no credential {commitment.hex()}")
    return record


def verify_reason(reason: str) -> None:
    size = len(reason.encode())
    if not 1 <= size <= limits.reason_bytes_max:
        raise InvalidReason(
            f"reason is {size} bytes of UTF-8; accepted 1 to {limits.reason_bytes_max}"
        )


def verify_revoker(view: TxView, ctx: TxContext, record: CredentialRecord) -> None:
    answer: InstitutionAnswer = view.call(
        "governance", "institution", ctx, InstitutionRequest(address=ctx.sender)
    )
    institution = answer.institution
    if institution is None or institution.id != record.issuer:
        who = "no institution" if institution is None else f"institution {institution.id!r}"
        raise NotIssuer(
            f"credential issued by {record.issuer!r}; {ctx.sender.hex()} is a key of {who}: "
            "only the issuer revokes"
        )
    if not answer.authorised:
        raise NotAuthorised(
            f"institution {institution.id!r} was revoked at height {institution.revoked_height}"
            ": a revoked authority revokes nothing"
        )


# --- state changes --------------------------------------------------------------------------


def process_issue(view: TxView, ctx: TxContext, action: Issue) -> list[Event]:
    role = verify_type(action.kind)
    verify_subject(action.subject)
    verify_validity(action.valid_until_height, ctx.height)
    issuer = verify_issuer(view, ctx, action.kind, role)
    verify_not_issued(view, action.commitment)
    record = CredentialRecord(
        kind=action.kind,
        subject=action.subject,
        issuer=issuer,
        signer=ctx.sender,
        issued_height=ctx.height,
        issued_time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        valid_until_height=action.valid_until_height,
    )
    view.set(credential_key(action.commitment), codec.encode(record))
    return [
        Event(
            MODULE_NAME,
            "issued",
            [
                ("commitment", action.commitment.hex()),
                ("kind", action.kind),
                ("subject", action.subject.hex()),
                ("issuer", issuer),
            ],
        )
    ]


def process_revoke(view: TxView, ctx: TxContext, action: Revoke) -> list[Event]:
    verify_reason(action.reason)
    record = verify_exists(view, action.commitment)
    if record.revoked_height:
        raise AlreadyRevoked(
            f"credential {action.commitment.hex()} was revoked at height "
            f"{record.revoked_height} ({record.revoke_reason}); revocation is final"
        )
    verify_revoker(view, ctx, record)
    revoked = msgspec.structs.replace(
        record, revoked_height=ctx.height, revoke_reason=action.reason, revoked_by=ctx.sender
    )
    view.set(credential_key(action.commitment), codec.encode(revoked))
    return [
        Event(
            MODULE_NAME,
            "revoked",
            [
                ("commitment", action.commitment.hex()),
                ("issuer", record.issuer),
                ("reason", action.reason),
            ],
        )
    ]


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The identity module's entry point: dispatch on the action type."""
    match action:
        case Issue():
            return process_issue(view, ctx, action)
        case Revoke():
            return process_revoke(view, ctx, action)
    raise AssertionError(f"identity received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: IdentityGenesis) -> None:
    """The genesis hook: write the imported credentials (checked by verify_identity_genesis)."""
    for entry in section.credentials:
        record = CredentialRecord(
            kind=entry.kind,
            subject=bytes.fromhex(entry.subject),
            issuer=entry.issuer,
            signer=b"",
            issued_height=0,
            issued_time_ms=entry.issued_time_ms,
            tx_hash=b"",
            valid_until_height=entry.valid_until_height,
        )
        view.set(credential_key(bytes.fromhex(entry.commitment)), codec.encode(record))


# --- invariants (asserted at every commit) --------------------------------------------------


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    """A credential is never deleted; only its revocation fields change, once, from unrevoked
    to revoked at a height not below its issuance."""
    for key in changed_keys:
        raw = after.get(key)
        assert raw is not None, f"identity key deleted: {key!r}"
        record = codec.decode(raw, CredentialRecord)
        assert record.kind in CREDENTIAL_TYPES, record
        if record.revoked_height:
            assert record.revoked_height >= record.issued_height, record
            assert record.revoke_reason, record
        old_raw = before.get(key)
        if old_raw is None:
            continue
        old = codec.decode(old_raw, CredentialRecord)
        assert not old.revoked_height, f"a revoked credential changed: {old} -> {record}"
        assert record.revoked_height, f"a credential changed without a revocation: {record}"
        unrevoked = msgspec.structs.replace(
            record, revoked_height=0, revoke_reason="", revoked_by=b""
        )
        assert unrevoked == old, f"a revocation changed more than itself: {old} -> {record}"


__all__ = [
    "MODULE_NAME",
    "assert_invariants",
    "process",
    "process_genesis",
    "process_issue",
    "process_revoke",
    "verify_issuer",
    "verify_not_issued",
    "verify_reason",
    "verify_subject",
    "verify_type",
    "verify_validity",
]
