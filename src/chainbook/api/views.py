"""The JSON shapes of the HTTP API, shared by the server (api/app.py) and the SDK (client/).

Rules: hashes, addresses, public keys, signatures and transaction bytes are lowercase hex
strings; amounts, heights and times are JSON integers (never floats); field names are the names
of the core (height, round, commit, receipt). The views are msgspec Structs so the same class
encodes on the server and decodes, strictly, in the client; this module imports no web
framework so the SDK stays light.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.api.service import TxLocation, TxProof, ValidatorView
from chainbook.apps.base import get_action_tag
from chainbook.apps.fields import to_json_value
from chainbook.apps.registry import Registry
from chainbook.chain.block import Block, Header
from chainbook.chain.commit import Commit, CommitSig
from chainbook.chain.tx import decode_tx, tx_hash
from chainbook.chain.verify import compute_header_hash
from chainbook.errors import InvalidInput
from chainbook.ledger.receipts import Event, Receipt


class View(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of every API view: strict both ways."""


# --- requests ---------------------------------------------------------------------------------


class SubmitTxRequest(View, frozen=True, forbid_unknown_fields=True):
    tx: str
    """Hex of the encoded SignedTx bytes (chain/tx.py, docs/PROTOCOL.md)."""


class SubmitBatchRequest(View, frozen=True, forbid_unknown_fields=True):
    txs: list[str]
    """Hex of each encoded SignedTx, at most limits.api_batch_txs_max."""


# --- responses --------------------------------------------------------------------------------


class ErrorView(View, frozen=True, forbid_unknown_fields=True):
    error: str
    """A stable machine-readable code (chainbook.errors codes, or invalid_request etc.)."""
    message: str


class EventView(View, frozen=True, forbid_unknown_fields=True):
    module: str
    kind: str
    attributes: list[tuple[str, str]]


class ReceiptView(View, frozen=True, forbid_unknown_fields=True):
    tx_hash: str
    height: int
    index: int
    ok: bool
    code: str
    """The refusal's stable code (`<module>.<reason>`), empty when ok."""
    error: str
    events: list[EventView]


class SubmitTxView(View, frozen=True, forbid_unknown_fields=True):
    hash: str
    status: str
    """"pending" (admitted to the mempool) or "committed" (final; receipt present)."""
    height: int | None = None
    index: int | None = None
    receipt: ReceiptView | None = None
    code: str | None = None
    """"already_known" (it was pending already) or "already_committed" (a retry of a final
    transaction; the receipt is its outcome); None for a first submission."""


class BatchItemView(View, frozen=True, forbid_unknown_fields=True):
    hash: str | None
    """The transaction's hash when admitted (or already pending); None when refused."""
    error: ErrorView | None = None


class SubmitBatchView(View, frozen=True, forbid_unknown_fields=True):
    results: list[BatchItemView]
    """One per submitted transaction, in order."""


class CommitSigView(View, frozen=True, forbid_unknown_fields=True):
    validator_index: int
    signature: str


class CommitView(View, frozen=True, forbid_unknown_fields=True):
    height: int
    round: int
    block_hash: str
    signatures: list[CommitSigView]


class HeaderView(View, frozen=True, forbid_unknown_fields=True):
    chain_id: str
    height: int
    time_ms: int
    prev_block_hash: str
    last_commit_hash: str
    txs_root: str
    tx_count: int
    receipts_root: str
    app_hash: str
    """The state root after the previous block (the state after height - 1)."""
    validators_hash: str
    next_validators_hash: str
    proposer: str
    evidence_hash: str


class BlockView(View, frozen=True, forbid_unknown_fields=True):
    hash: str
    header: HeaderView
    tx_hashes: list[str]
    last_commit: CommitView | None
    """The commit certificate of the previous block, as carried inside this block."""
    commit: CommitView | None
    """This block's own commit certificate (as seen by this node)."""


class TxProofView(View, frozen=True, forbid_unknown_fields=True):
    """What makes a receipt checkable offline: the tx is leaf `index` of a tree of `tree_size`
    leaves whose root is `header.txs_root`, its receipt leaf `index` of `header.receipts_root`;
    the header hashes to `block_hash`; `commit` is > 2/3 of the validators' precommits for
    `block_hash`. (GET /txs/{hash}/receipt is the same as a self-contained file.)"""

    index: int
    tree_size: int
    audit_path: list[str]
    receipt_path: list[str]
    """The receipt's audit path to header.receipts_root (leaf: ledger/receipts.py)."""
    txs_root: str
    block_hash: str
    header: HeaderView
    commit: CommitView


class DecodedTxView(View, frozen=True, forbid_unknown_fields=True):
    """A transaction's fields, decoded (its hex is beside it, `tx`)."""

    chain_id: str
    signer: str
    """The sender's address (40 hex)."""
    public_key: str
    nonce: int
    module: str
    action: str
    """"<module>.<action>"."""
    fields: dict[str, Any]
    """The action's fields as JSON (bytes as hex, integers as integers)."""


class TxView(View, frozen=True, forbid_unknown_fields=True):
    hash: str
    tx: str
    height: int
    index: int
    receipt: ReceiptView
    proof: TxProofView | None
    decoded: DecodedTxView | None = None
    """The transaction's fields (None if its action does not decode with this node's
    modules)."""


class ValidatorsView(View, frozen=True, forbid_unknown_fields=True):
    height: int
    power_total: int
    validators: list[ValidatorView]


# --- from core values to views -----------------------------------------------------------------


def view_event(event: Event) -> EventView:
    return EventView(
        module=event.module, kind=event.kind, attributes=[(k, v) for k, v in event.attributes]
    )


