"""An in-memory NodeService for API, SDK and CLI tests: real transactions, blocks, Merkle trees
and commit certificates signed by deterministic validator keys, no consensus and no disk.

`submit_tx` checks what a node checks at admission (chain id, signature, nonce, duplicates,
mempool capacity); `commit_pending` makes one block of the mempool, as if consensus had run;
`wait_for_tx` commits at once when `auto_commit` is on (the default), else times out.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from chainbook import merkle
from chainbook.api.service import (
    AccountView,
    NodeStatus,
    PeerView,
    TxLocation,
    TxProof,
    ValidatorSetChange,
    ValidatorView,
)
from chainbook.apps.bank import Balance, BalanceRequest
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.block import (
    Block,
    Header,
    compute_commit_hash,
    compute_txs_root,
    encode_block,
)
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.tx import DecodedTx, verify_tx
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.chain.verify import compute_header_hash
from chainbook.codec import decode
from chainbook.crypto import PrivateKey, sha256
from chainbook.errors import InvalidInput, InvalidNonce, MempoolFull
from chainbook.ledger.proven_query import ProofUnavailable, ProvenQuery
from chainbook.ledger.queries import UnknownQuery
from chainbook.ledger.receipts import Event, Receipt, compute_receipts_root, encode_receipt_leaf
from chainbook.types import Address, Hash, Height

CHAIN_ID = "test-chain"
VALIDATOR_KEYS = [PrivateKey.from_label(f"validator{i}") for i in range(4)]
VALIDATORS = ValidatorSet(
    [
        Validator(public_key=k.public_key, power=10, name=f"v{i}")
        for i, k in enumerate(VALIDATOR_KEYS)
    ]
)
GENESIS_HASH = sha256(b"fake genesis")
ALICE = PrivateKey.from_label("alice")
BOB = PrivateKey.from_label("bob")
INITIAL_BALANCE = 1_000_000


def sign_commit(header: Header, keys: list[PrivateKey] = VALIDATOR_KEYS, round_: int = 0) -> Commit:
    """A commit certificate for `header`, signed by `keys` (all four validators by default)."""
    vote = Vote(
        type=VoteType.PRECOMMIT,
        height=header.height,
        round=round_,
        block_hash=compute_header_hash(header),
    )
    return make_commit(VALIDATORS, [sign_vote(k, CHAIN_ID, vote) for k in keys])


def make_block(
    height: Height,
    txs: list[bytes],
    prev_hash: Hash,
    last_commit: Commit | None,
    receipts_root: Hash = merkle.EMPTY_ROOT,
) -> Block:
    header = Header(
        chain_id=CHAIN_ID,
        height=height,
        time_ms=1_700_000_000_000 + height * 1000,
        prev_block_hash=prev_hash,
        last_commit_hash=compute_commit_hash(last_commit),
        txs_root=compute_txs_root(txs),
        tx_count=len(txs),
        receipts_root=receipts_root,
        app_hash=sha256(b"app" + height.to_bytes(8, "big")),
        validators_hash=VALIDATORS.hash,
        next_validators_hash=VALIDATORS.hash,
        proposer=VALIDATORS.validators[height % 4].address,
    )
    return Block(header=header, txs=txs, last_commit=last_commit)


class FakeNode:
    """Implements chainbook.api.service.NodeService in memory."""

    def __init__(self, chain_id: str = CHAIN_ID) -> None:
        self.chain_id = chain_id
        self.blocks: dict[Height, Block] = {}
        self.commits: dict[Height, Commit] = {}
        self.locations: dict[Hash, TxLocation] = {}
        self.receipts: dict[Height, list[Receipt]] = {}
        self.validator_changes: list[ValidatorSetChange] = []
        self.mempool: dict[Hash, DecodedTx] = {}
        self.balances: dict[Address, int] = {ALICE.address: INITIAL_BALANCE}
        self.nonces: dict[Address, int] = {}
        self.mempool_full = False
        self.auto_commit = True
        self.book_repairs = 0

    # --- NodeService ---------------------------------------------------------------------------

    def submit_tx(self, tx_bytes: bytes) -> DecodedTx:
        if self.mempool_full:
            raise MempoolFull("mempool holds 100000 transactions, limit 100000")
        decoded = verify_tx(self.chain_id, tx_bytes)
        if decoded.hash in self.mempool:
            return self.mempool[decoded.hash]  # a duplicate is a no-op, as in the real mempool
        expected = self.pending_nonce(decoded.sender)
        if decoded.nonce != expected:
            raise InvalidNonce(expected=expected, got=decoded.nonce)
        self.mempool[decoded.hash] = decoded
        return decoded

    async def submit_txs(self, txs: list[bytes]) -> list[DecodedTx | InvalidInput]:
        results: list[DecodedTx | InvalidInput] = []
        for tx in txs:
            try:
                results.append(self.submit_tx(tx))
            except InvalidInput as exc:
                results.append(exc)
        return results

    async def wait_for_tx(self, tx_hash: Hash, timeout_s: float) -> TxLocation | None:
        if tx_hash not in self.locations and self.auto_commit and tx_hash in self.mempool:
            self.commit_pending()
        if tx_hash not in self.locations:
            await asyncio.sleep(min(timeout_s, 0.01))
        return self.locations.get(tx_hash)

    def is_pending(self, tx_hash: Hash) -> bool:
        return tx_hash in self.mempool

    def get_tx(self, tx_hash: Hash) -> TxLocation | None:
        return self.locations.get(tx_hash)

    def get_tx_proof(self, tx_hash: Hash) -> TxProof | None:
        location = self.locations.get(tx_hash)
        if location is None:
            return None
        block = self.blocks[location.height]
        leaf_hashes = [merkle.leaf_hash(tx) for tx in block.txs]
        receipt_hashes = [
            merkle.leaf_hash(encode_receipt_leaf(r)) for r in self.receipts[location.height]
        ]
        return TxProof(
            tx=block.txs[location.index],
            location=location,
            audit_path=merkle.inclusion_proof(leaf_hashes, location.index),
            receipt_path=merkle.inclusion_proof(receipt_hashes, location.index),
            tree_size=len(block.txs),
            block=block,
            commit=self.commits[location.height],
        )

    def get_block(self, height: Height) -> Block | None:
        return self.blocks.get(height)

    def get_commit(self, height: Height) -> Commit | None:
        return self.commits.get(height)

    def get_block_bytes(self, height: Height) -> bytes | None:
        block = self.blocks.get(height)
        return None if block is None else encode_block(block)

    def get_receipts(self, height: Height) -> list[Receipt] | None:
        return self.receipts.get(height)

    def prove_query(self, module: str, name: str, request: msgspec.Struct) -> ProvenQuery:
        raise ProofUnavailable("the fake node keeps no state tree")

    def get_validator_changes(self, to_height: Height) -> list[ValidatorSetChange]:
        return [c for c in self.validator_changes if c.height < to_height]

    def get_account(self, address: Address) -> AccountView:
        return AccountView(
            address=address.hex(),
            nonce=self.nonces.get(address, 0),
            pending_nonce=self.pending_nonce(address),
        )

    def query(self, module: str, name: str, request: msgspec.Struct) -> Any:
        """The bank's balance query over the fake's balances; nothing else."""
        if (module, name) == ("bank", "balance"):
            assert isinstance(request, BalanceRequest)
            balance = self.balances.get(request.address)
            return Balance(
                address=request.address, balance=balance or 0, exists=balance is not None
            )
        raise UnknownQuery(f"the fake node answers bank.balance only, not {module}.{name}")

    def status(self) -> NodeStatus:
        height = self.height
        block = self.blocks.get(height)
        return NodeStatus(
            chain_id=self.chain_id,
            node_id=VALIDATOR_KEYS[0].public_key.hex(),
            moniker="fake0",
            is_validator=True,
            height=height,
            app_hash=block.header.app_hash.hex() if block else "",
            latest_block_hash=compute_header_hash(block.header).hex() if block else "",
            latest_block_time_ms=block.header.time_ms if block else 0,
            round=0,
            syncing=False,
            mempool_txs=len(self.mempool),
            peers=[
                PeerView(
                    node_id="ab" * 32, address="127.0.0.1:1", direction="out", connected_since_ms=1
                )
            ],
            validators=[
                ValidatorView(
                    name=v.name,
                    address=v.address.hex(),
                    public_key=v.public_key.hex(),
                    power=v.power,
                )
                for v in VALIDATORS.validators
            ],
            book_repairs=self.book_repairs,
        )

    def metrics_text(self) -> bytes:
        return f"# TYPE chainbook_height gauge\nchainbook_height {self.height}\n".encode()

    # --- test controls -------------------------------------------------------------------------

    @property
    def height(self) -> Height:
        return max(self.blocks, default=0)

    def pending_nonce(self, address: Address) -> int:
        queued = sum(1 for tx in self.mempool.values() if tx.sender == address)
        return self.nonces.get(address, 0) + queued

    def commit_pending(self) -> Block:
        """Commit the whole mempool as the next block (applying bank transfers naively)."""
        txs = sorted(self.mempool.values(), key=lambda tx: (tx.sender, tx.nonce))
        height = self.height + 1
        previous = self.blocks.get(height - 1)
        prev_hash = compute_header_hash(previous.header) if previous else GENESIS_HASH
        receipts = [self.apply(tx, height, index) for index, tx in enumerate(txs)]
        block = make_block(
            height,
            [tx.tx_bytes for tx in txs],
            prev_hash,
            self.commits.get(height - 1),
            compute_receipts_root(receipts),
        )
        self.blocks[height] = block
        self.commits[height] = sign_commit(block.header)
        self.receipts[height] = receipts
        for receipt in receipts:
            self.locations[receipt.tx_hash] = TxLocation(
                height=height, index=receipt.index, receipt=receipt
            )
        self.mempool.clear()
        return block

    def apply(self, tx: DecodedTx, height: Height, index: int) -> Receipt:
        self.nonces[tx.sender] = tx.nonce + 1
        action = decode(tx.action_bytes, Transfer)
        ok = self.balances.get(tx.sender, 0) >= action.amount
        if ok:
            self.balances[tx.sender] -= action.amount
            self.balances[action.to] = self.balances.get(action.to, 0) + action.amount
        events = (
            [Event(module="bank", kind="transfer", attributes=[("to", action.to.hex())])]
            if ok
            else []
        )
        return Receipt(
            tx_hash=tx.hash,
            height=height,
            index=index,
            ok=ok,
            code="" if ok else "bank.insufficient_funds",
            error="" if ok else "insufficient funds",
            events=events,
        )
