"""Which evidence of equivocation the ledger accepts, into its pool and into a block.

Rules kept:
- A piece is acceptable on a state at committed height c for block b (b = c + 1) when: its
  shape holds (chain/evidence.py), its height e is 1 <= e <= c + 1 (a height that exists, or
  the one being decided), both signatures verify under the key the validator held in the set of
  height e (derived from the chain: ledger/governed.py), and the governing module accepts it
  (not older than its bound, the offence not recorded yet: apps/governance/evidence.py).
- A block may carry only pieces for heights below its own (e < b: the height of the evidence
  is decided), at most limits.evidence_per_block_max of them (chain/verify.py), and no offence
  twice. Any piece that fails makes the whole block invalid (InvalidBlock naming its index).
- Without a governing module nothing applies evidence, so a block must carry none.
"""

from __future__ import annotations

from collections.abc import Sequence

from chainbook.apps.base import PrefixedReader
from chainbook.chain.evidence import (
    DuplicateVoteEvidence,
    InvalidEvidence,
    Offence,
    get_offence,
    verify_evidence_shape,
    verify_evidence_signatures,
)
from chainbook.errors import InvalidBlock
from chainbook.ledger.governed import GovernedChain
from chainbook.ledger.state import LedgerState
from chainbook.types import Height


def verify_evidence(
    state: LedgerState,
    chain_id: str,
    governed: GovernedChain,
    evidence: DuplicateVoteEvidence,
    *,
    check_signatures: bool = True,
) -> None:
    """Acceptable on `state` (module docstring); raises InvalidEvidence naming the reason."""
    verify_evidence_shape(evidence)
    governor = state.registry.governor
    if governor is None or governor.governs is None:
        raise InvalidEvidence("no module of this chain applies evidence")
    height = evidence.height
    if height > state.height + 1:
        raise InvalidEvidence(
            f"evidence for height {height}, a height that does not exist yet (committed "
            f"height {state.height})"
        )
    if check_signatures:
        verify_evidence_signatures(chain_id, governed.get_validators(state, height), evidence)
    governor.governs.verify_evidence(
        PrefixedReader(state.kv, governor.prefix), state.height + 1, evidence
    )


def verify_block_evidence(
    state: LedgerState,
    chain_id: str,
    governed: GovernedChain,
    block_height: Height,
    evidence: Sequence[DuplicateVoteEvidence],
) -> None:
    """Every piece of a proposed block at `block_height` (= state.height + 1) is acceptable."""
    assert block_height == state.height + 1
    offences: set[Offence] = set()
    for index, piece in enumerate(evidence):
        try:
            verify_evidence(state, chain_id, governed, piece)
            if piece.height >= block_height:
                raise InvalidEvidence(
                    f"evidence for height {piece.height} in block {block_height}: a block "
                    "carries evidence of lower heights only"
                )
        except InvalidEvidence as exc:
            raise InvalidBlock(f"block {block_height}: evidence {index}: {exc}") from None
        offence = get_offence(piece)
        if offence in offences:
            raise InvalidBlock(
                f"block {block_height}: evidence {index} repeats an offence of the same block"
            )
        offences.add(offence)


def select_evidence(
    state: LedgerState,
    chain_id: str,
    governed: GovernedChain,
    candidates: Sequence[DuplicateVoteEvidence],
    count_max: int,
) -> list[DuplicateVoteEvidence]:
    """The pool's pieces a proposer may put in the next block (signatures were checked when
    they entered the pool; the sets of past heights never change)."""
    chosen: list[DuplicateVoteEvidence] = []
    offences: set[Offence] = set()
    for piece in candidates:
        if len(chosen) >= count_max:
            break
        if piece.height > state.height or get_offence(piece) in offences:
            continue
        try:
            verify_evidence(state, chain_id, governed, piece, check_signatures=False)
        except InvalidEvidence:
            continue
        chosen.append(piece)
        offences.add(get_offence(piece))
    return chosen


__all__ = ["select_evidence", "verify_block_evidence", "verify_evidence"]
