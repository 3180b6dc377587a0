"""The state tree: one root per key set whatever the history, and proofs an attacker cannot bend."""

import random

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.ledger.state_tree import (
    EMPTY_ROOT,
    InvalidStateProof,
    OtherLeaf,
    StateProof,
    StateTree,
    compute_key_hash,
    compute_root_from_proof,
    get_nibble,
    verify_state_proof,
)

KEYS = st.binary(min_size=1, max_size=6)
VALUES = st.binary(min_size=0, max_size=4)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(KEYS, VALUES, max_size=40),
    st.lists(st.dictionaries(KEYS, st.none() | VALUES, max_size=25), max_size=6),
)
def test_root_depends_on_the_key_set_only(
    initial: dict[bytes, bytes], batches: list[dict[bytes, bytes | None]]
) -> None:
    """Any sequence of batch updates ends at the root of the tree built from scratch."""
    tree = StateTree.from_items(initial)
    expected = dict(initial)
    for batch in batches:
        tree = tree.update(batch)
        for key, value in batch.items():
            if value is None:
                expected.pop(key, None)
            else:
                expected[key] = value
        assert tree.root == StateTree.from_items(expected).root
        assert dict(tree.items()) == expected
    for key in list(expected)[:5]:
        assert tree.get(key) == expected[key]


def test_versions_are_immutable() -> None:
    old = StateTree.from_items({b"a": b"1", b"b": b"2"})
    root = old.root
    new = old.update({b"a": b"3", b"c": b"4", b"b": None})
    assert old.root == root and old.get(b"a") == b"1" and old.get(b"b") == b"2"
    assert new.get(b"a") == b"3" and new.get(b"b") is None and new.get(b"c") == b"4"


def test_empty_and_single_key_roots() -> None:
    assert StateTree().root == EMPTY_ROOT == StateTree.from_items({}).root
    one = StateTree.from_items({b"k": b"v"})
    assert one.root != EMPTY_ROOT
    assert one.update({b"k": None}).root == EMPTY_ROOT
    assert one.prove(b"k").siblings == []  # a lone leaf is the root


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=0, max_size=60), KEYS)
def test_every_key_has_a_proof_of_value_or_absence(items: dict[bytes, bytes], probe: bytes) -> None:
    tree = StateTree.from_items(items)
    for key in [*list(items)[:8], probe]:
        proof = tree.prove(key)
        assert verify_state_proof(proof, tree.root) == items.get(key)
        assert msgspec.msgpack.decode(msgspec.msgpack.encode(proof), type=StateProof) == proof


def _tree(n: int) -> tuple[StateTree, dict[bytes, bytes]]:
    rng = random.Random(n)
    items = {b"bank/balance/" + rng.randbytes(20): rng.randbytes(3) for _ in range(n)}
    return StateTree.from_items(items), items


def test_a_changed_value_or_a_hidden_key_is_refused() -> None:
    tree, items = _tree(300)
    key = next(iter(items))
    proof = tree.prove(key)
    lies = [
        msgspec.structs.replace(proof, value=proof.value + b"\x00"),  # another value
        msgspec.structs.replace(proof, value=None),  # "absent", with the path to an existing leaf
        msgspec.structs.replace(proof, key=key + b"x"),  # the value moved to another key
    ]
    for lie in lies:
        with pytest.raises(InvalidStateProof):
            verify_state_proof(lie, tree.root)


def test_an_absence_proof_cannot_be_made_for_a_present_key() -> None:
    tree, items = _tree(300)
    absent = b"bank/balance/" + b"\xee" * 20
    assert absent not in items
    proof = tree.prove(absent)
    assert proof.value is None
    present = next(iter(items))
    # The absence proof of another key, re-labelled, proves nothing about this one.
    with pytest.raises(InvalidStateProof):
        verify_state_proof(msgspec.structs.replace(proof, key=present), tree.root)
    # A leaf off the key's path cannot stand for its absence.
    kh = compute_key_hash(absent)
    stranger = next(k for k in items if get_nibble(compute_key_hash(k), 0) != get_nibble(kh, 0))
    off_path = OtherLeaf(compute_key_hash(stranger), items[stranger])
    with pytest.raises(InvalidStateProof, match="does not share"):
        compute_root_from_proof(
            StateProof(key=absent, value=None, siblings=proof.siblings, other=off_path)
        )


def test_malformed_proofs_name_what_is_wrong() -> None:
    tree, items = _tree(50)
    key = next(iter(items))
    proof = tree.prove(key)
    assert proof.siblings
    nibble = get_nibble(compute_key_hash(key), 0)
    filled = [list(level) for level in proof.siblings]
    filled[0][nibble] = b"\x01" * 32
    cases = {
        "slots": msgspec.structs.replace(proof, siblings=[proof.siblings[0][:15]]),
        "own path": msgspec.structs.replace(proof, siblings=filled),
        "not 32 bytes": msgspec.structs.replace(
            proof,
            siblings=[
                [None if j == nibble else b"\x01" for j in range(16)],
                *proof.siblings[1:],
            ],
        ),
        "at most 64": msgspec.structs.replace(proof, siblings=[[None] * 16] * 65),
        "longest accepted": msgspec.structs.replace(proof, key=b"k" * 2000),
        "no other leaf": msgspec.structs.replace(proof, other=OtherLeaf(b"\x00" * 32, b"")),
    }
    for expected, bad in cases.items():
        with pytest.raises(InvalidStateProof, match=expected):
            compute_root_from_proof(bad)


def test_proof_size_stays_small() -> None:
    tree, items = _tree(20_000)
    sizes = [len(msgspec.msgpack.encode(tree.prove(k))) for k in list(items)[:50]]
    assert max(sizes) < 3_000  # ~4-5 levels of at most 15 hashes


def test_a_proven_query_reads_at_most_its_limit_of_keys() -> None:
    from chainbook.ledger.proven_query import PROVEN_KEYS_MAX, RecordingReader, UnprovenRead

    tree, items = _tree(PROVEN_KEYS_MAX + 1)
    keys = list(items)
    reader = RecordingReader(tree)
    for key in keys[:PROVEN_KEYS_MAX]:
        assert reader.get(key) == items[key]
    assert reader.get(keys[0]) == items[keys[0]]  # a key read again costs nothing
    with pytest.raises(UnprovenRead, match=f"more than {PROVEN_KEYS_MAX} state keys"):
        reader.get(keys[PROVEN_KEYS_MAX])


def test_the_key_hash_cache_changes_no_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainbook.ledger import state_tree

    tree, items = _tree(50)
    monkeypatch.setattr(state_tree, "KEY_HASH_CACHE_MAX", 3)  # cleared at every update
    changes = {k: b"x" for k in list(items)[:10]}
    assert tree.update(changes).update(changes).root == StateTree.from_items(
        {**items, **changes}
    ).root
