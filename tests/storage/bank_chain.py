"""A realistic chain for measuring the book: real signed bank transfers, executed by the ledger.

    build_bank_chain(blocks, txs_per_block, accounts) -> list[SavedBlock]

`accounts` funded keys (the benchmark's, PrivateKey.from_label("bench-<i>")) send each other
1 unit with a short memo (~170 signed bytes, the size issue #5 counts bytes on disk for). Each block
is executed by chainbook.ledger.execute over the genesis state, so its receipts, state changes
and app hash are exactly what a node saves; commits are signed by storage_chain's validators.
Not a test module: bench_save_block.py and test_sqlite.py's size check use it.
"""

from __future__ import annotations

from storage_chain import GENESIS, VALIDATORS, SavedBlock, sign_commit

from chainbook import codec, merkle
from chainbook.apps.bank import BankGenesis, GenesisAccount
from chainbook.apps.bank.actions import Transfer
from chainbook.apps.base import BlockContext
from chainbook.bench.workload import bench_key, choose_recipient, compute_memo
from chainbook.chain.block import Block, Header, compute_commit_hash, compute_txs_root
from chainbook.chain.genesis import Genesis
from chainbook.chain.tx import sign_tx
from chainbook.chain.verify import compute_genesis_hash, compute_header_hash
from chainbook.ledger.execute import apply_block_result, decode_block_txs, execute_block
from chainbook.ledger.genesis import make_genesis
from chainbook.ledger.state import LedgerState

TX_BYTES = 170
"""The signed size issue #5 counts bytes on disk for: a transfer with a short memo."""


def bank_genesis(accounts: int) -> Genesis:
    bank = BankGenesis(
        accounts=[
            GenesisAccount(address=bench_key(i).address.hex(), amount=100_000_000)
            for i in range(accounts)
        ]
    )
    return make_genesis(
        chain_id=GENESIS.chain_id,
        genesis_time_ms=GENESIS.genesis_time_ms,
        validators=GENESIS.validators,
        app_state={"bank": bank},
    )


def build_bank_chain(
    blocks: int, txs_per_block: int, accounts: int = 2_000, tx_bytes_target: int = TX_BYTES
) -> tuple[Genesis, list[SavedBlock]]:
    """Blocks 1..blocks of transfers among `accounts`; sender k % accounts, nonce k // accounts;
    a memo pads each signed tx to about `tx_bytes_target` bytes."""
    genesis = bank_genesis(accounts)
    keys = [bench_key(i) for i in range(accounts)]
    memo = compute_memo(keys[0], genesis.chain_id, tx_bytes_target)
    state = LedgerState.from_genesis(genesis)
    chain: list[SavedBlock] = []
    parent: Header | None = None
    k = 0
    for height in range(1, blocks + 1):
        txs = []
        for _ in range(txs_per_block):
            sender = k % accounts
            to = keys[choose_recipient(sender, k, accounts)].address
            txs.append(
                sign_tx(keys[sender], genesis.chain_id, k // accounts, Transfer(to, 1, memo))
            )
            k += 1
        proposer = VALIDATORS.get_proposer(height, 0).address
        time_ms = genesis.genesis_time_ms + height * 1000
        result = execute_block(
            state, genesis.chain_id, decode_block_txs(txs), BlockContext(height, time_ms, proposer)
        )
        last_commit = (
            None
            if parent is None
            else sign_commit(parent.height, compute_header_hash(parent), signers=3)
        )
        header = Header(
            chain_id=genesis.chain_id,
            height=height,
            time_ms=time_ms,
            prev_block_hash=(
                compute_genesis_hash(genesis) if parent is None else compute_header_hash(parent)
            ),
            last_commit_hash=compute_commit_hash(last_commit),
            txs_root=compute_txs_root(txs),
            tx_count=len(txs),
            receipts_root=result.receipts_root,
            app_hash=state.app_hash,
            validators_hash=VALIDATORS.hash,
            next_validators_hash=VALIDATORS.hash,
            proposer=proposer,
            evidence_hash=merkle.EMPTY_ROOT,
        )
        block = Block(header=header, txs=txs, last_commit=last_commit)
        apply_block_result(state, result, height)
        chain.append(
            SavedBlock(
                block_bytes=codec.encode(block),
                block=block,
                commit=sign_commit(height, compute_header_hash(header)),
                receipts=result.receipts,
                state_changes=result.changes,
                app_hash=state.app_hash,
            )
        )
        parent = header
    return genesis, chain
