"""Generate the ledger spec vectors in tests/spec/vectors/ (pre-state / block / post-state).

Run:  .venv/bin/python tests/spec/make_vectors.py

Each vector is a JSON file that a client in another language can replay: every byte string is
lowercase hex. Format "chainbook/ledger-vector/v1":

    pre       {height, app_hash, time_ms, kv: {hex key: hex value}}   the committed state
    block     {chain_id, height, time_ms, proposer, txs: [hex SignedTx bytes]}
    expected  {invalid_block: null | "substring of the reason",
               events: [[module, kind, [[k, v], ...]], ...]          block-level (mint)
               receipts: [{tx_hash, index, ok, error, events}],
               post: {height, app_hash, time_ms, kv} | null}          null when the block is invalid

State values are canonical MessagePack (integers for balances, nonces and supply; the bank
params struct as an array); keys are b"acct/nonce/<addr>", b"bank/balance/<addr>",
b"bank/supply", b"bank/minted", b"bank/params".
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import msgspec

from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.chain.genesis import Genesis, GenesisAccount, GenesisValidator, Issuance
from chainbook.chain.tx import decode_tx, sign_tx
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.ledger.execute import BlockContext, apply_block_result, execute_block
from chainbook.ledger.receipts import Event
from chainbook.ledger.state import LedgerState

FORMAT = "chainbook/ledger-vector/v1"
VECTORS_DIR = pathlib.Path(__file__).parent / "vectors"
CHAIN_ID = "spec-chain"
ALICE = PrivateKey.from_label("alice")
BOB = PrivateKey.from_label("bob")
CAROL = PrivateKey.from_label("carol")
DAVE = PrivateKey.from_label("dave")
VALIDATOR = PrivateKey.from_label("validator")


def genesis(block_reward: int = 0, supply_max: int = 0, halving: int = 0) -> Genesis:
    return Genesis(
        chain_id=CHAIN_ID,
        genesis_time_ms=1_700_000_000_000,
        validators=[GenesisValidator(name="v", public_key=VALIDATOR.public_key.hex(), power=1)],
        accounts=[
            GenesisAccount(address=ALICE.address.hex(), amount=1_000),
            GenesisAccount(address=BOB.address.hex(), amount=500),
        ],
        issuance=Issuance(
            block_reward=block_reward, halving_interval_blocks=halving, supply_max=supply_max
        ),
    )


def state_json(state: LedgerState) -> dict[str, Any]:
    return {
        "height": state.height,
        "app_hash": state.app_hash.hex(),
        "time_ms": state.time_ms,
        "kv": {k.hex(): v.hex() for k, v in sorted(state.kv.items())},
    }


def events_json(events: list[Event]) -> list[Any]:
    return [[e.module, e.kind, [list(a) for a in e.attributes]] for e in events]


def make_vector(
    name: str, description: str, state: LedgerState, txs: list[bytes]
) -> dict[str, Any]:
    block = {
        "chain_id": CHAIN_ID,
        "height": state.height + 1,
        "time_ms": state.time_ms + 1_000,
        "proposer": VALIDATOR.address.hex(),
        "txs": [t.hex() for t in txs],
    }
    vector: dict[str, Any] = {
        "format": FORMAT,
        "name": name,
        "description": description,
        "pre": state_json(state),
        "block": block,
    }
    ctx = BlockContext(state.height + 1, state.time_ms + 1_000, VALIDATOR.address)
    try:
        result = execute_block(state, CHAIN_ID, [decode_tx(t) for t in txs], ctx)
    except InvalidBlock as exc:
        vector["expected"] = {
            "invalid_block": str(exc).split(": ", 1)[1],
            "events": [],
            "receipts": [],
            "post": None,
        }
        return vector
    post = LedgerState(state.height, state.app_hash, state.time_ms, dict(state.kv))
    apply_block_result(post, result, result.height)
    vector["expected"] = {
        "invalid_block": None,
        "events": events_json(result.events),
        "receipts": [
            {
                "tx_hash": r.tx_hash.hex(),
                "index": r.index,
                "ok": r.ok,
                "error": r.error,
                "events": events_json(r.events),
            }
            for r in result.receipts
        ],
        "post": state_json(post),
    }
    return vector


def pay(key: PrivateKey, nonce: int, action: msgspec.Struct) -> bytes:
    return sign_tx(key, CHAIN_ID, nonce, action)


def build_vectors() -> dict[str, dict[str, Any]]:
    s = LedgerState.from_genesis
    vectors = [
        make_vector(
            "bank_transfer_ok",
            "Alice pays Bob 300 with a memo; Carol is created by a first credit.",
            s(genesis()),
            [
                pay(ALICE, 0, Transfer(BOB.address, 300, "invoice 7")),
                pay(ALICE, 1, Transfer(CAROL.address, 1)),
            ],
        ),
        make_vector(
            "bank_overdraft",
            "Alice sends more than she holds: failed receipt, writes discarded, nonce advances;"
            " an unknown account's send fails too.",
            s(genesis()),
            [
                pay(ALICE, 0, Transfer(BOB.address, 1_001)),
                pay(ALICE, 1, Transfer(BOB.address, 0)),
                pay(DAVE, 0, Transfer(BOB.address, 1)),
            ],
        ),
        make_vector(
            "bank_multi_transfer",
            "One multi-transfer paying three outputs (a recipient twice), then one refused"
            " as all-or-nothing.",
            s(genesis()),
            [
                pay(
                    ALICE,
                    0,
                    MultiTransfer(
                        [Output(BOB.address, 10), Output(CAROL.address, 20), Output(BOB.address, 5)]
                    ),
                ),
                pay(
                    BOB,
                    0,
                    MultiTransfer([Output(ALICE.address, 400), Output(CAROL.address, 200)]),
                ),
            ],
        ),
        make_vector(
            "bank_wrong_nonce",
            "Alice's second transaction skips nonce 1: the whole block is invalid.",
            s(genesis()),
            [pay(ALICE, 0, Transfer(BOB.address, 1)), pay(ALICE, 2, Transfer(BOB.address, 1))],
        ),
        make_vector(
            "bank_mint_at_cap",
            "Reward 10 but only 7 left below supply_max: the block mints exactly 7.",
            s(genesis(block_reward=10, supply_max=1_507)),
            [],
        ),
        make_vector(
            "bank_mint_halving",
            "Block 1 with reward 64 halving every block mints 64 to the proposer, plus a transfer.",
            s(genesis(block_reward=64, supply_max=10**9, halving=1)),
            [pay(BOB, 0, Transfer(ALICE.address, 500))],
        ),
    ]
    return {v["name"]: v for v in vectors}


def dump(vector: dict[str, Any]) -> str:
    return json.dumps(vector, indent=2, sort_keys=True) + "\n"


def main() -> None:
    VECTORS_DIR.mkdir(exist_ok=True)
    for name, vector in build_vectors().items():
        (VECTORS_DIR / f"{name}.json").write_text(dump(vector))
        print(f"wrote {name}.json")


if __name__ == "__main__":
    main()
