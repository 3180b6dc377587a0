"""Blocks and headers.

A header commits to everything a verifier needs: the previous block (hash chain), the commit
certificate of the previous block (last_commit_hash), the transactions (RFC 6962 txs_root), the
outcome of every transaction (RFC 6962 receipts_root, ledger/receipts.py), the whole ledger state
after the PREVIOUS block (app_hash, the root of the state tree, ledger/state_tree.py), the
validator sets, the proposer and the evidence of equivocation the block carries
(evidence_hash, chain/evidence.py). The block hash is SHA-256 of the canonical encoding of the
header, so changing any transaction, outcome, piece of evidence or stored state changes the
hash and breaks the chain.

app_hash lags one block, as CometBFT's: the state tree is updated in one batch after a block
is decided (during the commit timeout), not while the block is proposed and voted on, so the
proposer never waits for it. Hence the state after block H is proven against header H + 1;
the receipts of block H are proven against header H itself (execution is immediate).

Height 1's prev_block_hash is the genesis hash, which binds the whole chain to its genesis file.
"""

from __future__ import annotations

from functools import cached_property

import msgspec

from chainbook import codec, merkle
from chainbook.chain.commit import Commit
from chainbook.chain.evidence import DuplicateVoteEvidence
from chainbook.chain.tx import tx_hash
from chainbook.crypto import sha256
from chainbook.types import Address, Hash, Height, TimeMs


class Header(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, dict=True
):
    chain_id: str
    height: Height
    time_ms: TimeMs
    prev_block_hash: Hash
    last_commit_hash: Hash
    txs_root: Hash
    tx_count: int
    receipts_root: Hash
    """RFC 6962 root over the receipts of this block's txs (ledger/receipts.py)."""
    app_hash: Hash
    """The state tree root after block height - 1 (after genesis for height 1)."""
    validators_hash: Hash
    next_validators_hash: Hash
    """The set of height + 1: what a light client follows from one header to the next."""
    proposer: Address
    evidence_hash: Hash
    """RFC 6962 root over the block's evidence (chain/evidence.py compute_evidence_hash)."""

    @cached_property
    def hash(self) -> Hash:
        return compute_header_hash(self)


def compute_header_hash(header: Header) -> Hash:
    """The block hash: SHA-256 of the header's canonical encoding (its fields in order)."""
    return sha256(codec.encode(header))


class Block(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, dict=True
):
    header: Header
    txs: list[bytes]
    last_commit: Commit | None
    """The commit certificate of the previous block (None only at height 1)."""
    evidence: list[DuplicateVoteEvidence] = []
    """Equivocations of validators seen at earlier heights (ledger/evidence.py decides which
    are acceptable). Always encoded, also when empty (the default is for constructors)."""

    @property
    def hash(self) -> Hash:
        return self.header.hash

    @property
    def height(self) -> Height:
        return self.header.height

    @cached_property
    def tx_hashes(self) -> list[Hash]:
        return [tx_hash(tx) for tx in self.txs]


def compute_txs_root(txs: list[bytes]) -> Hash:
    """RFC 6962 root over the transactions' encoded bytes (leaf = whole signed tx)."""
    return merkle.root(txs)


def compute_commit_hash(commit: Commit | None) -> Hash:
    return sha256(codec.encode(commit)) if commit is not None else merkle.EMPTY_ROOT


def encode_block(block: Block) -> bytes:
    return codec.encode(block)


def decode_block(data: bytes) -> Block:
    return codec.decode_canonical(data, Block)


__all__ = [
    "Block",
    "Header",
    "compute_commit_hash",
    "compute_header_hash",
    "compute_txs_root",
    "decode_block",
    "encode_block",
]
