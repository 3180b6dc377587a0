"""When an idle chain makes its next block: the empty-block rule.

Rule (consensus.empty_block_interval_ms = I, chain-wide in the genesis): after a block is
committed and timeout_commit has passed, the node enters the next height at once if

    I == 0                         (no waiting: the simulator's and the benchmarks' setting)
    or a transaction waits in its mempool   (a block as soon as transactions wait)
    or evidence of an equivocation waits in its evidence pool (counted as waiting
       transactions: punishment is not put off by an idle chain)
    or the block just committed carried transactions (one more block follows at once: the
       "proof block" of CometBFT, so the state a block produced is committed by the next
       header soon, which state proofs against a lagging app hash need)
    or the node is catching up     (a peer announced a later height, or synced blocks wait)
    or a validator's message of the next height arrived, its signature checked (it entered
       that height: follow it; a message anyone could forge must not make blocks)

and otherwise waits until I after the committed block's time, re-checking each input. An
idle network therefore makes an empty block every ~I (plus one round of votes), so liveness
stays visible at a bounded cost on disk (docs/BENCHMARKS.md measures it).

Why the node core holds the commit timeout rather than the proposer skipping its turn: a
proposer that waited inside the round would have the other validators' timeout_propose expire
and prevote nil, and rounds would climb on an idle chain. Holding the step into the next
height keeps every validator in the same place (the decided height, step commit); they all
see the same block time and the same mempool through gossip, and the first to enter the next
height pulls the others in with its messages. The consensus machine is unchanged: its rules
and its safety do not depend on when a height starts (CometBFT's create_empty_blocks_interval
waits in the same place, before the new round's propose step). A validator restarted while
its peers wait enters its height at once, as every start does; its messages pull the others.

Pure: the core gives it the facts and the time.
"""

from __future__ import annotations

from chainbook.types import TimeMs


def get_empty_block_wait_ms(
    *,
    interval_ms: int,
    now_ms: TimeMs,
    block_time_ms: TimeMs,
    block_txs: int,
    txs_waiting: int,
    catching_up: bool,
    next_height_seen: bool,
) -> int:
    """How much longer to wait before entering the next height (0: enter it now)."""
    if interval_ms <= 0 or txs_waiting > 0 or block_txs > 0 or catching_up or next_height_seen:
        return 0
    return max(0, block_time_ms + interval_ms - now_ms)


__all__ = ["get_empty_block_wait_ms"]
