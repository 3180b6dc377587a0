"""The SDK's private-data calls, and the offline check of a disclosure file.

    submit_private(wallet, collection, record, content)  draws a 32-byte salt (secrets), signs
                                     private.record(collection, record, SHA-256(salt ||
                                     content)) and sends transaction, salt and content to the
                                     wallet's node (a node of the signer's organisation)
    get_private(client, c, r)        the content the node holds
    get_disclosure(client, c, r)     a disclosure file's bytes
    get_private_status(client)       the node's private-data counters
    verify_disclosure(data, root)    offline: the state proof verifies under the validators
                                     followed from the genesis file, it proves the record
                                     private.record(c, r) with a hash, and SHA-256(salt ||
                                     content) is that hash

What a verified disclosure proves: the chain (certified by > 2/3 of the validators) records
this hash for this record, submitted by that key of that institution at that height, and the
content given is the one the hash commits to. It does not prove the content is true, nor
that it is all the collection holds.
"""

from __future__ import annotations

import secrets
from typing import Any

import msgspec

from chainbook.api.private_views import (
    DISCLOSURE_FORMAT,
    DISCLOSURE_VERSION,
    DisclosureFile,
    PrivateContentView,
    PrivateStatusView,
    SubmitPrivateRequest,
    SubmitPrivateView,
)
from chainbook.api.proof_views import PROOF_FILE_BYTES_MAX
from chainbook.apps.private import limits
from chainbook.apps.private.actions import Record
from chainbook.apps.private.content import compute_record_hash
from chainbook.chain.tx import sign_tx
from chainbook.client.http import ApiError, Client, _decode
from chainbook.client.light import TrustRoot
from chainbook.client.verify import ProofError, verify_state_proof_file
from chainbook.client.wallet import NONCE_ERROR_CODES, Wallet

DISCLOSURE_FILE_BYTES_MAX = PROOF_FILE_BYTES_MAX + 2 * limits.content_bytes_max + 4096
"""A state proof file, the content and the salt in hex, and the envelope."""


class VerifiedDisclosure(msgspec.Struct, frozen=True):
    chain_id: str
    collection: str
    record: str
    content: bytes
    hash: bytes
    submitter: bytes
    institution: str
    height: int
    """The height of the block that recorded it."""
    proven_height: int
    """The state proven is the state after this block."""
    time_ms: int
    """The time of the header that certifies that state."""
    tx_hash: bytes


def draw_salt() -> bytes:
    """32 bytes from the operating system's cryptographic source."""
    return secrets.token_bytes(limits.salt_bytes)


def submit_private(
    wallet: Wallet,
    collection: str,
    record: str,
    content: bytes,
    *,
    salt: bytes | None = None,
    wait: bool = False,
    timeout_s: float = 10.0,
) -> SubmitPrivateView:
    """Record `content` privately in `collection` through the wallet's node."""
    salt = draw_salt() if salt is None else salt
    action = Record(collection, record, compute_record_hash(salt, content))
    nonce = wallet.next_nonce()
    tx = sign_tx(wallet.private_key, wallet.chain_id, nonce, action)
    body = SubmitPrivateRequest(tx=tx.hex(), salt=salt.hex(), content=content.hex())
    params: dict[str, Any] = {"wait": "true", "timeout": timeout_s} if wait else {}
    try:
        response = wallet.client._request(
            "POST", f"/private/{collection}/{record}", content=msgspec.json.encode(body),
            params=params, timeout=timeout_s + 5,
        )
    except ApiError as exc:
        if exc.code in NONCE_ERROR_CODES:
            wallet.forget_nonce()
        raise
    wallet._next_nonce = nonce + 1
    return _decode(response, SubmitPrivateView)


def get_private(client: Client, collection: str, record: str) -> PrivateContentView:
    return _decode(client._request("GET", f"/private/{collection}/{record}"), PrivateContentView)


def get_disclosure(client: Client, collection: str, record: str) -> bytes:
    return client._request("GET", f"/private/{collection}/{record}/disclosure").content


def get_private_status(client: Client) -> PrivateStatusView:
    return _decode(client._request("GET", "/private/status"), PrivateStatusView)


def _hex(field: str, text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ProofError(f"disclosure {field}: not hex") from None


def verify_disclosure(data: bytes, root: TrustRoot) -> VerifiedDisclosure:
    """What a disclosure file proves; ProofError naming the first check that fails."""
    if len(data) > DISCLOSURE_FILE_BYTES_MAX:
        raise ProofError(f"disclosure file of {len(data)} bytes, at most "
                         f"{DISCLOSURE_FILE_BYTES_MAX}")
    try:
        doc = msgspec.json.decode(data, type=DisclosureFile)
    except msgspec.DecodeError as exc:
        raise ProofError(f"not a disclosure file: {exc}") from None
    if doc.format != DISCLOSURE_FORMAT or doc.version != DISCLOSURE_VERSION:
        raise ProofError(f"format {doc.format!r} version {doc.version}: expected "
                         f"{DISCLOSURE_FORMAT!r} version {DISCLOSURE_VERSION}")
    proof = doc.proof
    expected = {"collection": doc.collection, "record": doc.record}
    if proof.module != "private" or proof.query != "recorded" or proof.request != expected:
        raise ProofError(
            f"the proof is of {proof.module}.{proof.query}({proof.request}), not of "
            f"private.recorded({expected})"
        )
    verified = verify_state_proof_file(proof, root)
    answer = verified.answer
    if not isinstance(answer, dict) or not answer.get("found"):
        raise ProofError(f"the chain holds no record {doc.record!r} in collection "
                         f"{doc.collection!r} at height {verified.height}")
    salt, content = _hex("salt", doc.salt), _hex("content", doc.content)
    record_hash = _hex("answer hash", str(answer["hash"]))
    if len(salt) != limits.salt_bytes:
        raise ProofError(f"salt of {len(salt)} bytes, a record's salt is {limits.salt_bytes}")
    if compute_record_hash(salt, content) != record_hash:
        raise ProofError(
            "the content is not the recorded one: SHA-256(salt || content) is "
            f"{compute_record_hash(salt, content).hex()}, the chain records {record_hash.hex()}"
        )
    return VerifiedDisclosure(
        chain_id=verified.chain_id,
        collection=doc.collection,
        record=doc.record,
        content=content,
        hash=record_hash,
        submitter=_hex("answer submitter", str(answer["submitter"])),
        institution=str(answer["institution"]),
        height=int(answer["height"]),
        proven_height=verified.height,
        time_ms=verified.time_ms,
        tx_hash=_hex("answer tx_hash", str(answer["tx_hash"])),
    )


__all__ = [
    "DISCLOSURE_FILE_BYTES_MAX",
    "VerifiedDisclosure",
    "draw_salt",
    "get_disclosure",
    "get_private",
    "get_private_status",
    "submit_private",
    "verify_disclosure",
]
