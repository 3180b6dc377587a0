"""The proof that goes with a snapshot: which state root it must hash to, from genesis.

A snapshot of height C is the state after block C; header C + 1 carries its root (the app
hash lags one block). The serving peer sends, with its offer's height (`SnapshotProof`):

    hops         the chain of validator-set changes up to C: each the header h whose
                 next_validators_hash differs from its validators_hash, its commit, the new set
                 (in force from h + 1); as a light client follows them (client/light.py)
    base_block   block C without its transactions (its header and last_commit: what a pruned
                 book keeps of it, storage/pruning.py), and base_commit, its commit
    next_header  header C + 1, and next_commit, its commit

Rules kept (verify_snapshot_proof; CometBFT's light client, sequential, is the model):
- Trust starts from the genesis file alone: its chain id and validator set, in force from 1.
- A hop is taken only if its header is for this chain, above the previous hop and at most C,
  names the set in force (validators_hash), is certified by > 2/3 of that set's power (every
  signature checked), changes the set, and the new set hashes to next_validators_hash.
- Header C + 1 must name the set the hops reach at C + 1 and be certified by it; block C's
  header must be C + 1's parent (its hash is C + 1's prev_block_hash), name the set of C, and
  be certified by base_commit under it; its last_commit must certify block C - 1 under the set
  of C - 1 (or, at height 1, be absent with the genesis hash as parent).
- What comes out (`VerifiedAnchor`) is everything the node stores besides the state: the
  block C row (pruned form), its commit, and the hops (kept in the book, so that the node can
  serve the same proof to the next one, `chainbook verify` can check them again, and its
  receipt files and state proofs carry them).
- Serving (`build_validator_hops`, for the snapshot proof and for the API's validator-change
  evidence, api/proof_routes.py): a hop is read from the header and commit rows every book
  keeps, pruned or not (storage/pruning.py), or below the base of a state-synced book from
  its stored hops; never from a whole block.
- The counts a peer controls are bounded (PROOF_HOPS_MAX); a proof that does not hold raises
  InvalidSnapshotProof naming the first check that failed.

Pure: no IO but the read-only ProofBook port when serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import msgspec

from chainbook import codec
from chainbook.chain.block import Block, Header, compute_commit_hash, compute_header_hash
from chainbook.chain.commit import Commit, verify_commit
from chainbook.chain.genesis import Genesis
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.errors import DecodeError, InvalidBlock
from chainbook.types import Hash, Height

PROOF_HOPS_MAX = 1_000
"""Most validator-set changes a snapshot proof may carry (as a proof document,
api/proof_views.py VALIDATOR_CHANGES_MAX)."""


class ValidatorHop(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """One change of the validator set: header h (encoded), its commit, the set of h + 1."""

    header: bytes
    commit: bytes
    validators: bytes
    """The encoded list of the new validators."""


class SnapshotProof(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    height: Height
    hops: list[ValidatorHop]
    base_block: bytes
    base_commit: bytes
    next_header: bytes
    next_commit: bytes


class InvalidSnapshotProof(DecodeError):
    """A snapshot proof does not hold; the message names the check and the values."""


@dataclass(frozen=True, slots=True)
class VerifiedAnchor:
    """What a verified proof establishes for height C."""

    height: Height
    app_hash: Hash
    """Header C + 1's app hash: the root the snapshot's state must have."""
    base_block: Block
    """Block C's header and last_commit (no transactions)."""
    base_block_bytes: bytes
    base_commit: Commit
    hops: list[ValidatorHop]


class ProofBook(Protocol):
    """What serving a proof reads from the node's book (every chainbook store)."""

    def load_state_sync_hops(self) -> list[tuple[bytes, bytes, bytes]]:
        """The hops a state-synced book was started with (header, commit, validators bytes;
        empty for a book synced from genesis): the headers below its first block."""
        ...

    def load_header_and_last_commit(
        self, height: Height
    ) -> tuple[Header, Commit | None] | None: ...

    def load_commit(self, height: Height) -> Commit | None: ...


class ValidatorHopMissing(LookupError):
    """The book holds neither the header and commit of a validator-set change nor a stored
    hop for it (a book that lost them: nothing an honest chainbook store does)."""

    def __init__(self, height: Height) -> None:
        super().__init__(
            f"the header and commit of the validator-set change at height {height} are not in "
            "this node's book"
        )
        self.height = height


