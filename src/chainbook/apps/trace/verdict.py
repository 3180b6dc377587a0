"""The verdict on an item: complete, or the gaps found, with a score.

A gap is a missing link of the chain from manufacturer to holder:
- `handoff_not_accepted`: a hand-off waits for its receiver (custody is in doubt);
- `unregistered_holder`: a hand-off was accepted by an account that was no active registered
  institution when it took custody (recorded then, apps/trace/process.py);
- `quantity_mismatch`: a receiver counted another quantity than was handed over (units lost or
  added between two holders; a split or merge itself is refused unless it adds up, so this is
  where lots stop adding up);
- `missing_step`: a step the product type requires that neither the item nor the lots it
  came from passed (a merged lot passed a step only if every lot merged into it did).
Gaps of the lots an item came from are the item's too (inherited at split and merge).

score = the number of gaps: 0 is "complete"; each missing link adds 1, so the higher the
score, the more likely the goods are not what their chain says (a counterfeit fed in, a
diversion, a skipped inspection). A verdict is a pure function of the item and product
records: two state keys, whatever the length of the chain.
"""

from __future__ import annotations

import msgspec

from chainbook.apps.trace.state import GAP_KIND_NAMES, ItemRecord, ProductRecord
from chainbook.types import Height


class GapInfo(msgspec.Struct, frozen=True):
    kind: str
    item: str
    height: Height
    """When it happened; 0 for a missing step (it has not happened)."""
    detail: str


class Verdict(msgspec.Struct, frozen=True):
    item: str
    found: bool
    verdict: str
    """"complete", "gaps", or "unknown" (no such item on the chain: most likely a fake)."""
    score: int
    """Missing links (0: complete)."""
    gaps: list[GapInfo]
    """Each gap with its details (past gaps_kept_max inherited ones only count in `score`)."""
    product: str = ""
    holder: bytes = b""
    quantity: int = 0
    steps_required: list[str] = []
    steps_done: list[str] = []


def compute_verdict(item: str, record: ItemRecord, product: ProductRecord) -> Verdict:
    gaps = [GapInfo(GAP_KIND_NAMES[g.kind], g.item, g.height, g.detail) for g in record.gaps]
    score = record.gaps_total
    if record.pending_to:
        gaps.append(
            GapInfo(
                "handoff_not_accepted",
                item,
                record.pending_height,
                f"handed over to {record.pending_to.hex()} at height {record.pending_height}, "
                "not accepted",
            )
        )
        score += 1
    for step in product.steps:
        if step.name not in record.steps_done:
            who = f" (by a {step.role})" if step.role else ""
            gaps.append(GapInfo("missing_step", item, 0, f"step {step.name!r}{who} not recorded"))
            score += 1
    return Verdict(
        item=item,
        found=True,
        verdict="complete" if score == 0 else "gaps",
        score=score,
        gaps=gaps,
        product=record.product,
        holder=record.holder,
        quantity=record.quantity,
        steps_required=[s.name for s in product.steps],
        steps_done=record.steps_done,
    )


def unknown_verdict(item: str) -> Verdict:
    return Verdict(item=item, found=False, verdict="unknown", score=0, gaps=[])


__all__ = ["GapInfo", "Verdict", "compute_verdict", "unknown_verdict"]
