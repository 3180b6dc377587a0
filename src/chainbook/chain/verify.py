"""Re-verify a book: each block against its parent, and each stored commit certificate.

Pure functions (no IO of their own; `verify_stored_chain` reads through the small `StoredChain`
interface it is given). Used at node start and by `chainbook verify`.

What a verified chain proves, block by block (heights 1..latest):

    verify_block_height         height == parent height + 1 (1 after genesis)
    verify_prev_block_hash      prev_block_hash == hash of the parent header (genesis hash at 1)
    verify_txs                  tx_count == len(txs), within limits, txs_root == RFC 6962 root
    verify_evidence_hash        at most limits.evidence_per_block_max pieces, evidence_hash ==
                                their RFC 6962 root (whether each piece is acceptable is the
                                ledger's check: ledger/evidence.py)
    verify_last_commit          last_commit_hash == hash of last_commit; at height 1 there is
                                none; above it, last_commit is a valid >2/3 commit for the parent
                                by the validator set of the PARENT's height
    verify_validators           validators_hash == the hash of the set of this height, and the
                                parent named this set as its next_validators_hash
    verify_next_validators      next_validators_hash == the hash of the set of the next height
                                (known two heights ahead; a wrong one would halt the chain at
                                the next block, so it is refused here)
    verify_proposer             the proposer is a validator (which round proposed the block is
                                not recorded in the header, so the exact proposer is not checked)
    verify_time                 time_ms strictly greater than the parent's
and the seen commit stored next to each block is a valid commit for that block, by the set of
its height.

Validator sets change by governance (apps/governance): the set of each height is a function of
the chain before it (the ledger state two heights back, ledger/validators.py). The walk asks a
`ValidatorSets` source for the set of each height just before checking that height, after
handing it the previous block (`on_block`), so a source that replays the blocks (the node's
book, core/book.py) answers from the chain itself, never from a config. Without a source, the
genesis set is used at every height: only a chain whose set never changed verifies that way.

Not checked here: the app hash, which needs executing the blocks (the node replays them through
the ledger and compares), and the time of block 1 against the genesis time.

Every failure raises InvalidBlock whose message starts with "block <height>:" and names what
mismatched, with both values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import msgspec

from chainbook import limits
from chainbook.chain.block import (
    Block,
    Header,
    compute_commit_hash,
    compute_header_hash,
    compute_txs_root,
    decode_block,
)
from chainbook.chain.commit import Commit, verify_commit
from chainbook.chain.evidence import compute_evidence_hash
from chainbook.chain.genesis import Genesis, compute_genesis_hash, get_genesis_validators
from chainbook.chain.validators import ValidatorSet
from chainbook.errors import DecodeError, InvalidBlock, StorageError
from chainbook.types import Hash, Height


def _short(value: bytes) -> str:
    return value.hex()[:16] if value else "(empty)"


def _fail(height: Height, what: str) -> InvalidBlock:
    return InvalidBlock(f"block {height}: {what}")


def verify_block_height(header: Header, parent: Header | None) -> None:
    expected = 1 if parent is None else parent.height + 1
    if header.height != expected:
        raise _fail(header.height, f"height is {header.height}, expected {expected}")


def verify_prev_block_hash(header: Header, parent: Header | None, genesis_hash: Hash) -> None:
    expected = genesis_hash if parent is None else compute_header_hash(parent)
    if header.prev_block_hash != expected:
        raise _fail(
            header.height,
            f"prev_block_hash is {_short(header.prev_block_hash)}, "
            f"expected {_short(expected)} ({'genesis' if parent is None else 'parent'} hash)",
        )


def verify_txs(block: Block) -> None:
    header = block.header
    if len(block.txs) > limits.block_txs_max:
        raise _fail(header.height, f"{len(block.txs)} txs, limit {limits.block_txs_max}")
    txs_bytes = sum(len(tx) for tx in block.txs)
    if txs_bytes > limits.block_bytes_max:
        raise _fail(header.height, f"{txs_bytes} tx bytes, limit {limits.block_bytes_max}")
    if header.tx_count != len(block.txs):
        raise _fail(header.height, f"tx_count is {header.tx_count}, block has {len(block.txs)}")
    txs_root = compute_txs_root(block.txs)
    if header.txs_root != txs_root:
        raise _fail(
            header.height,
            f"txs_root is {_short(header.txs_root)}, txs hash to {_short(txs_root)}",
        )


def verify_evidence_hash(block: Block) -> None:
    header = block.header
    if len(block.evidence) > limits.evidence_per_block_max:
        raise _fail(
            header.height,
            f"{len(block.evidence)} pieces of evidence, limit {limits.evidence_per_block_max}",
        )
    evidence_hash = compute_evidence_hash(block.evidence)
    if header.evidence_hash != evidence_hash:
        raise _fail(
            header.height,
            f"evidence_hash is {_short(header.evidence_hash)}, the evidence hashes to "
            f"{_short(evidence_hash)}",
        )


def verify_last_commit(
    chain_id: str, block: Block, parent: Header | None, parent_validators: ValidatorSet
) -> None:
    """`parent_validators` is the set of the parent's height: the one that signed it."""
    header = block.header
    commit_hash = compute_commit_hash(block.last_commit)
    if header.last_commit_hash != commit_hash:
        raise _fail(
            header.height,
            f"last_commit_hash is {_short(header.last_commit_hash)}, "
            f"last_commit hashes to {_short(commit_hash)}",
        )
    if parent is None:
        if block.last_commit is not None:
            raise _fail(header.height, "the first block carries a last_commit, expected none")
        return
    if block.last_commit is None:
        raise _fail(header.height, f"last_commit missing, expected the commit of {parent.height}")
    try:
        verify_commit(
            chain_id,
            parent_validators,
            block.last_commit,
            parent.height,
            compute_header_hash(parent),
        )
    except InvalidBlock as exc:
        raise _fail(header.height, f"last_commit: {exc}") from None