def build_validator_hops(
    book: ProofBook, changes: list[tuple[Height, ValidatorSet]]
) -> list[ValidatorHop]:
    """The evidence of each change in `changes` (NodeLedger.get_validator_changes), oldest
    first: the header and commit of its height, from the book's own rows (a whole block or a
    pruned one: pruning keeps every header and commit) or, below the base of a book started
    by state sync, from the hops that proved its snapshot. Raises ValidatorHopMissing."""
    stored = {
        codec.decode(parts[0], Header).height: ValidatorHop(*parts)
        for parts in book.load_state_sync_hops()
    }
    hops: list[ValidatorHop] = []
    for hop_height, validators in changes:
        hop = stored.get(hop_height)
        if hop is None:
            found = book.load_header_and_last_commit(hop_height)
            commit = book.load_commit(hop_height)
            if found is None or commit is None:
                raise ValidatorHopMissing(hop_height)
            hop = ValidatorHop(
                header=codec.encode(found[0]),
                commit=codec.encode(commit),
                validators=codec.encode(validators.validators),
            )
        hops.append(hop)
    return hops


def build_snapshot_proof(
    book: ProofBook, changes: list[tuple[Height, ValidatorSet]], height: Height
) -> SnapshotProof | None:
    """The proof of a snapshot of `height`, from the book; None if the book lacks a part.
    `changes` are the validator-set changes below height + 1 (NodeLedger)."""
    try:
        hops = build_validator_hops(book, changes)
    except ValidatorHopMissing:
        return None
    base = book.load_header_and_last_commit(height)
    base_commit = book.load_commit(height)
    following = book.load_header_and_last_commit(height + 1)
    next_commit = book.load_commit(height + 1)
    if base is None or base_commit is None or following is None or next_commit is None:
        return None
    return SnapshotProof(
        height=height,
        hops=hops,
        base_block=codec.encode(Block(header=base[0], txs=[], last_commit=base[1])),
        base_commit=codec.encode(base_commit),
        next_header=codec.encode(following[0]),
        next_commit=codec.encode(next_commit),
    )


class _Sets:
    """The validator set in force at each height, as the verified hops give it."""

    def __init__(self, genesis_set: ValidatorSet) -> None:
        self._from: list[tuple[Height, ValidatorSet]] = [(1, genesis_set)]

    def add(self, from_height: Height, validators: ValidatorSet) -> None:
        self._from.append((from_height, validators))

    def at(self, height: Height) -> ValidatorSet:
        return next(s for h, s in reversed(self._from) if h <= height)


def _decode(what: str, data: bytes, type_: type[msgspec.Struct]) -> msgspec.Struct:
    try:
        return codec.decode_canonical(data, type_)
    except DecodeError as exc:
        raise InvalidSnapshotProof(f"{what}: {exc}") from None


def _verify_certified(
    what: str, chain_id: str, validators: ValidatorSet, header: Header, commit: Commit
) -> None:
    if header.chain_id != chain_id:
        raise InvalidSnapshotProof(f"{what}: chain {header.chain_id!r}, expected {chain_id!r}")
    if header.validators_hash != validators.hash:
        raise InvalidSnapshotProof(
            f"{what}: header {header.height} names validator set "
            f"{header.validators_hash.hex()[:16]}, the set in force there is "
            f"{validators.hash.hex()[:16]} (a validator-set change is missing or forged)"
        )
    try:
        verify_commit(chain_id, validators, commit, header.height, compute_header_hash(header))
    except InvalidBlock as exc:
        raise InvalidSnapshotProof(f"{what}: commit certificate: {exc}") from None


