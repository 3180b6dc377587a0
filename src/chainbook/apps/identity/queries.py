"""identity queries: read-only, over the committed state.

    credential(commitment, height)   a credential's status at a height ("valid", "revoked",
                                     "expired", "unknown"), its record, and its issuer's
                                     standing at that height

`height` 0 asks about the state the query runs on (with ?prove=true: the state the proof
proves); a height up to that one asks about the past, answered from the record's heights (a
record keeps its issue and revocation heights, so no older state is needed). A later height
is refused: the chain does not know it yet.

The answer reads the credential's key and, through governance's `institution` query, the
issuer's record, so a state proof of it proves both: a verifier holding the proof file and
the genesis file learns offline whether the credential stood at that height and whether its
issuer did. Status and issuer standing are reported apart: a credential issued before its
authority was revoked stays valid (apps/identity/process.py says why), and it is the
verifier's call whether a revoked issuer's older credentials still convince.
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.fields import RecordNotFound
from chainbook.apps.identity.actions import HashBytes, UInt
from chainbook.apps.identity.state import compute_status, get_credential
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.types import Address, Hash, Height, TimeMs


class CredentialRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    commitment: HashBytes
    height: UInt = 0
    """The height asked about; 0: the state's own."""


class CredentialInfo(msgspec.Struct, frozen=True):
    commitment: Hash
    height: Height
    """The height the status is for."""
    status: str
    """"valid", "revoked", "expired" or "unknown" (never issued, or not yet at `height`)."""
    found: bool
    """The chain holds a credential with this commitment (issued at any height)."""
    kind: str = ""
    subject: bytes = b""
    issuer: str = ""
    """The issuing institution's id."""
    issuer_name: str = ""
    issuer_status: str = ""
    """The issuer at `height`: "active", "revoked", or "unknown" (not in the registry)."""
    issuer_revoked_height: Height = 0
    signer: Address = b""
    issued_height: Height = 0
    issued_time_ms: TimeMs = 0
    tx_hash: Hash = b""
    valid_until_height: Height = 0
    revoked_height: Height = 0
    """0 unless revoked at or before `height`."""
    revoke_reason: str = ""


def describe_issuer(answer: InstitutionAnswer, height: Height) -> tuple[str, str, Height]:
    """(status, name, revoked height) of the issuer at `height`."""
    institution = answer.institution
    if institution is None or institution.registered_height > height:
        return "unknown", "", 0
    if institution.revoked_height and institution.revoked_height <= height:
        return "revoked", institution.name, institution.revoked_height
    return "active", institution.name, 0


def query_credential(ctx: QueryContext, request: CredentialRequest) -> CredentialInfo:
    """A credential's status at a height (valid, revoked, expired, unknown) and its issuer's."""
    height = request.height or ctx.height
    if height > ctx.height:
        raise RecordNotFound(
            f"height: {height} is after the state's height {ctx.height}; ask 0 (now) or a past "
            "height"
        )
    record = get_credential(ctx.view, request.commitment)
    status = compute_status(record, height)
    if record is None:
        return CredentialInfo(request.commitment, height, status, found=False)
    answer = ctx.ask("governance", "institution", InstitutionRequest(id=record.issuer))
    issuer_status, issuer_name, issuer_revoked = describe_issuer(answer, height)
    revoked = record.revoked_height if status == "revoked" else 0
    return CredentialInfo(
        commitment=request.commitment,
        height=height,
        status=status,
        found=True,
        kind=record.kind,
        subject=record.subject,
        issuer=record.issuer,
        issuer_name=issuer_name,
        issuer_status=issuer_status,
        issuer_revoked_height=issuer_revoked,
        signer=record.signer,
        issued_height=record.issued_height,
        issued_time_ms=record.issued_time_ms,
        tx_hash=record.tx_hash,
        valid_until_height=record.valid_until_height,
        revoked_height=revoked,
        revoke_reason=record.revoke_reason if revoked else "",
    )


QUERIES = (Query("credential", CredentialRequest, CredentialInfo, query_credential),)

__all__ = ["QUERIES", "CredentialInfo", "CredentialRequest", "query_credential"]