def verify_validators(header: Header, parent: Header | None, validators: ValidatorSet) -> None:
    if header.validators_hash != validators.hash:
        raise _fail(
            header.height,
            f"validators_hash is {_short(header.validators_hash)}, "
            f"the validator set hashes to {_short(validators.hash)}",
        )
    if parent is not None and parent.next_validators_hash != header.validators_hash:
        raise _fail(
            header.height,
            f"validators_hash is {_short(header.validators_hash)}, the parent named "
            f"{_short(parent.next_validators_hash)} as next_validators_hash",
        )


def verify_next_validators(header: Header, next_validators: ValidatorSet) -> None:
    if header.next_validators_hash != next_validators.hash:
        raise _fail(
            header.height,
            f"next_validators_hash is {_short(header.next_validators_hash)}, the validator set "
            f"of height {header.height + 1} hashes to {_short(next_validators.hash)}",
        )


def verify_proposer(header: Header, validators: ValidatorSet) -> None:
    if not validators.is_validator(header.proposer):
        raise _fail(header.height, f"proposer {_short(header.proposer)} is not a validator")


def verify_time(header: Header, parent: Header | None) -> None:
    if parent is not None and header.time_ms <= parent.time_ms:
        raise _fail(
            header.height,
            f"time_ms {header.time_ms} is not after the parent's {parent.time_ms}",
        )


def verify_block_against_parent(
    chain_id: str,
    block: Block,
    parent: Header | None,
    genesis_hash: Hash,
    validators: ValidatorSet,
    parent_validators: ValidatorSet | None = None,
    next_validators: ValidatorSet | None = None,
) -> None:
    """Check everything about `block` that its parent header and the validator sets decide.

    `validators` is the set of the block's height, `parent_validators` the set of the
    parent's (None: the same set, as in a chain where it did not change at this height),
    `next_validators` the set of the next height (None: not checked, for a verifier that does
    not know it yet).
    `parent` is None for the first block. Raises InvalidBlock naming the height and the
    mismatch. Does not check the app hash (that needs execution).
    """
    header = block.header
    if header.chain_id != chain_id:
        raise _fail(header.height, f"chain_id is {header.chain_id!r}, expected {chain_id!r}")
    verify_block_height(header, parent)
    verify_prev_block_hash(header, parent, genesis_hash)
    verify_txs(block)
    verify_evidence_hash(block)
    verify_last_commit(
        chain_id, block, parent, validators if parent_validators is None else parent_validators
    )
    verify_validators(header, parent, validators)
    if next_validators is not None:
        verify_next_validators(header, next_validators)
    verify_proposer(header, validators)
    verify_time(header, parent)


def verify_seen_commit(
    chain_id: str, block: Block, commit: Commit, validators: ValidatorSet
) -> None:
    """The commit certificate stored with `block` proves it final."""
    try:
        verify_commit(
            chain_id, validators, commit, block.header.height, compute_header_hash(block.header)
        )
    except InvalidBlock as exc:
        raise _fail(block.header.height, f"stored commit: {exc}") from None


