"""The state tree: an authenticated map of the whole ledger state, with membership and
non-membership proofs for any key.

Rules kept:
- The tree is a hexary (16-way) sparse Merkle tree over SHA-256(key), with compact leaves, as
  Diem/Aptos' Jellyfish Merkle tree: a subtree that holds exactly one key is that key's leaf,
  placed as high as it is alone; a subtree with two keys or more is an internal node; an empty
  subtree is nothing. That shape is a function of the key set alone (never of the order of the
  updates), so every node that holds the same state has the same root.
- Hashes (docs/PROTOCOL.md "State tree"):
      key_hash      = SHA-256(key)                  nibble d = the d-th 4-bit digit, high first
      leaf hash     = SHA-256(0x00 || key_hash || value)
      internal hash = SHA-256(0x01 || child_0 || ... || child_15)    (an empty child: 32 zero bytes)
      root          = the hash of the top node; EMPTY_ROOT (32 zero bytes) for an empty state
  The 0x00 / 0x01 prefixes keep a leaf from passing for an internal node; 32 zero bytes are no
  SHA-256 output anyone can find, so an empty slot cannot hide a subtree.
- Versions are immutable: `update` returns a new StateTree and shares every untouched node with
  the old one, so the node keeps the previous version (the one the latest header commits to)
  for proofs at no copying cost.
- Updates come in one batch per block (every key the block changed), applied top-down: each
  touched internal node is rebuilt and hashed once per block, however many of its keys change.

Why this design (measured in tests/ledger/bench_state_tree.py): the cost that matters is Python
work per touched node, not SHA-256 bytes. With 16 children a node covers 4 bits, so a path is a
quarter of a binary tree's length, and a block that touches most of a small state rebuilds about
N/15 internal nodes instead of N. The price is the proof: 15 sibling slots per level instead of
one. Empty siblings are nil in the proof (one byte), so a proof in a state of a million keys is
about five levels of at most 15 hashes (~2.4 KB), checked with five SHA-256 calls.

A proof (`StateProof`) walks from the root to where the key is or would be:
    siblings[d]   the 16 child hashes of the internal node at depth d, with the slot on the
                  key's path (its d-th nibble) nil, and every empty slot nil
    leaf          membership: the value; non-membership: nil, and either `other` (the one key
                  whose leaf stands where the key would be: its key hash and value) or
                  nothing (the slot at the end of the path is empty)
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from hashlib import sha256
from typing import Any

import msgspec

from chainbook.types import Hash

EMPTY_ROOT: Hash = bytes(32)
"""The root of an empty state, and the stand-in for an empty child in an internal hash."""
LEAF_PREFIX = b"\x00"
INTERNAL_PREFIX = b"\x01"
RADIX = 16
HASH_SIZE = 32
KEY_HASH_NIBBLES = 64
"""A path is at most this deep (SHA-256 has 64 nibbles)."""
STATE_KEY_BYTES_MAX = 1024
"""Longest state key a proof may name (module keys are prefix + an address or an id)."""
STATE_VALUE_BYTES_MAX = 64 * 1024
"""Longest state value a proof may carry."""

KEY_HASH_CACHE_MAX = 4_000_000
"""Key hashes remembered between blocks (a pure cache: a balance key changes block after
block, and hashing it is half the cost of its leaf); cleared when full."""

# A node is a tuple, the cheapest object Python builds (a block rebuilds thousands):
#   leaf      (hash, key_hash, key, value)
#   internal  (hash, children: a tuple of 16 nodes or None, the 16 child hashes joined: the
#             512 bytes its hash is over, so an update splices slices instead of re-joining)
# A tuple of bytes and such tuples is untracked by the garbage collector after its first pass.
Node = tuple[Any, ...]
_LEAF_SIZE = 4
Change = tuple[str, Hash, bytes, bytes | None]
"""(key hash in hex, key hash, key, new value or None to delete)."""
_HEX_DIGIT = {digit: int(digit, 16) for digit in "0123456789abcdef"}
_NEXT_DIGIT = {digit: chr(ord(digit) + 1) for digit in "0123456789abcdef"}


def compute_key_hash(key: bytes) -> Hash:
    return sha256(key).digest()


def compute_leaf_hash(key_hash: Hash, value: bytes) -> Hash:
    return sha256(LEAF_PREFIX + key_hash + value).digest()


def get_nibble(key_hash: Hash, depth: int) -> int:
    byte = key_hash[depth >> 1]
    return byte & 0x0F if depth & 1 else byte >> 4


def _leaf(key_hash: Hash, key: bytes, value: bytes) -> Node:
    return (compute_leaf_hash(key_hash, value), key_hash, key, value)


def _internal(children: list[Node | None], joined: bytes) -> Node:
    # Tuples, not lists: a tree of tuples of bytes is untracked by the garbage collector once
    # it has seen it, so full collections do not walk the whole state at every block.
    return (sha256(INTERNAL_PREFIX + joined).digest(), tuple(children), joined)


# --- building and updating ------------------------------------------------------------------
# Both walk a list sorted by key hash, by index ranges [lo, hi): the entries under one child
# are a contiguous run, so no per-node lists are built to group them.


def _build(depth: int, leaves: list[Node], lo: int, hi: int) -> Node | None:
    """The canonical subtree at `depth` over leaves[lo:hi] (sorted, distinct keys)."""
    if hi - lo == 1:
        return leaves[lo]
    if lo == hi:
        return None
    children: list[Node | None] = [None] * RADIX
    hashes = [EMPTY_ROOT] * RADIX
    index, odd = depth >> 1, depth & 1
    i = lo
    while i < hi:
        byte = leaves[i][1][index]
        nibble = byte & 0x0F if odd else byte >> 4
        j = i + 1
        while j < hi:
            byte = leaves[j][1][index]
            if (byte & 0x0F if odd else byte >> 4) != nibble:
                break
            j += 1
        child = _build(depth + 1, leaves, i, j)
        assert child is not None
        children[nibble] = child
        hashes[nibble] = child[0]
        i = j
    return _internal(children, b"".join(hashes))


def _update(
    node: Node | None, depth: int, changes: list[Change], hexes: list[str], lo: int, hi: int
) -> Node | None:
    """`node` (the subtree at `depth`) with changes[lo:hi] applied; untouched subtrees are
    shared with the old version."""
    if node is None or len(node) == _LEAF_SIZE:
        return _merge_into_leaf(node, depth, changes, lo, hi)
    children = list(node[1])
    joined: bytes = node[2]
    pieces: list[bytes] = []  # the new joined child hashes, spliced from the old ones
    done = 0
    shrunk = False
    i = lo
    while i < hi:
        # The key hashes are in hex, one character per nibble, and all of changes[lo:hi]
        # share their first `depth` characters: the run under this child ends at the first
        # hash not below the prefix with its digit raised by one (':' follows '9', 'g' 'f').
        hex_hash = hexes[i]
        digit = hex_hash[depth]
        j = bisect_left(hexes, hex_hash[:depth] + _NEXT_DIGIT[digit], i + 1, hi)
        nibble = _HEX_DIGIT[digit]
        old = children[nibble]
        if j == i + 1 and (old is None or (len(old) == _LEAF_SIZE and old[1] == changes[i][1])):
            # The common case, inlined: one key changes in a slot that is empty or its own.
            _, key_hash, key, value = changes[i]
            if value is None:
                child = None
            else:
                child = (sha256(LEAF_PREFIX + key_hash + value).digest(), key_hash, key, value)
        else:
            child = _update(old, depth + 1, changes, hexes, i, j)
        children[nibble] = child
        at = nibble * HASH_SIZE
        pieces.append(joined[done:at])
        done = at + HASH_SIZE
        if child is None:
            pieces.append(EMPTY_ROOT)
            shrunk = True
        else:
            pieces.append(child[0])
            if len(child) == _LEAF_SIZE and old is not None and len(old) != _LEAF_SIZE:
                shrunk = True  # a subtree below collapsed into its one leaf
        i = j
    if shrunk:
        present = [c for c in children if c is not None]
        if not present:
            return None
        if len(present) == 1 and len(present[0]) == _LEAF_SIZE:
            lone: Node = present[0]
            return lone  # a lone leaf rises to where it is alone
    pieces.append(joined[done:])
    return _internal(children, b"".join(pieces))


def _merge_into_leaf(
    leaf: Node | None, depth: int, changes: list[Change], lo: int, hi: int
) -> Node | None:
    """A subtree that holds at most one key (`leaf`) with changes[lo:hi] applied."""
    if hi - lo == 1:
        _, key_hash, key, value = changes[lo]
        if leaf is None or leaf[1] == key_hash:
            if value is None:
                return None
            return (sha256(LEAF_PREFIX + key_hash + value).digest(), key_hash, key, value)
    items: dict[Hash, Node] = {}
    if leaf is not None:
        items[leaf[1]] = leaf
    for _, key_hash, key, value in changes[lo:hi]:
        if value is None:
            items.pop(key_hash, None)
        else:
            items[key_hash] = _leaf(key_hash, key, value)
    leaves = [items[k] for k in sorted(items)]
    return _build(depth, leaves, 0, len(leaves))


class StateTree:
    """One immutable version of the state tree."""

    __slots__ = ("_key_hashes", "_top")

    def __init__(
        self, top: Node | None = None, key_hashes: dict[bytes, tuple[str, Hash]] | None = None
    ) -> None:
        self._top = top
        self._key_hashes: dict[bytes, tuple[str, Hash]] = {} if key_hashes is None else key_hashes
        """Shared by the versions derived from this one (a cache, never part of the state)."""

    @classmethod
    def from_items(cls, items: Mapping[bytes, bytes]) -> StateTree:
        leaves = [_leaf(compute_key_hash(k), k, v) for k, v in items.items()]
        leaves.sort(key=_key_hash_of)
        return cls(_build(0, leaves, 0, len(leaves)))

    @property
    def root(self) -> Hash:
        return EMPTY_ROOT if self._top is None else bytes(self._top[0])

    def update(self, changes: Mapping[bytes, bytes | None]) -> StateTree:
        """A new version with `changes` (key -> new value, None deletes) applied."""
        cache = self._key_hashes
        if len(cache) > KEY_HASH_CACHE_MAX:
            cache = {}
        batch: list[Change] = []
        append = batch.append
        for key, value in changes.items():
            hashed = cache.get(key)
            if hashed is None:
                key_hash = sha256(key).digest()
                hashed = cache[key] = (key_hash.hex(), key_hash)
            append((hashed[0], hashed[1], key, value))
        batch.sort()  # by the hex key hash: unique per key, so nothing else is compared
        hexes = [change[0] for change in batch]
        # The batch allocates thousands of tuples that all live on: collecting while it runs
        # only promotes them (and the whole heap with them) to older generations. One pass
        # after it untracks them, children before parents (measured: the admission stage of
        # `chainbook bench stages` paid ~6 us/tx more for those collections).
        collecting = gc.isenabled()
        gc.disable()
        try:
            top = _update(self._top, 0, batch, hexes, 0, len(batch))
        finally:
            if collecting:
                gc.enable()
        return StateTree(top, cache)

    def get(self, key: bytes, /) -> bytes | None:
        key_hash = compute_key_hash(key)
        node = self._top
        depth = 0
        while node is not None and len(node) != _LEAF_SIZE:
            node = node[1][get_nibble(key_hash, depth)]
            depth += 1
        if node is not None and node[1] == key_hash:
            return bytes(node[3])
        return None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        stack = [self._top]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            if len(node) == _LEAF_SIZE:
                yield node[2], node[3]
            else:
                stack.extend(node[1])

    def prove(self, key: bytes) -> StateProof:
        """The proof of `key`'s value in this version, or of its absence."""
        key_hash = compute_key_hash(key)
        siblings: list[list[Hash | None]] = []
        node = self._top
        depth = 0
        while node is not None and len(node) != _LEAF_SIZE:
            nibble = get_nibble(key_hash, depth)
            level: list[Hash | None] = [None if c is None else c[0] for c in node[1]]
            level[nibble] = None
            siblings.append(level)
            node = node[1][nibble]
            depth += 1
        if node is None:
            return StateProof(key=key, value=None, siblings=siblings, other=None)
        if node[1] == key_hash:
            return StateProof(key=key, value=node[3], siblings=siblings, other=None)
        other = OtherLeaf(key_hash=node[1], value=node[3])
        return StateProof(key=key, value=None, siblings=siblings, other=other)


