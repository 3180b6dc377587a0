"""Offline checks of receipts and state proofs: what a record proves, without trusting a node.

Given a proof document (api/proof_views.py) and the trust root of the genesis file (its chain
id and validators), and nothing else:

    verify_receipt_file      the tx is leaf `index` of the header's txs_root (RFC 6962 audit
                             path), its receipt (ok, code, error, events) is leaf `index` of the
                             header's receipts_root, the tx's signature holds, the validator set
                             in force at the height is reached hop by hop from genesis
                             (client/light.py), and > 2/3 of its power signed the header
    verify_state_proof_file  each key the query read is proven (value or absence) under the
                             app_hash of the header at height + 1, that header is certified as
                             above, and the query re-run over the proven keys alone gives the
                             answer the document states

`check_tx_proof` checks the JSON of GET /txs/{hash} the same way (inclusion and outcome) under a
validator set the caller trusts. Every failure is a ProofError naming the check and the values;
bad input (malformed, truncated, oversize, wrong format) is a ProofError too, never a traceback.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook import codec, merkle
from chainbook.api.proof_views import (
    AUDIT_PATH_HASHES_MAX,
    PROOF_FILE_BYTES_MAX,
    PROOF_VERSION,
    RECEIPT_FORMAT,
    STATE_PROOF_ENTRIES_MAX,
    STATE_PROOF_FORMAT,
    ReceiptFile,
    StateProofFile,
)
from chainbook.api.views import TxView, commit_from_view, header_from_view
from chainbook.apps.fields import InvalidField, build_from_text, to_json_value
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.block import compute_header_hash
from chainbook.chain.commit import verify_commit
from chainbook.chain.genesis import Genesis
from chainbook.chain.tx import tx_hash, verify_tx
from chainbook.chain.validators import ValidatorSet
from chainbook.client.light import (
    ProofError,
    TrustRoot,
    decode_commit,
    decode_header,
    decode_hex,
    verify_certified_header,
    verify_validator_changes,
)
from chainbook.errors import DecodeError, InvalidBlock, InvalidInput
from chainbook.ledger.proven_query import rerun_query
from chainbook.ledger.queries import find_query
from chainbook.ledger.receipts import Event
from chainbook.ledger.state_tree import InvalidStateProof, StateProof, verify_state_proof
from chainbook.types import Hash


class ReceiptLeaf(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """A receipt as the receipts tree holds it (ledger/receipts.py)."""

    tx_hash: Hash
    ok: bool
    code: str
    error: str
    events: list[Event]


class VerifiedReceipt(msgspec.Struct, frozen=True):
    """What a receipt file proves, every field checked."""

    chain_id: str
    height: int
    time_ms: int
    block_hash: Hash
    index: int
    tx_hash: Hash
    sender: bytes
    nonce: int
    action: dict[str, Any]
    """The decoded action as JSON (its "type" is the action tag)."""
    ok: bool
    code: str
    error: str
    events: list[Event]
    validator_changes: int
    """How many validator-set changes were followed from the genesis set."""


class VerifiedState(msgspec.Struct, frozen=True):
    """What a state proof file proves, every field checked."""

    chain_id: str
    module: str
    query: str
    request: dict[str, Any]
    answer: Any
    """The answer recomputed from the proven keys (JSON form)."""
    height: int
    """The state proven is the one after this block."""
    header_height: int
    time_ms: int
    """The time of the header that commits to it."""
    entries: list[tuple[bytes, bytes | None]]
    validator_changes: int


def trust_root_from_genesis(genesis: Genesis, source: str = "the genesis file") -> TrustRoot:
    return TrustRoot(
        chain_id=genesis.chain_id,
        validators=list(genesis.validator_set.validators),
        source=source,
    )


# --- documents ------------------------------------------------------------------------------


def load_proof_document(data: bytes) -> ReceiptFile | StateProofFile:
    """Decode a receipt file or a state proof file; ProofError naming what is wrong."""
    if len(data) > PROOF_FILE_BYTES_MAX:
        raise ProofError(
            f"proof document of {len(data)} bytes, at most {PROOF_FILE_BYTES_MAX} accepted"
        )
    try:
        head = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ProofError(f"not a proof document (malformed or truncated JSON): {exc}") from None
    if not isinstance(head, dict):
        raise ProofError("not a proof document: a JSON object is expected")
    kind, version = head.get("format"), head.get("version")
    types: dict[str, type[ReceiptFile] | type[StateProofFile]] = {
        RECEIPT_FORMAT: ReceiptFile,
        STATE_PROOF_FORMAT: StateProofFile,
    }
    if kind not in types:
        raise ProofError(f"unknown format {kind!r}; accepted: {', '.join(sorted(types))}")
    if version != PROOF_VERSION:
        raise ProofError(f"{kind} version {version!r}; this verifier reads version {PROOF_VERSION}")
    try:
        return msgspec.convert(head, types[kind])
    except msgspec.ValidationError as exc:
        raise ProofError(f"{kind}: {exc}") from None


def _as_document(
    doc: ReceiptFile | StateProofFile | bytes, expected: type[ReceiptFile] | type[StateProofFile]
) -> Any:
    if isinstance(doc, bytes):
        doc = load_proof_document(doc)
    if not isinstance(doc, expected):
        raise ProofError(f"expected a {expected.__name__}, got a {type(doc).__name__}")
    if doc.format != (RECEIPT_FORMAT if expected is ReceiptFile else STATE_PROOF_FORMAT):
        raise ProofError(f"format {doc.format!r} is not that of a {expected.__name__}")
    if doc.version != PROOF_VERSION:
        raise ProofError(f"version {doc.version}; this verifier reads version {PROOF_VERSION}")
    return doc


def _audit_path(field: str, path: list[str]) -> list[Hash]:
    if len(path) > AUDIT_PATH_HASHES_MAX:
        raise ProofError(f"{field}: {len(path)} hashes, at most {AUDIT_PATH_HASHES_MAX}")
    hashes = [decode_hex(field, h, 64) for h in path]
    if any(len(h) != 32 for h in hashes):
        raise ProofError(f"{field}: every hash must be 32 bytes")
    return hashes


# --- receipts -------------------------------------------------------------------------------


def verify_receipt_file(
    doc: ReceiptFile | bytes, root: TrustRoot, registry: Registry = REGISTRY
) -> VerifiedReceipt:
    """What the receipt proves; ProofError naming the first check that fails."""
    receipt_file: ReceiptFile = _as_document(doc, ReceiptFile)
    if receipt_file.chain_id != root.chain_id:
        raise ProofError(
            f"receipt of chain {receipt_file.chain_id!r}, {root.source} is of {root.chain_id!r}"
        )
    header = decode_header("header", receipt_file.header)
    commit = decode_commit("commit", receipt_file.commit)
    tx = decode_hex("tx", receipt_file.tx)
    index = receipt_file.index
    if header.height != receipt_file.height:
        raise ProofError(f"the header is at height {header.height}, the receipt says "
                         f"{receipt_file.height}")
    if not 0 <= index < header.tx_count:
        raise ProofError(f"index {index} outside a block of {header.tx_count} txs")
    tx_path = _audit_path("tx_path", receipt_file.tx_path)
    if not merkle.verify_inclusion(tx, index, header.tx_count, tx_path, header.txs_root):
        raise ProofError("the tx audit path does not lead from the tx to the header's txs_root")
    leaf_bytes = decode_hex("receipt", receipt_file.receipt)
    receipt_path = _audit_path("receipt_path", receipt_file.receipt_path)
    if not merkle.verify_inclusion(
        leaf_bytes, index, header.tx_count, receipt_path, header.receipts_root
    ):
        raise ProofError(
            "the receipt audit path does not lead from the receipt to the header's "
            "receipts_root: the outcome, error or events were changed"
        )
    try:
        leaf = codec.decode_canonical(leaf_bytes, ReceiptLeaf)
    except DecodeError as exc:
        raise ProofError(f"receipt: {exc}") from None
    hash_ = tx_hash(tx)
    if leaf.tx_hash != hash_:
        raise ProofError(f"the receipt is for tx {leaf.tx_hash.hex()}, the tx is {hash_.hex()}")
    try:
        decoded = verify_tx(root.chain_id, tx)
    except InvalidInput as exc:
        raise ProofError(f"tx: {exc}") from None
    validators = verify_validator_changes(root, receipt_file.validator_changes, header.height)
    verify_certified_header("header", root.chain_id, validators, header, commit)
    return VerifiedReceipt(
        chain_id=root.chain_id,
        height=header.height,
        time_ms=header.time_ms,
        block_hash=compute_header_hash(header),
        index=index,
        tx_hash=hash_,
        sender=decoded.sender,
        nonce=decoded.nonce,
        action=_describe_action(registry, decoded.action_bytes),
        ok=leaf.ok,
        code=leaf.code,
        error=leaf.error,
        events=leaf.events,
        validator_changes=len(receipt_file.validator_changes),
    )


def _describe_action(registry: Registry, action_bytes: bytes) -> dict[str, Any]:
    try:
        value = to_json_value(registry.decode_action(action_bytes))
    except InvalidInput as exc:  # proven included, but not an action this verifier knows
        return {"type": "unknown", "reason": str(exc), "bytes": action_bytes.hex()}
    assert isinstance(value, dict)
    return value


# --- state proofs ---------------------------------------------------------------------------


def verify_state_proof_file(
    doc: StateProofFile | bytes, root: TrustRoot, registry: Registry = REGISTRY
) -> VerifiedState:
    """What the state proof proves; ProofError naming the first check that fails."""
    proof_file: StateProofFile = _as_document(doc, StateProofFile)
    if proof_file.chain_id != root.chain_id:
        raise ProofError(
            f"state proof of chain {proof_file.chain_id!r}, {root.source} is of "
            f"{root.chain_id!r}"
        )
    header = decode_header("header", proof_file.header)
    commit = decode_commit("commit", proof_file.commit)
    if header.height != proof_file.height + 1:
        raise ProofError(
            f"the state after block {proof_file.height} is committed to by header "
            f"{proof_file.height + 1}, the document carries header {header.height}"
        )
    if len(proof_file.entries) > STATE_PROOF_ENTRIES_MAX:
        raise ProofError(
            f"{len(proof_file.entries)} proven keys, at most {STATE_PROOF_ENTRIES_MAX}"
        )
    values: dict[bytes, bytes | None] = {}
    for number, entry in enumerate(proof_file.entries):
        field = f"entry {number}"
        key = decode_hex(f"{field} key", entry.key)
        try:
            proof = codec.decode_canonical(decode_hex(f"{field} proof", entry.proof), StateProof)
        except DecodeError as exc:
            raise ProofError(f"{field} proof: {exc}") from None
        if proof.key != key:
            raise ProofError(f"{field}: the proof is of key {proof.key.hex()}, not {key.hex()}")
        try:
            values[key] = verify_state_proof(proof, header.app_hash)
        except InvalidStateProof as exc:
            raise ProofError(f"{field}: {exc}") from None
    validators = verify_validator_changes(root, proof_file.validator_changes, header.height)
    verify_certified_header("header", root.chain_id, validators, header, commit)
    answer = _rerun(registry, proof_file, values)
    if answer != proof_file.answer:
        raise ProofError(
            f"the answer {proof_file.answer!r} is not what the proven state gives: {answer!r}"
        )
    return VerifiedState(
        chain_id=root.chain_id,
        module=proof_file.module,
        query=proof_file.query,
        request=proof_file.request,
        answer=answer,
        height=proof_file.height,
        header_height=header.height,
        time_ms=header.time_ms,
        entries=list(values.items()),
        validator_changes=len(proof_file.validator_changes),
    )


def _rerun(registry: Registry, doc: StateProofFile, values: dict[bytes, bytes | None]) -> Any:
    try:
        query = find_query(registry, doc.module, doc.query)
        params = {str(k): str(v) for k, v in doc.request.items()}
        request = build_from_text(query.request, params)
        return to_json_value(
            rerun_query(values, doc.height, registry, doc.module, doc.query, request)
        )
    except (InvalidInput, InvalidField) as exc:
        raise ProofError(f"{doc.module}.{doc.query}: {exc}") from None


# --- GET /txs/{hash} ------------------------------------------------------------------------


def check_tx_proof(proof_json: dict[str, Any] | TxView | bytes, validators: ValidatorSet) -> None:
    """Raise ProofError naming the first check that fails; return when the tx and its outcome
    are proven final under `validators` (a set the caller trusts for that height)."""
    view = _as_tx_view(proof_json)
    if view.proof is None:
        raise ProofError("the answer carries no proof")
    proof = view.proof
    try:
        tx = bytes.fromhex(view.tx)
        header = header_from_view(proof.header)
        commit = commit_from_view(proof.commit)
        claimed_block_hash = bytes.fromhex(proof.block_hash)
    except ValueError as exc:
        raise ProofError(f"a field is not valid hex: {exc}") from None
    audit_path = _audit_path("audit_path", proof.audit_path)
    receipt_path = _audit_path("receipt_path", proof.receipt_path)
    if tx_hash(tx).hex() != view.hash:
        raise ProofError(f"tx bytes hash to {tx_hash(tx).hex()}, not {view.hash}")
    if proof.index != view.index or view.receipt.index != view.index:
        raise ProofError("the proof, the tx and the receipt disagree on the tx index")
    if proof.txs_root != proof.header.txs_root:
        raise ProofError("txs_root differs from the header's txs_root")
    if proof.tree_size != header.tx_count:
        raise ProofError(f"tree_size {proof.tree_size} differs from tx_count {header.tx_count}")
    if not merkle.verify_inclusion(tx, proof.index, proof.tree_size, audit_path, header.txs_root):
        raise ProofError("the audit path does not lead from the tx to the header's txs_root")
    receipt = view.receipt
    leaf = ReceiptLeaf(
        tx_hash=tx_hash(tx),
        ok=receipt.ok,
        code=receipt.code,
        error=receipt.error,
        events=[Event(e.module, e.kind, list(e.attributes)) for e in receipt.events],
    )
    if not merkle.verify_inclusion(
        codec.encode(leaf), proof.index, proof.tree_size, receipt_path, header.receipts_root
    ):
        raise ProofError(
            "the receipt (ok, code, error, events) is not the one the header's receipts_root "
            "commits to"
        )
    block_hash = compute_header_hash(header)
    if block_hash != claimed_block_hash:
        raise ProofError(f"header hashes to {block_hash.hex()}, not {proof.block_hash}")
    if header.height != view.height or receipt.height != view.height:
        raise ProofError(f"header is at height {header.height}, the tx claims {view.height}")
    try:
        verify_commit(header.chain_id, validators, commit, header.height, block_hash)
    except InvalidBlock as exc:
        raise ProofError(f"commit certificate: {exc}") from None


def verify_tx_proof(proof_json: dict[str, Any] | TxView | bytes, validators: ValidatorSet) -> bool:
    """True when the receipt's proof shows the transaction and its outcome final."""
    try:
        check_tx_proof(proof_json, validators)
    except ProofError:
        return False
    return True


def _as_tx_view(proof_json: dict[str, Any] | TxView | bytes) -> TxView:
    try:
        if isinstance(proof_json, TxView):
            return proof_json
        if isinstance(proof_json, bytes | str):
            return msgspec.json.decode(proof_json, type=TxView)
        return msgspec.convert(proof_json, TxView)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ProofError(f"not a transaction proof: {exc}") from None


__all__ = [
    "ProofError",
    "ReceiptLeaf",
    "TrustRoot",
    "VerifiedReceipt",
    "VerifiedState",
    "check_tx_proof",
    "load_proof_document",
    "trust_root_from_genesis",
    "verify_receipt_file",
    "verify_state_proof_file",
    "verify_tx_proof",
]