class StoredChain(Protocol):
    """What verify_stored_chain reads; every chainbook.storage BlockStore provides it.

    Declared here so that this core module does not import the storage (runtime) package.
    Loads may raise StorageError (chainbook.errors.CorruptBook) for undecodable stored bytes.
    """

    def latest_height(self) -> Height: ...

    def load_block_bytes(self, height: Height) -> bytes | None: ...

    def load_commit(self, height: Height) -> Commit | None: ...


class ChainReport(msgspec.Struct, frozen=True):
    """The outcome of re-verifying a stored chain.

    Invariant: bad_height is None iff reason is None; when set, blocks 1..bad_height-1 verified
    (verified_count == bad_height - 1).
    """

    latest_height: Height
    verified_count: int
    bad_height: Height | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.bad_height is None


class ValidatorSets(Protocol):
    """The validator set of each height, derived from the chain (ledger/validators.py)."""

    def get_validators(self, height: Height) -> ValidatorSet: ...


class GenesisValidatorSets:
    """The genesis set at every height: right only for a chain whose set never changed."""

    def __init__(self, genesis: Genesis) -> None:
        self._validators = get_genesis_validators(genesis)

    def get_validators(self, height: Height) -> ValidatorSet:
        return self._validators


def verify_stored_chain(
    store: StoredChain,
    chain_id: str,
    genesis: Genesis,
    validator_sets: ValidatorSets | None = None,
    on_block: Callable[[Block], None] | None = None,
) -> ChainReport:
    """Walk blocks 1..latest: decode (canonical), verify against the parent with the sets of
    both heights, verify the stored seen commit, then hand the block to `on_block`. Stops at
    the first bad height and reports it with the reason.

    `on_block` (e.g. the ledger's replay) runs before the next height's set is asked for; it
    may raise InvalidBlock or StorageError to report its block's height as bad. A block
    missing below the latest height (a deleted row) is reported at its height. Reads one
    block at a time; keeps only the parent header.
    """
    genesis_hash = compute_genesis_hash(genesis)
    sets = validator_sets if validator_sets is not None else GenesisValidatorSets(genesis)
    latest = store.latest_height()
    parent: Header | None = None
    parent_validators: ValidatorSet | None = None
    for height in range(1, latest + 1):
        try:
            validators = sets.get_validators(height)
            block = _load_verified_block(
                store,
                chain_id,
                height,
                parent,
                genesis_hash,
                (parent_validators, validators, sets.get_validators(height + 1)),
            )
            if on_block is not None:
                on_block(block)
        except (InvalidBlock, StorageError) as exc:
            report = ChainReport(latest, height - 1, bad_height=height, reason=str(exc))
            assert report.verified_count == height - 1
            return report
        parent, parent_validators = block.header, validators
    return ChainReport(latest_height=latest, verified_count=latest)


def _load_verified_block(
    store: StoredChain,
    chain_id: str,
    height: Height,
    parent: Header | None,
    genesis_hash: Hash,
    sets: tuple[ValidatorSet | None, ValidatorSet, ValidatorSet],
) -> Block:
    """`sets`: those of the parent's height (None at height 1), this height and the next."""
    parent_validators, validators, next_validators = sets
    block_bytes = store.load_block_bytes(height)
    if block_bytes is None:
        raise _fail(height, "missing from the store")
    try:
        block = decode_block(block_bytes)
    except DecodeError as exc:
        raise _fail(height, f"stored bytes do not decode: {exc}") from None
    if block.header.height != height:
        raise _fail(height, f"stored block says height {block.header.height}")
    verify_block_against_parent(
        chain_id, block, parent, genesis_hash, validators, parent_validators, next_validators
    )
    commit = store.load_commit(height)
    if commit is None:
        raise _fail(height, "stored commit missing")
    verify_seen_commit(chain_id, block, commit, validators)
    return block


__all__ = [
    "ChainReport",
    "GenesisValidatorSets",
    "StoredChain",
    "ValidatorSets",
    "compute_genesis_hash",
    "compute_header_hash",
    "get_genesis_validators",
    "verify_block_against_parent",
    "verify_block_height",
    "verify_evidence_hash",
    "verify_last_commit",
    "verify_next_validators",
    "verify_prev_block_hash",
    "verify_proposer",
    "verify_seen_commit",
    "verify_stored_chain",
    "verify_time",
    "verify_txs",
    "verify_validators",
]