def _key_hash_of(entry: tuple[bytes, ...]) -> bytes:
    return entry[1] if len(entry) == _LEAF_SIZE else entry[0]


# --- proofs ---------------------------------------------------------------------------------


class OtherLeaf(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """The leaf that stands where a proven-absent key would be."""

    key_hash: Hash
    value: bytes


class StateProof(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """A key's value (or its absence) under a state root; see the module docstring."""

    key: bytes
    value: bytes | None
    """The value when the key is present; None when the proof shows it absent."""
    siblings: list[list[Hash | None]]
    """Top-down: one level per internal node on the key's path, 16 slots each."""
    other: OtherLeaf | None
    """For an absent key: the leaf holding its place, or None when that place is empty."""


class InvalidStateProof(ValueError):
    """A state proof does not hold; the message names the check that failed."""


def compute_root_from_proof(proof: StateProof) -> Hash:
    """The state root `proof` leads to; InvalidStateProof for a proof of the wrong shape.

    The caller compares the result with the root it trusts (a header's app_hash).
    """
    verify_proof_shape(proof)
    key_hash = compute_key_hash(proof.key)
    if proof.value is not None:
        node_hash: Hash = compute_leaf_hash(key_hash, proof.value)
    elif proof.other is not None:
        other = proof.other
        if other.key_hash == key_hash:
            raise InvalidStateProof("the leaf given for an absent key is that key's own leaf")
        depth = len(proof.siblings)
        if any(
            get_nibble(other.key_hash, d) != get_nibble(key_hash, d) for d in range(depth)
        ):
            raise InvalidStateProof(
                f"the leaf given for an absent key does not share its first {depth} nibbles"
            )
        node_hash = compute_leaf_hash(other.key_hash, other.value)
    else:
        node_hash = EMPTY_ROOT
    for depth in range(len(proof.siblings) - 1, -1, -1):
        level = proof.siblings[depth]
        nibble = get_nibble(key_hash, depth)
        children = [EMPTY_ROOT if h is None else h for h in level]
        children[nibble] = node_hash
        node_hash = sha256(INTERNAL_PREFIX + b"".join(children)).digest()
    return node_hash


def verify_proof_shape(proof: StateProof) -> None:
    if len(proof.key) > STATE_KEY_BYTES_MAX:
        raise InvalidStateProof(
            f"key of {len(proof.key)} bytes, longest accepted {STATE_KEY_BYTES_MAX}"
        )
    if proof.value is not None and len(proof.value) > STATE_VALUE_BYTES_MAX:
        raise InvalidStateProof(
            f"value of {len(proof.value)} bytes, longest accepted {STATE_VALUE_BYTES_MAX}"
        )
    if proof.value is not None and proof.other is not None:
        raise InvalidStateProof("a proof of presence carries no other leaf")
    if len(proof.siblings) > KEY_HASH_NIBBLES:
        raise InvalidStateProof(
            f"{len(proof.siblings)} levels, a path has at most {KEY_HASH_NIBBLES}"
        )
    key_hash = compute_key_hash(proof.key)
    for depth, level in enumerate(proof.siblings):
        if len(level) != RADIX:
            raise InvalidStateProof(f"level {depth} has {len(level)} slots, not {RADIX}")
        if level[get_nibble(key_hash, depth)] is not None:
            raise InvalidStateProof(f"level {depth} fills the slot on the key's own path")
        if any(h is not None and len(h) != 32 for h in level):
            raise InvalidStateProof(f"level {depth} has a hash that is not 32 bytes")
    if proof.other is not None and len(proof.other.key_hash) != 32:
        raise InvalidStateProof("the other leaf's key hash must be 32 bytes")
    if proof.other is not None and len(proof.other.value) > STATE_VALUE_BYTES_MAX:
        raise InvalidStateProof(
            f"other leaf's value of {len(proof.other.value)} bytes, longest accepted "
            f"{STATE_VALUE_BYTES_MAX}"
        )


def verify_state_proof(proof: StateProof, root: Hash) -> bytes | None:
    """The value `proof` proves for its key under `root` (None: proven absent); raises
    InvalidStateProof when it does not lead to `root`."""
    computed = compute_root_from_proof(proof)
    if computed != root:
        raise InvalidStateProof(
            f"the proof of key {proof.key.hex()} leads to root {computed.hex()}, "
            f"not {root.hex()}"
        )
    return proof.value


__all__ = [
    "EMPTY_ROOT",
    "InvalidStateProof",
    "OtherLeaf",
    "STATE_KEY_BYTES_MAX",
    "STATE_VALUE_BYTES_MAX",
    "StateProof",
    "StateTree",
    "compute_key_hash",
    "compute_root_from_proof",
    "get_nibble",
    "verify_proof_shape",
    "verify_state_proof",
]
