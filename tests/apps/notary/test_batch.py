"""A batch's tree and audit paths (apps/notary/batch.py) agree with chainbook.merkle, the RFC
6962 reference of the project, for every size and position; a path checks only its own leaf,
position, size and root."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook import merkle
from chainbook.apps.notary import (
    compute_audit_paths,
    compute_batch_root,
    is_document_in_batch,
    limits,
)


def documents(count: int) -> list[bytes]:
    return [hashlib.sha256(b"doc %d" % i).digest() for i in range(count)]


@pytest.mark.parametrize("count", range(1, 70))
def test_every_path_is_rfc_6962s(count: int) -> None:
    hashes = documents(count)
    leaf_hashes = [merkle.leaf_hash(h) for h in hashes]
    root = compute_batch_root(hashes)
    assert root == merkle.root(hashes)
    for index, path in enumerate(compute_audit_paths(hashes)):
        assert path == merkle.inclusion_proof(leaf_hashes, index)
        assert is_document_in_batch(hashes[index], index, count, path, root)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3_000), st.data())
def test_paths_of_larger_batches_verify(count: int, data: st.DataObject) -> None:
    hashes = documents(count)
    root = compute_batch_root(hashes)
    paths = compute_audit_paths(hashes)
    index = data.draw(st.integers(0, count - 1))
    assert len(paths[index]) <= max(1, (count - 1).bit_length())
    assert is_document_in_batch(hashes[index], index, count, paths[index], root)
    assert merkle.root_from_inclusion_proof(
        merkle.leaf_hash(hashes[index]), index, count, paths[index]
    ) == root


def test_a_path_proves_only_its_own_leaf_position_size_and_root() -> None:
    hashes = documents(11)
    root = compute_batch_root(hashes)
    paths = compute_audit_paths(hashes)
    assert is_document_in_batch(hashes[5], 5, 11, paths[5], root)
    assert not is_document_in_batch(hashes[4], 5, 11, paths[5], root)
    assert not is_document_in_batch(hashes[5], 4, 11, paths[5], root)
    assert not is_document_in_batch(hashes[5], 5, 6, paths[5], root)
    # A size of the same tree shape gives the same root (RFC 9162 binds the size to the root
    # only through the tree's shape): the batch's size is bound by the action's `hashes`,
    # which `notary verify` compares with the receipt's (tests/apps/notary/test_cli.py).
    assert is_document_in_batch(hashes[5], 5, 12, paths[5], root)
    assert not is_document_in_batch(hashes[5], 5, 11, paths[4], root)
    assert not is_document_in_batch(hashes[5], 5, 11, paths[5], hashes[0])
    assert not is_document_in_batch(hashes[5], 5, 11, paths[5][:-1], root)
    # A leaf is not an inner node: the root itself is no document of the batch.
    assert not is_document_in_batch(root, 0, 1, [], root)


def test_sizes_and_paths_beyond_the_limits_are_refused() -> None:
    hashes = documents(2)
    root = compute_batch_root(hashes)
    path = compute_audit_paths(hashes)[0]
    assert not is_document_in_batch(hashes[0], 0, 0, path, root)
    assert not is_document_in_batch(hashes[0], 0, limits.batch_hashes_max + 1, path, root)
    too_long = path * (limits.batch_path_hashes_max + 1)
    assert not is_document_in_batch(hashes[0], 0, limits.batch_hashes_max, too_long, root)
    assert limits.batch_path_hashes_max == 20


def test_a_million_documents_in_seconds_not_days() -> None:
    """O(n log n) for all paths: 2^16 documents, every path checked for a sample."""
    count = 1 << 16
    hashes = documents(count)
    paths = compute_audit_paths(hashes)
    root = compute_batch_root(hashes)
    for index in (0, 1, count // 3, count - 1):
        assert len(paths[index]) == 16
        assert is_document_in_batch(hashes[index], index, count, paths[index], root)
