"""RFC 6962 Merkle tree against the Certificate Transparency reference vectors."""

from hypothesis import given
from hypothesis import strategies as st

from chainbook import merkle

# The leaves and roots used by CT implementations (certificate-transparency's
# merkle_tree_test.cc, also used by transparency-dev/merkle).
LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PATHS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def test_empty_tree_is_sha256_of_nothing() -> None:
    assert merkle.root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_roots_match_reference_vectors() -> None:
    for n in range(1, 9):
        assert merkle.root(LEAVES[:n]).hex() == ROOTS[n - 1], f"n={n}"


def test_audit_paths_match_reference_vectors() -> None:
    for index, size, path in PATHS:
        hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[:size]]
        assert [h.hex() for h in merkle.inclusion_proof(hashes, index)] == path
        proof = [bytes.fromhex(h) for h in path]
        assert merkle.verify_inclusion(
            LEAVES[index], index, size, proof, bytes.fromhex(ROOTS[size - 1])
        )


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_every_leaf_proves_and_tampering_fails(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    root = merkle.root_from_leaf_hashes(hashes)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle.inclusion_proof(hashes, index)
    assert merkle.verify_inclusion(leaves[index], index, len(leaves), proof, root)
    assert not merkle.verify_inclusion(leaves[index] + b"x", index, len(leaves), proof, root)
    if proof:
        bad = list(proof)
        bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
        assert not merkle.verify_inclusion(leaves[index], index, len(leaves), bad, root)
        assert not merkle.verify_inclusion(leaves[index], index, len(leaves), proof[:-1], root)
    if len(leaves) > 1:
        other = (index + 1) % len(leaves)
        if leaves[other] != leaves[index]:
            assert not merkle.verify_inclusion(leaves[index], other, len(leaves), proof, root)


def test_index_outside_tree_is_refused() -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[:3]]
    try:
        merkle.inclusion_proof(hashes, 3)
    except IndexError as exc:
        assert "outside" in str(exc)
    else:
        raise AssertionError("expected IndexError")
    assert merkle.root_from_inclusion_proof(hashes[0], 5, 3, []) is None