def _verify_hops(genesis: Genesis, hops: list[ValidatorHop], height: Height) -> _Sets:
    if len(hops) > PROOF_HOPS_MAX:
        raise InvalidSnapshotProof(f"{len(hops)} validator-set changes, at most {PROOF_HOPS_MAX}")
    sets = _Sets(genesis.validator_set)
    last = 0
    for number, hop in enumerate(hops):
        what = f"validator change {number}"
        header = _decode(f"{what} header", hop.header, Header)
        commit = _decode(f"{what} commit", hop.commit, Commit)
        assert isinstance(header, Header) and isinstance(commit, Commit)
        try:
            new_set = ValidatorSet(codec.decode_canonical(hop.validators, list[Validator]))
        except (DecodeError, ValueError) as exc:
            raise InvalidSnapshotProof(f"{what} validators: {exc}") from None
        if not last < header.height <= height:
            raise InvalidSnapshotProof(
                f"{what}: at height {header.height}; changes go in increasing height order, "
                f"after {last} and at most {height}"
            )
        _verify_certified(what, genesis.chain_id, sets.at(header.height), header, commit)
        if header.next_validators_hash == header.validators_hash:
            raise InvalidSnapshotProof(f"{what}: header {header.height} changes no validator")
        if new_set.hash != header.next_validators_hash:
            raise InvalidSnapshotProof(
                f"{what}: the new set hashes to {new_set.hash.hex()[:16]}, the header "
                f"announces {header.next_validators_hash.hex()[:16]}"
            )
        sets.add(header.height + 1, new_set)
        last = header.height
    return sets


def verify_snapshot_proof(genesis: Genesis, proof: SnapshotProof, height: Height) -> VerifiedAnchor:
    """Check `proof` for a snapshot of `height` (module docstring); InvalidSnapshotProof."""
    if proof.height != height:
        raise InvalidSnapshotProof(f"proof for height {proof.height}, asked for {height}")
    chain_id = genesis.chain_id
    sets = _verify_hops(genesis, proof.hops, height)
    following = _decode("header C + 1", proof.next_header, Header)
    next_commit = _decode("commit C + 1", proof.next_commit, Commit)
    base = _decode("block C", proof.base_block, Block)
    base_commit = _decode("commit C", proof.base_commit, Commit)
    assert isinstance(following, Header) and isinstance(next_commit, Commit)
    assert isinstance(base, Block) and isinstance(base_commit, Commit)
    if following.height != height + 1 or base.header.height != height:
        raise InvalidSnapshotProof(
            f"headers at {base.header.height} and {following.height}, expected {height} and "
            f"{height + 1}"
        )
    _verify_certified("header C + 1", chain_id, sets.at(height + 1), following, next_commit)
    header = base.header
    if compute_header_hash(header) != following.prev_block_hash:
        raise InvalidSnapshotProof(f"block {height} is not the parent of header {height + 1}")
    if base.txs or base.evidence:
        raise InvalidSnapshotProof(f"block {height} is sent with its transactions or evidence")
    _verify_certified("block C", chain_id, sets.at(height), header, base_commit)
    _verify_base_last_commit(genesis, base, sets)
    return VerifiedAnchor(
        height=height,
        app_hash=following.app_hash,
        base_block=base,
        base_block_bytes=proof.base_block,
        base_commit=base_commit,
        hops=list(proof.hops),
    )


def verify_book_base(
    genesis: Genesis, hops: list[ValidatorHop], base: Block, commit: Commit
) -> None:
    """A state-synced book's first block checked again from the genesis file (`chainbook
    verify`): its stored hops, the block certified by its commit under the set they reach,
    and its last_commit. InvalidSnapshotProof names what does not hold."""
    height = base.header.height
    sets = _verify_hops(genesis, hops, height)
    _verify_certified(f"block {height}", genesis.chain_id, sets.at(height), base.header, commit)
    _verify_base_last_commit(genesis, base, sets)


def _verify_base_last_commit(genesis: Genesis, base: Block, sets: _Sets) -> None:
    header = base.header
    if header.last_commit_hash != compute_commit_hash(base.last_commit):
        raise InvalidSnapshotProof(f"block {header.height}: last_commit does not match its hash")
    if header.height == 1:
        if base.last_commit is not None or header.prev_block_hash != genesis.hash:
            raise InvalidSnapshotProof("block 1 must carry no last_commit and follow genesis")
        return
    if base.last_commit is None:
        raise InvalidSnapshotProof(f"block {header.height}: last_commit missing")
    parent = header.height - 1
    try:
        verify_commit(
            genesis.chain_id, sets.at(parent), base.last_commit, parent, header.prev_block_hash
        )
    except InvalidBlock as exc:
        raise InvalidSnapshotProof(f"block {header.height}: last_commit: {exc}") from None


__all__ = [
    "PROOF_HOPS_MAX",
    "InvalidSnapshotProof",
    "ProofBook",
    "SnapshotProof",
    "ValidatorHop",
    "ValidatorHopMissing",
    "VerifiedAnchor",
    "build_snapshot_proof",
    "build_validator_hops",
    "verify_book_base",
    "verify_snapshot_proof",
]
