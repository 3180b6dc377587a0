"""A deterministic chain with real signatures, for storage and verification tests.

Four validators (equal power, keys from PrivateKey.from_label) sign every commit; each block
carries signed note transactions, their receipts and a few state changes. The same arguments
always build byte-identical blocks (Ed25519 signatures are deterministic), so a child process and
the test that kills it can build the same chain independently.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from chainbook import codec, merkle
from chainbook.chain.block import Block, Header, compute_commit_hash, compute_txs_root
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.chain.verify import compute_genesis_hash, compute_header_hash, get_genesis_validators
from chainbook.crypto import PrivateKey, sha256
from chainbook.ledger.receipts import Event, Receipt
from chainbook.types import Hash, Height
from tests.support import CHAIN_ID, GENESIS_TIME_MS, make_genesis, validator_keys

VALIDATOR_KEYS = validator_keys(4)
GENESIS = make_genesis({}, validators=VALIDATOR_KEYS)
GENESIS_HASH = compute_genesis_hash(GENESIS)
VALIDATORS = get_genesis_validators(GENESIS)
KEY_BY_ADDRESS = {k.address: k for k in VALIDATOR_KEYS}
SENDER = PrivateKey.from_label("storage-sender")


class Note(msgspec.Struct, array_like=True, frozen=True, tag="note"):
    text: str


@dataclass(frozen=True)
class SavedBlock:
    """Everything save_block takes for one height."""

    block_bytes: bytes
    block: Block
    commit: Commit
    receipts: list[Receipt]
    state_changes: dict[bytes, bytes | None]
    app_hash: Hash

    @property
    def height(self) -> Height:
        return self.block.header.height

    @property
    def hash(self) -> Hash:
        return compute_header_hash(self.block.header)


def sign_commit(height: Height, block_hash: Hash, signers: int = 4, round_: int = 0) -> Commit:
    vote = Vote(type=VoteType.PRECOMMIT, height=height, round=round_, block_hash=block_hash)
    keys = [KEY_BY_ADDRESS[v.address] for v in VALIDATORS.validators][:signers]
    return make_commit(VALIDATORS, [sign_vote(k, CHAIN_ID, vote) for k in keys])


def app_hash_at(height: Height) -> Hash:
    return sha256(b"app/" + height.to_bytes(8, "big"))


def build_chain(
    blocks: int,
    txs_per_block: int = 3,
    repeat_first_tx: bool = False,
    replay_previous_first_tx: bool = False,
) -> list[SavedBlock]:
    """Blocks 1..blocks. Block h+1's last_commit (3 signers) differs from h's seen commit (4).

    With repeat_first_tx each block ends with its first tx again (a replay the ledger refuses:
    its receipt is not ok), which the tx index must not let overwrite the first location. With
    replay_previous_first_tx each block after the first also carries the first tx of the block
    before it (after its own txs, before that repeat): the same replay across blocks.
    """
    chain: list[SavedBlock] = []
    nonce = 0
    parent: Header | None = None
    for height in range(1, blocks + 1):
        txs = []
        for i in range(txs_per_block):
            txs.append(sign_tx(SENDER, CHAIN_ID, nonce, Note(text=f"h{height}-t{i}")))
            nonce += 1
        replays: set[int] = set()
        if replay_previous_first_tx and chain:
            replays.add(len(txs))
            txs.append(chain[-1].block.txs[0])
        if repeat_first_tx:
            replays.add(len(txs))
            txs.append(txs[0])
        last_commit = (
            None
            if parent is None
            else sign_commit(parent.height, compute_header_hash(parent), signers=3)
        )
        header = Header(
            chain_id=CHAIN_ID,
            height=height,
            time_ms=GENESIS_TIME_MS + height * 1000,
            prev_block_hash=GENESIS_HASH if parent is None else compute_header_hash(parent),
            last_commit_hash=compute_commit_hash(last_commit),
            txs_root=compute_txs_root(txs),
            tx_count=len(txs),
            receipts_root=sha256(b"receipts" + height.to_bytes(8, "big")),
            app_hash=app_hash_at(height),
            validators_hash=VALIDATORS.hash,
            next_validators_hash=VALIDATORS.hash,
            proposer=VALIDATORS.get_proposer(height, 0).address,
            evidence_hash=merkle.EMPTY_ROOT,
        )
        block = Block(header=header, txs=txs, last_commit=last_commit)
        receipts = [
            Receipt(
                tx_hash=tx_hash(tx),
                height=height,
                index=i,
                ok=i not in replays,
                code="invalid_nonce" if i in replays else "",
                error="replayed nonce" if i in replays else "",
                events=[Event(module="note", kind="stored", attributes=[("index", str(i))])],
            )
            for i, tx in enumerate(txs)
        ]
        state_changes: dict[bytes, bytes | None] = {
            b"height": str(height).encode(),
            b"tmp/%d" % height: b"x",
            b"tmp/%d" % (height - 1): None,
        }
        for r in receipts:
            state_changes[b"note/" + r.tx_hash] = b"%d" % height
        chain.append(
            SavedBlock(
                block_bytes=codec.encode(block),
                block=block,
                commit=sign_commit(height, compute_header_hash(header)),
                receipts=receipts,
                state_changes=state_changes,
                app_hash=app_hash_at(height),
            )
        )
        parent = header
    return chain


def expected_state(
    chain: list[SavedBlock], initial: dict[bytes, bytes] | None = None
) -> dict[bytes, bytes]:
    """`initial` (empty by default) with the state changes of `chain` applied in order."""
    state: dict[bytes, bytes] = dict(initial or {})
    for saved in chain:
        for key, value in saved.state_changes.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
    return state


def save(store: object, saved: SavedBlock) -> None:
    store.save_block(  # type: ignore[attr-defined]
        saved.block_bytes,
        saved.block,
        saved.commit,
        saved.receipts,
        saved.state_changes,
        saved.app_hash,
    )
