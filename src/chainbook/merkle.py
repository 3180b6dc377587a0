"""RFC 6962 (Certificate Transparency) Merkle tree hash, inclusion proofs and their check.

    leaf hash   = SHA-256(0x00 || leaf)
    node hash   = SHA-256(0x01 || left || right)
    empty tree  = SHA-256("")
    MTH(D[n])   = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two smaller than n

The domain-separation prefixes make a leaf impossible to pass off as an inner node. The proof
check follows RFC 9162 section 2.1.3.2, so a proof made here verifies with any CT library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chainbook.types import Hash

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
EMPTY_ROOT: Hash = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> Hash:
    return hashlib.sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[Hash]) -> Hash:
    """MTH over already-hashed leaves, computed bottom-up (no recursion, linear time).

    Pairing left to right level by level and carrying an odd last node up unchanged yields the
    same tree as RFC 6962's largest-power-of-two split.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(leaves: Sequence[bytes]) -> Hash:
    return root_from_leaf_hashes([leaf_hash(leaf) for leaf in leaves])


def inclusion_proof(leaf_hashes: Sequence[Hash], index: int) -> list[Hash]:
    """The audit path PATH(index, D[n]) of RFC 6962 section 2.1.1, leaf-side first."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise IndexError(f"leaf index {index} outside a tree of {n} leaves")
    return _path(index, leaf_hashes)


def _path(index: int, hashes: Sequence[Hash]) -> list[Hash]:
    n = len(hashes)
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return _path(index, hashes[:k]) + [root_from_leaf_hashes(hashes[k:])]
    return _path(index - k, hashes[k:]) + [root_from_leaf_hashes(hashes[:k])]


def root_from_inclusion_proof(
    leaf_hash_: Hash, index: int, tree_size: int, proof: Sequence[Hash]
) -> Hash | None:
    """Recompute the root from a leaf hash and its audit path (RFC 9162 2.1.3.2).

    Returns None when the proof has the wrong shape for (index, tree_size).
    """
    if not 0 <= index < tree_size:
        return None
    fn, sn = index, tree_size - 1
    r = leaf_hash_
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[Hash], expected_root: Hash
) -> bool:
    return root_from_inclusion_proof(leaf_hash(leaf), index, tree_size, proof) == expected_root


__all__ = [
    "EMPTY_ROOT",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_inclusion",
]
