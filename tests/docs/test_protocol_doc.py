"""docs/PROTOCOL.md's worked example, rebuilt from its inputs with plain msgpack + Ed25519."""

from pathlib import Path

import msgspec

from chainbook import codec
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx, tx_hash, verify_tx
from chainbook.crypto import PrivateKey, sha256

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
EXPECTED_TX_HASH = "e61a380558711f440c1ea06b56996a1e57d08430a4060b4c3a6e6e25304e7bed"


def test_worked_example_matches_the_doc() -> None:
    key = PrivateKey(bytes(range(32)))
    to = PrivateKey(bytes(range(1, 33))).address
    tx = sign_tx(key, "chainbook-local", 0, Transfer(to=to, amount=1_500_000, memo="coffee"))
    assert tx_hash(tx).hex() == EXPECTED_TX_HASH
    assert EXPECTED_TX_HASH in DOC.read_text()
    assert verify_tx("chainbook-local", tx).sender == key.address


def test_generic_msgpack_builds_the_same_bytes() -> None:
    """What a client in another language does: encode plain arrays, sign, encode again."""
    key = PrivateKey(bytes(range(32)))
    to = PrivateKey(bytes(range(1, 33))).address
    body = msgspec.msgpack.encode(
        ["chainbook-local", 0, ["bank.transfer", to, 1_500_000, "coffee"]]
    )
    signature = key.sign(b"chainbook/tx/v1\x00" + body)
    tx = msgspec.msgpack.encode([body, key.public_key, signature])
    assert sha256(tx).hex() == EXPECTED_TX_HASH
    assert codec.encode(codec.decode(tx, object)) == tx  # canonical already


def test_the_action_tables_are_generated_from_the_registry() -> None:
    """docs/PROTOCOL.md's module actions are exactly what the manifests say (rerun
    `python -m chainbook.apps.docs docs/PROTOCOL.md` after changing a module)."""
    from chainbook.apps.docs import extract_section, render_actions
    from chainbook.apps.registry import REGISTRY

    document = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text()
    assert extract_section(document) == render_actions(REGISTRY)
