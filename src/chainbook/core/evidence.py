"""The evidence pool: equivocations this node can prove, until a block commits them.

Rules kept:
- A piece enters only after it is verified against the chain (ledger/evidence.py: shape, a
  known height, both signatures under the validator's key of that height, not too old, not
  recorded yet), so a peer can fill the pool only with real equivocations. Pieces come from
  this node's consensus machine (EvidenceFound: it saw both votes) or from a peer's
  EvidenceMessage (core/wire.py).
- One piece per offence (chain/evidence.py Offence); a second piece for the same slot is an
  explicit, counted no-op. At most limits.evidence_pool_max pieces; beyond, new ones are
  dropped and counted.
- After each commit the pool forgets what the block carried and what the ledger would no longer
  accept (recorded already, or past governance's age bound): `prune` re-checks each piece
  without its signatures.
- The pool is volatile (a restart empties it): every node that saw both votes holds the piece,
  and each re-sends its pool with its votes (core/node.py), so a lost message or a crashed
  node does not lose the evidence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from chainbook import limits
from chainbook.chain.evidence import DuplicateVoteEvidence, InvalidEvidence, Offence, get_offence


class EvidencePool:
    """Verified pending evidence, by offence, in arrival order."""

    def __init__(self, pieces_max: int = limits.evidence_pool_max) -> None:
        self.pieces_max = pieces_max
        self._pieces: dict[Offence, DuplicateVoteEvidence] = {}
        self.counters: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._pieces)

    def __contains__(self, offence: object) -> bool:
        return offence in self._pieces

    def add(
        self,
        evidence: DuplicateVoteEvidence,
        verify: Callable[[DuplicateVoteEvidence], None],
    ) -> bool:
        """Keep `evidence` if it is a new offence that `verify` accepts; True when kept.

        `verify` raises InvalidEvidence (the ledger's check on the committed state).
        """
        offence = get_offence(evidence)
        if offence in self._pieces:
            self.counters["evidence_duplicate"] += 1
            return False
        if len(self._pieces) >= self.pieces_max:
            self.counters["evidence_pool_full"] += 1
            return False
        try:
            verify(evidence)
        except InvalidEvidence:
            self.counters["evidence_refused"] += 1
            return False
        self._pieces[offence] = evidence
        self.counters["evidence_added"] += 1
        return True

    def candidates(self) -> list[DuplicateVoteEvidence]:
        """Every pending piece, oldest first (the ledger picks what fits a block)."""
        return list(self._pieces.values())

    def prune(self, is_acceptable: Callable[[DuplicateVoteEvidence], bool]) -> None:
        """After a commit: drop every piece the ledger would no longer accept."""
        for offence, piece in list(self._pieces.items()):
            if not is_acceptable(piece):
                del self._pieces[offence]
                self.counters["evidence_pruned"] += 1


__all__ = ["EvidencePool", "InvalidEvidence"]
