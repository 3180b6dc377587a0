"""A batch of documents under one RFC 6962 root: the tree, every audit path, and their check.

    leaf i     = the 32-byte SHA-256 of document i (in the order the batch lists them)
    root       = MTH over the leaves (chainbook.merkle: leaf hash SHA-256(0x00 || leaf),
                 node hash SHA-256(0x01 || left || right)), what notary.anchor_batch records
    audit path = RFC 6962 PATH(i, D[n]), leaf side first, which verifies with any CT library

`compute_audit_paths` gives all n paths in O(n log n) (one pass per level), not n calls of
merkle.inclusion_proof (O(n) each), so a batch of a million documents takes seconds, not days.
"""

from __future__ import annotations

from collections.abc import Sequence

from chainbook import merkle
from chainbook.apps.notary import limits
from chainbook.types import Hash


def compute_batch_root(document_hashes: Sequence[Hash]) -> Hash:
    return merkle.root(document_hashes)


def compute_audit_paths(document_hashes: Sequence[Hash]) -> list[list[Hash]]:
    """The audit path of every leaf. Levels pair nodes left to right and carry an odd last
    node up unchanged (merkle.root_from_leaf_hashes builds the same tree); a leaf's path is
    its sibling at each level where it has one."""
    level = [merkle.leaf_hash(h) for h in document_hashes]
    paths: list[list[Hash]] = [[] for _ in level]
    positions = list(range(len(level)))
    while len(level) > 1:
        for leaf, position in enumerate(positions):
            sibling = position ^ 1
            if sibling < len(level):
                paths[leaf].append(level[sibling])
            positions[leaf] = position >> 1
        paired = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return paths


def is_document_in_batch(
    document_hash: Hash, index: int, size: int, path: Sequence[Hash], root: Hash
) -> bool:
    """True when `path` leads from the document's hash, leaf `index` of `size`, to `root`."""
    if not 1 <= size <= limits.batch_hashes_max or len(path) > limits.batch_path_hashes_max:
        return False
    found = merkle.root_from_inclusion_proof(merkle.leaf_hash(document_hash), index, size, path)
    return found == root


__all__ = ["compute_audit_paths", "compute_batch_root", "is_document_in_batch"]
