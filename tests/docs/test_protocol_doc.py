"""docs/PROTOCOL.md's worked examples, rebuilt from their inputs with plain msgpack + Ed25519."""

from pathlib import Path

import msgspec

from chainbook import codec
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx, sign_tx_by, tx_hash, verify_tx
from chainbook.crypto import PrivateKey, sha256

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
EXPECTED_TX_HASH = "2ef0702dac04af87d23f08c47553bd369159a6e44f28c5f4fa9a83bec4416e75"
EXPECTED_COSIGNED_TX_HASH = "d8ca6af1343e5be6849d4f4369b39e22a16407e607413e3fa4f0092eb5702ea5"
SENDER = PrivateKey(bytes(range(32)))
RECIPIENT = PrivateKey(bytes(range(1, 33)))


def test_worked_example_matches_the_doc() -> None:
    action = Transfer(to=RECIPIENT.address, amount=1_500_000, memo="coffee")
    tx = sign_tx(SENDER, "chainbook-local", 0, action)
    assert tx_hash(tx).hex() == EXPECTED_TX_HASH and len(tx) == 174
    assert EXPECTED_TX_HASH in DOC.read_text()
    assert verify_tx("chainbook-local", tx).sender == SENDER.address


def test_cosigned_example_matches_the_doc() -> None:
    accounts = [SENDER.address, RECIPIENT.address]
    action = Transfer(to=RECIPIENT.address, amount=1, memo="")
    tx = sign_tx_by([SENDER, RECIPIENT], "chainbook-local", 1, action, fee=300, accounts=accounts)
    assert tx_hash(tx).hex() == EXPECTED_COSIGNED_TX_HASH and len(tx) == 310
    assert EXPECTED_COSIGNED_TX_HASH in DOC.read_text()
    decoded = verify_tx("chainbook-local", tx)
    assert decoded.accounts == tuple(accounts) and decoded.fee == 300


def test_generic_msgpack_builds_the_same_bytes() -> None:
    """What a client in another language does: encode plain arrays, sign, encode again."""
    body = msgspec.msgpack.encode(
        [
            "chainbook-local",
            [SENDER.public_key],
            None,
            0,
            0,
            ["bank.transfer", RECIPIENT.address, 1_500_000, "coffee"],
        ]
    )
    signature = SENDER.sign(b"chainbook/tx/v2\x00" + body)
    tx = msgspec.msgpack.encode([body, [signature]])
    assert sha256(tx).hex() == EXPECTED_TX_HASH
    assert codec.encode(codec.decode(tx, object)) == tx  # canonical already


def test_generic_msgpack_builds_the_cosigned_bytes() -> None:
    body = msgspec.msgpack.encode(
        [
            "chainbook-local",
            [SENDER.public_key, RECIPIENT.public_key],
            [SENDER.address, RECIPIENT.address],
            1,
            300,
            ["bank.transfer", RECIPIENT.address, 1, ""],
        ]
    )
    message = b"chainbook/tx/v2\x00" + body
    tx = msgspec.msgpack.encode([body, [SENDER.sign(message), RECIPIENT.sign(message)]])
    assert sha256(tx).hex() == EXPECTED_COSIGNED_TX_HASH


# --- the structures added with the proofs: each rebuilt from the doc's inputs ----------------

import hashlib  # noqa: E402
import re  # noqa: E402

import nacl.signing  # noqa: E402

SEED = bytes(range(32))
PUBLIC_KEY = nacl.signing.SigningKey(SEED).verify_key.encode()
SENDER_ADDRESS = hashlib.sha256(PUBLIC_KEY).digest()[:20]
TO = hashlib.sha256(nacl.signing.SigningKey(bytes(range(1, 33))).verify_key.encode()).digest()[:20]
pack = msgspec.msgpack.encode


