"""Offline check of a transaction receipt: is this transaction final on this chain?

Given the JSON of GET /txs/{hash} (or its TxView) and the validator set, and nothing else:

    verify_tx_hash       the tx bytes hash to the claimed hash
    verify_inclusion     the RFC 6962 audit path leads from the tx (leaf `index` of `tree_size`)
                         to the header's txs_root
    verify_header_hash   the header hashes to the claimed block hash
    verify_commit        > 2/3 of the validators' power signed precommits for that block hash

No node is trusted: a node that lies about any field fails one of the checks.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook import merkle
from chainbook.api.views import TxView, commit_from_view, header_from_view
from chainbook.chain.commit import verify_commit
from chainbook.chain.tx import tx_hash
from chainbook.chain.validators import ValidatorSet
from chainbook.chain.verify import compute_header_hash
from chainbook.errors import InvalidBlock


class ProofError(Exception):
    """A receipt's proof does not hold; the message says which check failed."""


def check_tx_proof(proof_json: dict[str, Any] | TxView | bytes, validators: ValidatorSet) -> None:
    """Raise ProofError naming the first check that fails; return when the tx is proven final."""
    view = _as_tx_view(proof_json)
    if view.proof is None:
        raise ProofError("the answer carries no proof")
    proof = view.proof
    try:
        tx = bytes.fromhex(view.tx)
        audit_path = [bytes.fromhex(h) for h in proof.audit_path]
        header = header_from_view(proof.header)
        commit = commit_from_view(proof.commit)
        claimed_block_hash = bytes.fromhex(proof.block_hash)
    except ValueError as exc:
        raise ProofError(f"a field is not valid hex: {exc}") from None
    if tx_hash(tx).hex() != view.hash:
        raise ProofError(f"tx bytes hash to {tx_hash(tx).hex()}, not {view.hash}")
    if proof.index != view.index or view.receipt.index != view.index:
        raise ProofError("the proof, the tx and the receipt disagree on the tx index")
    if proof.txs_root != proof.header.txs_root:
        raise ProofError("txs_root differs from the header's txs_root")
    if not merkle.verify_inclusion(tx, proof.index, proof.tree_size, audit_path, header.txs_root):
        raise ProofError("the audit path does not lead from the tx to the header's txs_root")
    if proof.tree_size != header.tx_count:
        raise ProofError(f"tree_size {proof.tree_size} differs from tx_count {header.tx_count}")
    block_hash = compute_header_hash(header)
    if block_hash != claimed_block_hash:
        raise ProofError(f"header hashes to {block_hash.hex()}, not {proof.block_hash}")
    if header.height != view.height:
        raise ProofError(f"header is at height {header.height}, the tx claims {view.height}")
    try:
        verify_commit(header.chain_id, validators, commit, header.height, block_hash)
    except InvalidBlock as exc:
        raise ProofError(f"commit certificate: {exc}") from None


def verify_tx_proof(proof_json: dict[str, Any] | TxView | bytes, validators: ValidatorSet) -> bool:
    """True when the receipt's proof shows the transaction final under `validators`."""
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


__all__ = ["ProofError", "check_tx_proof", "verify_tx_proof"]
