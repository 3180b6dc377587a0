"""Block execution: the replicated state machine's transition, pure and deterministic.

    execute_block(state, chain_id, txs, ctx) -> BlockResult     (reads state, never changes it)
    apply_block_result(state, result, height)                   (the commit: changes state)

Execution of block h over the committed state at h - 1:
 0. get_min_fee_per_byte: the minimum fee of the block, read once on the committed state: the
    governed parameter's value at h (apps/fee_rule.py); the mempool reads the same value for
    the transactions it admits for block h.
 1. process_begin_block: each module's begin_block hook, in registry order (the bank mints the
    block reward to ctx.proposer, see apps/bank/process.py).
 2. For each transaction, in block order:
    a. verify_tx_nonce: its nonce must equal the sender's nonce, else the whole block is
       invalid (InvalidBlock naming the index, expected and got). Admission enforces the same
       rule, so an honest proposer never builds such a block.
    b. decode_action through the registry; an undecodable or unknown action also makes the
       block invalid (the proposer ran the same check at admission).
    c. Authorizer.verify_sender (ledger/authorization.py): the keys must speak for the sender,
       else the block is invalid (the sender's policy changes only through its own earlier
       transactions, which admission applied first).
    d. process_fee: the sender pays its fee (apps/fee_rule.py), kept whatever the action's
       outcome. A fee below the minimum or one the sender cannot pay makes the block invalid:
       admission ran the same check on the sender's speculative state, and an account's coins
       leave it only through its own transactions (the bank's transfer moves coins only from
       the transaction's sender or the calling module's own account), so what admission saw
       the sender could pay, it can pay here.
    e. process_nonce_increment: the nonce advances whatever the action's outcome.
    f. Authorizer.verify_cosigners (every co-signer spoken for), then process_action: the
       module runs on a per-transaction overlay. Success merges its writes and yields an ok
       receipt with its events; an InvalidTransaction (a co-signer no longer spoken for
       included) discards its writes and yields a failed receipt (ok=False, code=exc.code,
       error=str(exc)).
 3. The receipts root.

Signatures are not checked here: they were checked once at admission (mempool) or by
verify_block_txs for transactions the node had not seen; replay from the node's own book takes
DecodedTx from chain.tx.decode_tx. That keeps execution to dict lookups and a few encodes.

What a header commits to (chain/block.py):
- receipts_root(h): the RFC 6962 root over block h's receipts (ledger/receipts.py),
  computed here with the block: the outcome of h is proven by header h.
- app_hash(h): the root of the state tree after block h - 1 (ledger/state_tree.py), the
  state's whole content as an authenticated map. The tree is updated once per block, after the
  block is decided (`compute_state_tree`, called by the node core while the commit timeout
  runs), so the proposer and the voters of block h never wait for the tree of h: they only
  compare header h's app_hash with the root they computed after h - 1. Two nodes that diverge
  in an outcome refuse block h; two that diverge in a state value refuse block h + 1.

The tree costs O(changed keys) per block, with each touched node rebuilt once per batch
(tests/ledger/bench_state_tree.py, docs/BENCHMARKS.md for the measured cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from chainbook.apps.base import BlockContext, KVReader, PrefixedReader, PrefixedView, TxContext
from chainbook.apps.registry import Registry
from chainbook.chain.block import Block
from chainbook.chain.tx import DecodedTx, decode_tx, tx_hash, verify_tx
from chainbook.errors import (
    CorruptBook,
    FeeNotAccepted,
    InvalidBlock,
    InvalidInput,
    InvalidTransaction,
)
from chainbook.ledger.authorization import Authorizer
from chainbook.ledger.receipts import Event, Receipt, compute_receipts_root
from chainbook.ledger.state import (
    LedgerState,
    StateView,
    TxOverlay,
    get_nonce,
    merge_into_parent,
    process_nonce_increment,
)
from chainbook.ledger.state_tree import StateTree
from chainbook.types import Amount, Hash, Height, TimeMs


class BlockResult(msgspec.Struct, frozen=True):
    """What executing a block did; valid only on top of the state at height - 1 it ran on."""

    height: Height
    time_ms: TimeMs
    changes: dict[bytes, bytes | None]
    """Every key written by the block: its new value, or None when deleted."""
    events: list[Event]
    """Block-level events (begin_block hooks, e.g. the bank's mint)."""
    receipts: list[Receipt]
    """One per transaction, in block order."""
    receipts_root: Hash
    """What the block's header must carry (ledger/receipts.py)."""


class TxLookup(Protocol):
    """Transactions the node already admitted, by hash (the Mempool satisfies it)."""

    def get(self, tx_hash: Hash, /) -> DecodedTx | None: ...


# --- the transition -------------------------------------------------------------------------


def execute_block(
    state: LedgerState, chain_id: str, txs: Sequence[DecodedTx], ctx: BlockContext
) -> BlockResult:
    """Execute block ctx.height over `state` (height ctx.height - 1); `state` is not changed.

    Raises InvalidBlock when the block cannot be executed (wrong nonce, undecodable action,
    foreign chain id); a refused action only fails its own receipt.
    """
    assert ctx.height == state.height + 1, (ctx.height, state.height)
    registry = state.registry
    min_fee_per_byte = get_min_fee_per_byte(registry, state.kv, ctx.height)
    block_view = StateView(state.kv)
    authorizer = Authorizer(registry, block_view)
    events = process_begin_block(registry, block_view, ctx)
    receipts = [
        process_tx(registry, block_view, chain_id, ctx, index, tx, min_fee_per_byte, authorizer)
        for index, tx in enumerate(txs)
    ]
    changes = block_view.writes
    return BlockResult(
        height=ctx.height,
        time_ms=ctx.time_ms,
        changes=changes,
        events=events,
        receipts=receipts,
        receipts_root=compute_receipts_root(receipts),
    )


def process_begin_block(registry: Registry, view: StateView, ctx: BlockContext) -> list[Event]:
    events: list[Event] = []
    for module in registry.modules:
        if module.begin_block is not None:
            events.extend(module.begin_block(PrefixedView(view, module.prefix), ctx))
    return events


def process_tx(
    registry: Registry,
    view: StateView,
    chain_id: str,
    ctx: BlockContext,
    index: int,
    tx: DecodedTx,
    min_fee_per_byte: Amount,
    authorizer: Authorizer,
) -> Receipt:
    """`authorizer`: built on `view` (execute_block builds one per block)."""
    verify_tx_chain_id(chain_id, index, tx)
    nonce = verify_tx_nonce(view, index, tx)
    action = decode_block_action(registry, index, tx)
    tx_ctx = make_tx_context(chain_id, ctx.height, ctx.time_ms, nonce, tx)
    try:
        authorizer.verify_sender(tx)
        if tx.fee or min_fee_per_byte:
            process_fee(registry, view, tx_ctx, tx, min_fee_per_byte)
    except InvalidTransaction as exc:
        raise InvalidBlock(f"tx {index} ({tx.hash.hex()}): {exc}") from None
    process_nonce_increment(view, tx.sender, nonce)
    authorizer.note_action(action)
    try:
        if len(tx.accounts) > 1:
            authorizer.verify_cosigners(tx)
        events = process_action(registry, view, tx_ctx, action)
    except InvalidTransaction as exc:
        return Receipt(tx.hash, ctx.height, index, False, exc.code, str(exc), [])
    return Receipt(tx.hash, ctx.height, index, True, "", "", events)


def make_tx_context(
    chain_id: str, height: Height, time_ms: TimeMs, nonce: int, tx: DecodedTx
) -> TxContext:
    # Positional, in field order (cheaper than keywords; one per transaction).
    return TxContext(
        chain_id, height, time_ms, tx.sender, nonce, tx.hash, tx.accounts, tx.key_addresses
    )


def process_action(
    registry: Registry,
    view: StateView,
    ctx: TxContext,
    action: msgspec.Struct,
    writes: dict[bytes, bytes | None] | None = None,
) -> list[Event]:
    """Run the action's module on a sub-overlay of `view`; merge its writes only on success.

    `writes`, when given, are earlier writes of the same transaction not yet merged (the
    mempool's fee): the action sees them, and they merge with its own, or not at all.
    Raises the module's InvalidTransaction unchanged (and `view` is then untouched). Shared by
    execution and the mempool's speculative admission, so both apply the same rules.
    """
    module = registry.module_for(action)
    tx_view = TxOverlay(view, module, registry, writes)
    events = module.process(tx_view, ctx, action)
    merge_into_parent(tx_view, view)
    return events


# --- fees -----------------------------------------------------------------------------------


def get_min_fee_per_byte(registry: Registry, view: KVReader, height: Height) -> Amount:
    """The minimum fee per byte of signed transaction of block `height` on the committed
    state `view` (height <= committed + 2; 0 without a module that charges fees).

    The one place the ledger reads it (apps/fee_rule.py): the governed parameter's value at
    `height` on a governed chain, else the fee module's genesis value.
    """
    charger = registry.fee_charger
    if charger is None or charger.charges_fees is None:
        return 0
    rule = charger.charges_fees
    governor = registry.governor
    if rule.param is not None and governor is not None and governor.governs is not None:
        values = governor.governs.params(PrefixedReader(view, governor.prefix), height)
        assert rule.param in values, f"governed parameter {rule.param} missing from state"
        return values[rule.param]
    return rule.min_fee_per_byte(PrefixedReader(view, charger.prefix))


def process_fee(
    registry: Registry,
    view: StateView,
    ctx: TxContext,
    tx: DecodedTx,
    min_fee_per_byte: Amount,
    writes: dict[bytes, bytes | None] | None = None,
) -> None:
    """The sender pays `tx.fee` (apps/fee_rule.py), or the InvalidTransaction that says why
    not is raised and `view` is untouched.

    Without `writes` the payment is merged into `view` at once (execution: it is kept even if
    the action is refused); with `writes` it is left there, for process_action to merge with
    the action's writes (the mempool: a refused transaction changes nothing).
    """
    if tx.fee == 0 and min_fee_per_byte == 0:
        return  # a chain without fees: nothing to pay, nothing to check
    charger = registry.fee_charger
    if charger is None or charger.charges_fees is None:
        raise FeeNotAccepted(f"this chain charges no fees; the fee must be 0, got {tx.fee}")
    overlay = TxOverlay(view, charger, registry, writes)
    charger.charges_fees.charge(overlay, ctx, tx.fee, len(tx.tx_bytes), min_fee_per_byte)
    if writes is None:
        merge_into_parent(overlay, view)


def verify_tx_chain_id(chain_id: str, index: int, tx: DecodedTx) -> None:
    if tx.chain_id != chain_id:
        raise InvalidBlock(
            f"tx {index} ({tx.hash.hex()}) is for chain {tx.chain_id!r}, this is {chain_id!r}"
        )


def verify_tx_nonce(view: StateView, index: int, tx: DecodedTx) -> int:
    expected = get_nonce(view, tx.sender)
    if tx.nonce != expected:
        raise InvalidBlock(
            f"tx {index} ({tx.hash.hex()}): invalid nonce for sender {tx.sender.hex()}: "
            f"expected {expected}, got {tx.nonce}"
        )
    return expected


def decode_block_action(registry: Registry, index: int, tx: DecodedTx) -> msgspec.Struct:
    try:
        return registry.decode_action(tx.action_bytes)
    except InvalidInput as exc:
        raise InvalidBlock(f"tx {index} ({tx.hash.hex()}): {exc}") from None


# --- the state tree -------------------------------------------------------------------------


def compute_state_tree(state: LedgerState, result: BlockResult) -> StateTree:
    """The state tree after `result` (its root is the next header's app_hash); `state` is not
    changed. One batch over every key the block changed."""
    assert result.height == state.height + 1, (result.height, state.height)
    return state.tree.update(result.changes)


# --- the commit -----------------------------------------------------------------------------


def apply_block_result(
    state: LedgerState, result: BlockResult, height: Height, tree: StateTree | None = None
) -> None:
    """Commit: write `result` into `state` in place. Call only for a committed block.

    `tree` is compute_state_tree(state, result) when the caller computed it already (the node
    core does, to store the app hash with the block); None computes it here.

    Invariants (a violation is a bug and stops the node): the height grows by one, and every
    module's invariants hold (the bank: supply within its cap, no negative balance, coins only
    created by minting).
    """
    assert height == result.height == state.height + 1, (height, result.height, state.height)
    if tree is None:
        tree = compute_state_tree(state, result)
    assert_module_invariants(state, result)
    kv = state.kv
    for key, value in result.changes.items():
        if value is None:
            kv.pop(key, None)
        else:
            kv[key] = value
    state.height = height
    state.previous_tree = state.tree
    state.tree = tree
    state.app_hash = tree.root
    state.time_ms = result.time_ms
    assert all(kv.get(key) == value for key, value in result.changes.items())


def assert_module_invariants(state: LedgerState, result: BlockResult) -> None:
    after = StateView(state.kv)
    after.writes = result.changes
    # One pass over the changes (a module's prefix is its name and "/", a name has no "/"),
    # not one per module: a block of transfers changes thousands of keys.
    changed_by_prefix: dict[bytes, list[bytes]] = {}
    for key in result.changes:
        cut = key.find(b"/") + 1
        changed_by_prefix.setdefault(key[:cut], []).append(key[cut:])
    for module in state.registry.modules:
        if module.assert_invariants is None:
            continue
        prefix = module.prefix
        changed = changed_by_prefix.get(prefix, [])
        module.assert_invariants(
            PrefixedReader(state.kv, prefix), PrefixedReader(after, prefix), changed
        )


# --- transactions of a block ----------------------------------------------------------------


def verify_block_txs(
    chain_id: str,
    txs: Sequence[bytes],
    lookup: TxLookup | None = None,
    hashes: Sequence[Hash] | None = None,
) -> list[DecodedTx]:
    """Decode a proposed block's transactions, verifying each signature once.

    A transaction the node already admitted (found in `lookup`, e.g. its Mempool) is reused
    as is; any other is verified now (chain id and signature). `hashes`, when given, are the
    transactions' hashes already computed (Block.tx_hashes), so none is hashed twice. Raises
    InvalidBlock naming the transaction's index and the reason.
    """
    if hashes is None:
        hashes = [tx_hash(tx) for tx in txs]
    assert len(hashes) == len(txs)
    decoded: list[DecodedTx] = []
    for index, (tx_bytes, hash_) in enumerate(zip(txs, hashes, strict=True)):
        known = lookup.get(hash_) if lookup is not None else None
        if known is not None:
            decoded.append(known)
            continue
        try:
            decoded.append(verify_tx(chain_id, tx_bytes, hash_=hash_))
        except InvalidInput as exc:
            raise InvalidBlock(f"tx {index}: {exc}") from None
    return decoded


def decode_block_txs(txs: Sequence[bytes]) -> list[DecodedTx]:
    """Decode without checking signatures: for replaying the node's own verified book."""
    decoded: list[DecodedTx] = []
    for index, tx_bytes in enumerate(txs):
        try:
            decoded.append(decode_tx(tx_bytes))
        except InvalidInput as exc:
            raise InvalidBlock(f"tx {index}: {exc}") from None
    return decoded


def replay_block(state: LedgerState, block: Block) -> BlockResult:
    """Re-execute a block of the node's own committed book and commit it (startup rebuild).

    Signatures are not re-checked (the book's blocks carry commit certificates verified when
    stored, and their evidence was checked when they were decided). The header's app hash must
    be the root of the state it runs on, and the recomputed receipts root the header's, else
    the book is corrupt.
    """
    header = block.header
    if header.app_hash != state.app_hash:
        raise CorruptBook(
            f"block {header.height}: app hash {header.app_hash.hex()} in the header, the state "
            f"after block {state.height} has root {state.app_hash.hex()}",
            height=header.height,
        )
    try:
        txs = decode_block_txs(block.txs)
        ctx = BlockContext(
            header.height, header.time_ms, header.proposer, tuple(block.evidence)
        )
        result = execute_block(state, header.chain_id, txs, ctx)
    except InvalidBlock as exc:
        message = f"block {header.height} does not execute: {exc}"
        raise CorruptBook(message, height=header.height) from None
    if result.receipts_root != header.receipts_root:
        raise CorruptBook(
            f"block {header.height}: receipts root {result.receipts_root.hex()} recomputed, "
            f"header has {header.receipts_root.hex()}",
            height=header.height,
        )
    apply_block_result(state, result, header.height)
    return result


__all__ = [
    "BlockContext",
    "BlockResult",
    "TxContext",
    "TxLookup",
    "apply_block_result",
    "compute_state_tree",
    "decode_block_txs",
    "execute_block",
    "get_min_fee_per_byte",
    "make_tx_context",
    "process_action",
    "process_fee",
    "process_tx",
    "replay_block",
    "verify_block_txs",
    "verify_tx_chain_id",
    "verify_tx_nonce",
]