def view_receipt(receipt: Receipt) -> ReceiptView:
    return ReceiptView(
        tx_hash=receipt.tx_hash.hex(),
        height=receipt.height,
        index=receipt.index,
        ok=receipt.ok,
        code=receipt.code,
        error=receipt.error,
        events=[view_event(e) for e in receipt.events],
    )


def view_commit(commit: Commit) -> CommitView:
    return CommitView(
        height=commit.height,
        round=commit.round,
        block_hash=commit.block_hash.hex(),
        signatures=[
            CommitSigView(validator_index=s.validator_index, signature=s.signature.hex())
            for s in commit.signatures
        ],
    )


def view_header(header: Header) -> HeaderView:
    return HeaderView(
        chain_id=header.chain_id,
        height=header.height,
        time_ms=header.time_ms,
        prev_block_hash=header.prev_block_hash.hex(),
        last_commit_hash=header.last_commit_hash.hex(),
        txs_root=header.txs_root.hex(),
        tx_count=header.tx_count,
        receipts_root=header.receipts_root.hex(),
        app_hash=header.app_hash.hex(),
        validators_hash=header.validators_hash.hex(),
        next_validators_hash=header.next_validators_hash.hex(),
        proposer=header.proposer.hex(),
        evidence_hash=header.evidence_hash.hex(),
    )


def view_block(block: Block, commit: Commit | None) -> BlockView:
    return BlockView(
        hash=compute_header_hash(block.header).hex(),
        header=view_header(block.header),
        tx_hashes=[tx_hash(tx).hex() for tx in block.txs],
        last_commit=view_commit(block.last_commit) if block.last_commit is not None else None,
        commit=view_commit(commit) if commit is not None else None,
    )


def view_submitted(
    hash_: bytes, location: TxLocation | None, code: str | None = None
) -> SubmitTxView:
    if location is None:
        return SubmitTxView(hash=hash_.hex(), status="pending", code=code)
    return SubmitTxView(
        hash=hash_.hex(),
        status="committed",
        height=location.height,
        index=location.index,
        receipt=view_receipt(location.receipt),
        code=code,
    )


def view_proof(proof: TxProof) -> TxProofView:
    header = proof.block.header
    return TxProofView(
        index=proof.location.index,
        tree_size=proof.tree_size,
        audit_path=[h.hex() for h in proof.audit_path],
        receipt_path=[h.hex() for h in proof.receipt_path],
        txs_root=header.txs_root.hex(),
        block_hash=compute_header_hash(header).hex(),
        header=view_header(header),
        commit=view_commit(proof.commit),
    )


def view_decoded_tx(tx: bytes, registry: Registry) -> DecodedTxView | None:
    """The fields of a committed transaction; None if its action does not decode."""
    try:
        decoded = decode_tx(tx)
        action = registry.decode_action(decoded.action_bytes)
    except InvalidInput:
        return None
    fields = to_json_value(action)
    return DecodedTxView(
        chain_id=decoded.chain_id,
        signer=decoded.sender.hex(),
        public_key=decoded.public_keys[0].hex(),
        nonce=decoded.nonce,
        module=registry.module_for(action).name,
        action=get_action_tag(type(action)),
        fields={k: v for k, v in fields.items() if k != "type"},
    )


def view_tx(
    hash_: bytes,
    location: TxLocation,
    proof: TxProof | None,
    tx: bytes,
    registry: Registry | None = None,
) -> TxView:
    return TxView(
        decoded=view_decoded_tx(tx, registry) if registry is not None else None,
        hash=hash_.hex(),
        tx=tx.hex(),
        height=location.height,
        index=location.index,
        receipt=view_receipt(location.receipt),
        proof=view_proof(proof) if proof is not None else None,
    )


# --- from views back to core values (the offline verifier needs the exact header) --------------


def header_from_view(view: HeaderView) -> Header:
    """Rebuild the exact Header; raises ValueError on a field that is not valid hex."""
    return Header(
        chain_id=view.chain_id,
        height=view.height,
        time_ms=view.time_ms,
        prev_block_hash=bytes.fromhex(view.prev_block_hash),
        last_commit_hash=bytes.fromhex(view.last_commit_hash),
        txs_root=bytes.fromhex(view.txs_root),
        tx_count=view.tx_count,
        receipts_root=bytes.fromhex(view.receipts_root),
        app_hash=bytes.fromhex(view.app_hash),
        validators_hash=bytes.fromhex(view.validators_hash),
        next_validators_hash=bytes.fromhex(view.next_validators_hash),
        proposer=bytes.fromhex(view.proposer),
        evidence_hash=bytes.fromhex(view.evidence_hash),
    )


def commit_from_view(view: CommitView) -> Commit:
    return Commit(
        height=view.height,
        round=view.round,
        block_hash=bytes.fromhex(view.block_hash),
        signatures=[
            CommitSig(validator_index=s.validator_index, signature=bytes.fromhex(s.signature))
            for s in view.signatures
        ],
    )


__all__ = [
    "BlockView",
    "CommitSigView",
    "CommitView",
    "DecodedTxView",
    "ErrorView",
    "EventView",
    "HeaderView",
    "ReceiptView",
    "SubmitTxRequest",
    "SubmitTxView",
    "TxProofView",
    "TxView",
    "ValidatorsView",
    "View",
    "commit_from_view",
    "header_from_view",
    "view_block",
    "view_commit",
    "view_decoded_tx",
    "view_header",
    "view_proof",
    "view_receipt",
    "view_submitted",
    "view_tx",
]
