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


def test_the_action_tables_are_generated_from_the_registry() -> None:
    """docs/PROTOCOL.md's module actions are exactly what the manifests say (rerun
    `python -m chainbook.apps.docs docs/PROTOCOL.md` after changing a module)."""
    from chainbook.apps.docs import extract_section, render_actions
    from chainbook.apps.registry import REGISTRY

    document = DOC.read_text()
    assert extract_section(document) == render_actions(REGISTRY)