def sha(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def in_doc(hex_text: str) -> str:
    assert hex_text in DOC.read_text(), f"{hex_text} is not in docs/PROTOCOL.md"
    return hex_text


def the_tx() -> bytes:
    body = pack(
        ["chainbook-local", [PUBLIC_KEY], None, 0, 0, ["bank.transfer", TO, 1_500_000, "coffee"]]
    )
    signature = nacl.signing.SigningKey(SEED).sign(b"chainbook/tx/v2\x00" + body).signature
    return pack([body, [signature]])


def genesis_hash() -> bytes:
    consensus = [1000, 500, 500, 500, 500, 500, 100, 5000, 4194304, 10000, 30000]
    bank = [["CBK", 6], [0, 0, 0], []]
    accounts = [[]]  # no policies
    fees = [0]  # min_fee_per_byte
    governance: list[object] = [[], []]  # no allowed proposers, no institutions
    ip, notary, vote = [[]], [[]], [[]]  # no imported works, no imported anchors, no creators
    identity, iot = [[]], [[]]  # no imported credentials, no imported devices
    assets: list[object] = [[], []]  # no imported tokens, no imported assets
    royalty = [[]]  # no imported works
    canonical = [
        "chainbook-local", 1_700_000_000_000, [["v0", PUBLIC_KEY.hex(), 1]], consensus,
        [["accounts", accounts], ["assets", assets], ["bank", bank], ["fees", fees],
         ["governance", governance], ["identity", identity], ["iot", iot], ["ip", ip],
         ["notary", notary], ["royalty", royalty], ["vote", vote]],
    ]
    return sha(b"chainbook/genesis/v1\x00", pack(canonical))


def test_genesis_hash_matches_the_doc_and_the_code() -> None:
    from chainbook.chain.genesis import GenesisValidator
    from chainbook.ledger.genesis import make_genesis

    expected = in_doc(genesis_hash().hex())
    genesis = make_genesis(
        chain_id="chainbook-local",
        genesis_time_ms=1_700_000_000_000,
        validators=[GenesisValidator(name="v0", public_key=PUBLIC_KEY.hex(), power=1)],
    )
    assert genesis.hash.hex() == expected


def validators_hash() -> bytes:
    return sha(pack([[PUBLIC_KEY, 1, "v0"]]))


def test_validators_hash() -> None:
    in_doc(validators_hash().hex())


def receipt_leaf() -> bytes:
    return pack([sha(the_tx()), True, "", "", []])


def test_receipt_leaf_and_receipts_root() -> None:
    from chainbook.ledger.receipts import Receipt, compute_receipts_root

    leaf = receipt_leaf()
    assert leaf.hex().startswith("95c420" + EXPECTED_TX_HASH[:8])
    root = in_doc(sha(b"\x00", leaf).hex())
    assert compute_receipts_root([Receipt(sha(the_tx()), 1, 0, True, "", "", [])]).hex() == root


# A second implementation of the state tree, from the doc's rules only.
def nibble(key_hash: bytes, depth: int) -> int:
    byte = key_hash[depth // 2]
    return byte & 0x0F if depth % 2 else byte >> 4


def tree_hash(items: list[tuple[bytes, bytes]], depth: int) -> bytes | None:
    if not items:
        return None
    if len(items) == 1:
        key_hash, value = items[0]
        return sha(b"\x00", key_hash, value)
    children = [tree_hash([i for i in items if nibble(i[0], depth) == n], depth + 1)
                for n in range(16)]  # fmt: skip
    return sha(b"\x01", *[bytes(32) if c is None else c for c in children])


STATE = {
    b"acct/nonce/" + SENDER_ADDRESS: pack(1),
    b"bank/balance/" + SENDER_ADDRESS: pack(8_500_000),
    b"bank/balance/" + TO: pack(1_500_000),
}


def state_root() -> bytes:
    root = tree_hash([(sha(k), v) for k, v in STATE.items()], 0)
    assert root is not None
    return root


def root_from_proof(proof: list[object]) -> bytes:
    key, value, siblings, other = proof
    assert isinstance(key, bytes) and isinstance(siblings, list)
    key_hash = sha(key)
    if isinstance(value, bytes):
        node = sha(b"\x00", key_hash, value)
    elif other is not None:
        other_hash, other_value = other  # type: ignore[misc]
        node = sha(b"\x00", other_hash, other_value)
    else:
        node = bytes(32)
    for depth in range(len(siblings) - 1, -1, -1):
        slots = [bytes(32) if h is None else h for h in siblings[depth]]
        assert siblings[depth][nibble(key_hash, depth)] is None
        slots[nibble(key_hash, depth)] = node
        node = sha(b"\x01", *slots)
    return node


def test_state_tree_root_and_proofs_by_the_doc_rules() -> None:
    from chainbook.ledger.state_tree import StateTree

    root = state_root()
    in_doc(root.hex())
    tree = StateTree.from_items(STATE)
    assert tree.root == root
    for key in [*STATE, b"bank/balance/" + bytes(20)]:
        proof = msgspec.msgpack.decode(codec.encode(tree.prove(key)))
        assert root_from_proof(proof) == root
    assert [nibble(sha(k), 0) for k in STATE] == [5, 12, 11]


def header_bytes() -> bytes:
    return pack([
        "chainbook-local", 1, 1_700_000_001_000, genesis_hash(), sha(b""),
        sha(b"\x00", the_tx()), 1, sha(b"\x00", receipt_leaf()), state_root(),
        validators_hash(), validators_hash(), SENDER_ADDRESS, sha(b""),
    ])  # fmt: skip


def test_header_vote_and_commit() -> None:
    from chainbook.chain.block import Header

    block_hash = sha(header_bytes())
    in_doc(block_hash.hex())
    assert codec.encode(codec.decode(header_bytes(), Header)) == header_bytes()
    sign_bytes = b"chainbook/vote/v1\x00chainbook-local\x00" + pack([2, 1, 0, block_hash])
    signature = nacl.signing.SigningKey(SEED).sign(sign_bytes).signature
    in_doc(signature.hex()[:64])
    in_doc(signature.hex()[64:])
    in_doc(sha(pack([1, 0, block_hash, [[0, signature]]])).hex())


def _listing(title: str) -> list[str]:
    """The field names of `Title = [ name: type, ... ]` in the doc."""
    text = DOC.read_text()
    start = text.index(f"{title} = [")
    body = text[start : text.index("]\n", start)]
    return re.findall(r"([a-z_]+): ", body)


def test_the_doc_lists_every_field_in_order() -> None:
    from chainbook.api.proof_views import ReceiptFile, StateProofFile
    from chainbook.chain.block import Header
    from chainbook.ledger.state_tree import OtherLeaf, StateProof

    assert _listing("Header") == list(Header.__struct_fields__)
    # StateProof's last field is an OtherLeaf, listed inline.
    assert _listing("StateProof") == [*StateProof.__struct_fields__, *OtherLeaf.__struct_fields__]
    text = DOC.read_text()
    for struct in (ReceiptFile, StateProofFile):
        for field in struct.__struct_fields__:
            assert f'"{field}"' in text, (struct.__name__, field)


def test_the_action_tables_are_generated_from_the_registry() -> None:
    """docs/PROTOCOL.md's module actions are exactly what the manifests say (rerun
    `python -m chainbook.apps.docs docs/PROTOCOL.md` after changing a module)."""
    from chainbook.apps.docs import extract_section, render_actions
    from chainbook.apps.registry import REGISTRY

    document = DOC.read_text()
    assert extract_section(document) == render_actions(REGISTRY)


def test_the_sync_pruned_example_is_the_wire_encoding() -> None:
    from chainbook.core.wire import SyncPruned, decode_message, encode_message

    frame = pack(["sync_pruned", 1, 5])
    assert encode_message(SyncPruned(from_height=1, pruned_below=5)) == frame
    assert decode_message(bytes.fromhex(in_doc(frame.hex()))) == SyncPruned(1, 5)
