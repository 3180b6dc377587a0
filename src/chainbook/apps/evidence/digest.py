"""The digest of a case file: what an endorsement signs, and what a judge recomputes.

    digest = SHA-256("chainbook/evidence-case/v1" 0x00 ||
                     canonical MessagePack [case, submitter (20 bytes), title, description,
                                            [[name, hash], ...], required, roles,
                                            institutions])

It covers everything the submitter stated and who submitted it, so an endorsement (a
transaction naming this digest, signed by the institution's key) is a signature over exactly
that case file; the offline verifier of an evidence package recomputes it from the submission
transaction (cli/evidence.py).
"""

from __future__ import annotations

import hashlib

from chainbook import codec
from chainbook.apps.evidence.actions import Submit
from chainbook.types import Address, Hash

CASE_DIGEST_TAG = b"chainbook/evidence-case/v1\x00"


def compute_case_digest(action: Submit, submitter: Address) -> Hash:
    body = [
        action.case,
        submitter,
        action.title,
        action.description,
        [[d.name, d.hash] for d in action.documents],
        action.required,
        list(action.roles),
        list(action.institutions),
    ]
    return hashlib.sha256(CASE_DIGEST_TAG + codec.encode(body)).digest()


__all__ = ["CASE_DIGEST_TAG", "compute_case_digest"]
