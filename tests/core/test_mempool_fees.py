"""The mempool's fee rules: reap by fee per byte, a flood cannot crowd others out, eviction."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chainbook.apps.bank import Transfer
from chainbook.apps.fees import FeesGenesis
from chainbook.chain.tx import DecodedTx, decode_tx, fit_fee, sign_tx, tx_hash
from chainbook.core.mempool import Mempool, compute_rate
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidNonce, MempoolFull
from chainbook.ledger.execute import BlockContext, apply_block_result, execute_block
from chainbook.ledger.state import LedgerState
from tests.support import CHAIN_ID, VALIDATOR, make_state

KEYS = [PrivateKey.from_label(f"fee-sender-{i}") for i in range(8)]
FLOODER = PrivateKey.from_label("flooder")
SINK = PrivateKey.from_label("sink").address


def state(rate: int = 1) -> LedgerState:
    balances = {k.address: 10**9 for k in [*KEYS, FLOODER]}
    return make_state(balances, app_state={"fees": FeesGenesis(min_fee_per_byte=rate)})


def pay(key: PrivateKey, nonce: int, rate: int = 1, memo: str = "") -> bytes:
    """A transfer paying the least fee at `rate` per byte."""
    return fit_fee(
        lambda fee: sign_tx(key, CHAIN_ID, nonce, Transfer(SINK, 1, memo), fee=fee), rate
    )


def senders(txs: list[DecodedTx]) -> list[str]:
    names = {k.address: f"k{i}" for i, k in enumerate(KEYS)} | {FLOODER.address: "F"}
    return [names[t.sender] for t in txs]


def commit(chain: LedgerState, pool: Mempool, txs: list[DecodedTx]) -> None:
    height = chain.height + 1
    result = execute_block(chain, CHAIN_ID, txs, BlockContext(height, height, VALIDATOR.address))
    assert all(r.ok for r in result.receipts)
    apply_block_result(chain, result, height)
    pool.update_after_commit([t.hash for t in txs], chain, result.changes.keys())


def assert_rates_counted(pool: Mempool) -> None:
    """The count of pending transactions by fee per byte (reap's fast-path test) is exact."""
    assert pool._rates == Counter(e.rate for e in pool._by_hash.values())


def test_reap_takes_the_best_fee_per_byte_first_and_keeps_each_sender_s_nonces() -> None:
    pool = Mempool(CHAIN_ID, state())
    pool.add(pay(KEYS[0], 0, rate=1))
    pool.add(pay(KEYS[0], 1, rate=9))  # cannot jump its own nonce 0
    pool.add(pay(KEYS[1], 0, rate=5))
    pool.add(pay(KEYS[2], 0, rate=3))
    order = [(senders([t])[0], t.nonce) for t in pool.reap(10, 1 << 20)]
    assert order == [("k1", 0), ("k2", 0), ("k0", 0), ("k0", 1)]
    assert [senders([t])[0] for t in pool.reap(2, 1 << 20)] == ["k1", "k2"]


def test_at_equal_fee_per_byte_reap_is_round_robin_in_order_of_arrival() -> None:
    pool = Mempool(CHAIN_ID, state())
    for key in KEYS[:3]:
        for nonce in range(2):
            pool.add(pay(key, nonce))
    assert senders(pool.reap(10, 1 << 20)) == ["k0", "k1", "k2", "k0", "k1", "k2"]


def test_the_fee_per_byte_not_the_fee_decides() -> None:
    """A long transaction paying more in total but less per byte goes after a short one."""
    pool = Mempool(CHAIN_ID, state())
    long_tx = pay(KEYS[0], 0, rate=2, memo="m" * 200)
    short_tx = pay(KEYS[1], 0, rate=3)
    assert decode_tx(long_tx).fee > decode_tx(short_tx).fee
    pool.add(long_tx)
    pool.add(short_tx)
    assert senders(pool.reap(10, 1 << 20)) == ["k1", "k0"]


def test_one_sender_flooding_at_the_minimum_does_not_crowd_out_the_others() -> None:
    """The flooder fills its whole per-sender queue first; every other sender's transaction
    still gets into the very next block, and the flooder holds one place per turn."""
    chain = state()
    pool = Mempool(CHAIN_ID, chain, txs_per_sender_max=50)
    for nonce in range(50):
        pool.add(pay(FLOODER, nonce))
    with pytest.raises(MempoolFull, match="txs_per_sender_max=50"):
        pool.add(pay(FLOODER, 50))
    for key in KEYS:
        pool.add(pay(key, 0))
    block = pool.reap(16, 1 << 20)
    assert sorted(senders(block)) == sorted(["F"] * 8 + [f"k{i}" for i in range(8)])
    commit(chain, pool, block)
    assert len(pool) == 50 - 8


def test_when_full_the_lowest_fee_per_byte_goes_first() -> None:
    pool = Mempool(CHAIN_ID, state(), txs_max=4)
    cheap = [pay(KEYS[i], 0, rate=1) for i in range(3)]
    for raw in cheap:
        pool.add(raw)
    pool.add(pay(KEYS[3], 0, rate=2))
    # Another at the minimum does not get in: it must pay more than the cheapest.
    with pytest.raises(MempoolFull, match=r"must pay more than 1\.0000 per byte"):
        pool.add(pay(KEYS[4], 0, rate=1))
    pool.add(pay(KEYS[4], 0, rate=3))  # evicts the newest of the cheapest
    assert len(pool) == 4 and pool.stats().evicted == 1
    assert tx_hash(cheap[2]) not in pool and tx_hash(cheap[0]) in pool
    assert senders(pool.reap(10, 1 << 20)) == ["k4", "k3", "k0", "k1"]


def test_eviction_takes_a_sender_s_last_transactions_and_rebuilds_its_state() -> None:
    chain = state()
    pool = Mempool(CHAIN_ID, chain, txs_max=3)
    for nonce in range(3):
        pool.add(pay(KEYS[0], nonce))
    pool.add(pay(KEYS[1], 0, rate=5))
    # k0's nonce 2 went, not 0 or 1 (no gap); its next nonce is 2 again.
    assert [t.nonce for t in pool.reap(10, 1 << 20) if t.sender == KEYS[0].address] == [0, 1]
    assert pool.get_pending_nonce(KEYS[0].address) == 2
    with pytest.raises(InvalidNonce, match="expected 2, got 3"):
        pool.add(pay(KEYS[0], 3, rate=9))
    pool.add(pay(KEYS[0], 2, rate=9))  # evicts k1's (5 per byte); k0's own are spared
    assert pool.get_pending_nonce(KEYS[0].address) == 3
    assert pool.get_pending_nonce(KEYS[1].address) == 0 and pool.stats().evicted == 2
    assert [t.nonce for t in pool.reap(10, 1 << 20) if t.sender == KEYS[0].address] == [0, 1, 2]
    block = pool.reap(10, 1 << 20)
    commit(chain, pool, block)  # the rebuilt speculative state executes cleanly
    assert len(pool) == 0


def test_a_sender_is_never_evicted_for_its_own_transaction() -> None:
    pool = Mempool(CHAIN_ID, state(), txs_max=2)
    pool.add(pay(KEYS[0], 0))
    pool.add(pay(KEYS[0], 1))
    with pytest.raises(MempoolFull, match="nothing can be evicted"):
        pool.add(pay(KEYS[0], 2, rate=50))


def test_eviction_by_bytes_frees_enough_room() -> None:
    big = pay(KEYS[0], 0, memo="m" * 200)
    small = pay(KEYS[1], 0)
    pool = Mempool(CHAIN_ID, state(), bytes_max=len(big) + len(small))
    pool.add(big)
    pool.add(small)
    newcomer = pay(KEYS[2], 0, rate=2, memo="m" * 150)
    pool.add(newcomer)  # the cheapest per byte first until it fits: both go
    assert len(pool) == 1 and pool.stats().evicted == 2


def test_a_refused_newcomer_evicts_nothing() -> None:
    pool = Mempool(CHAIN_ID, state(), txs_max=2)
    pool.add(pay(KEYS[0], 0))
    pool.add(pay(KEYS[1], 0))
    with pytest.raises(InvalidNonce):
        pool.add(pay(KEYS[2], 5, rate=9))  # pays well, but its nonce is wrong
    assert len(pool) == 2 and pool.stats().evicted == 0


def test_the_eviction_heap_is_kept_only_near_full_and_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import chainbook.core.mempool as mempool_module

    monkeypatch.setattr(mempool_module, "EVICTION_HEAP_SLACK", 0)
    newcomers = [PrivateKey.from_label(f"newcomer-{i}") for i in range(19)]
    balances = {k.address: 10**9 for k in [*KEYS, *newcomers]}
    chain = make_state(balances, app_state={"fees": FeesGenesis(min_fee_per_byte=1)})
    pool = Mempool(CHAIN_ID, chain, txs_max=6)
    cheap = [pay(key, 0) for key in KEYS[:6]]
    for raw in cheap:
        pool.add(raw)
    assert pool._tails is None  # room left until now: no heap
    for rate, key in enumerate(newcomers, start=2):  # each evicts the cheapest pending one
        pool.add(pay(key, 0, rate=rate))
        assert pool._tails is not None and len(pool._tails) <= 2 * len(pool) + 1
        assert len(pool) == 6
    assert pool.stats().evicted == 19
    assert_rates_counted(pool)
    # The six best-paying newcomers are left, whatever order the heap was built in.
    assert sorted(t.sender for t in pool.reap(100, 1 << 20)) == sorted(
        k.address for k in newcomers[-6:]
    )
    commit(chain, pool, pool.reap(100, 1 << 20))
    assert_rates_counted(pool)
    assert len(pool) == 0 and pool._tails is None  # half empty: the heap is dropped
    pool.add(pay(KEYS[0], 0, rate=3))  # the evicted came back; full again: a new heap
    for raw in cheap[1:]:
        pool.add(raw)
    pool.add(pay(newcomers[0], 0, rate=2))
    assert pool.stats().evicted == 20 and pool.get_pending_nonce(KEYS[0].address) == 1
    assert tx_hash(cheap[5]) not in pool  # the newest of the cheapest went
    assert all(tx_hash(raw) in pool for raw in cheap[1:5])
    assert_rates_counted(pool)


def test_rates_are_exact_integers() -> None:
    assert compute_rate(250, 250) == compute_rate(1, 1) > compute_rate(249, 250)
    assert compute_rate(0, 100) == 0


# Signed once (signing is the slow part): KEYS[i] nonces 0..3, memos of three lengths.
_SAME_RATE = {
    (i, nonce, memo): pay(KEYS[i], nonce, memo="m" * memo)
    for i in range(4)
    for nonce in range(4)
    for memo in (0, 40, 120)
}


@settings(max_examples=60, deadline=None, derandomize=True)
@example(queues=[[120], [0]], txs_max=10, bytes_max=200)  # the first does not fit, the next does
@given(
    queues=st.lists(
        st.lists(st.sampled_from((0, 40, 120)), min_size=0, max_size=4), min_size=1, max_size=4
    ),
    txs_max=st.integers(0, 20),
    bytes_max=st.integers(0, 2_000),
)
def test_reap_s_round_robin_fast_path_gives_the_general_order(
    queues: list[list[int]], txs_max: int, bytes_max: int
) -> None:
    """With one fee per byte pending, reap skips its heap: it must still give exactly the
    heap's order (round-robin in order of arrival, each sender stopping at the first
    transaction that does not fit)."""
    pool = Mempool(CHAIN_ID, state(rate=0))
    for turn in range(4):  # interleaved, so arrival order is not the key order
        for i, memos in enumerate(queues):
            if turn < len(memos):
                pool.add(_SAME_RATE[(i, turn, memos[turn])])
    assert len(pool._rates) <= 1
    fast = pool.reap(txs_max, bytes_max)
    assert fast == pool._reap_by_rate(txs_max, bytes_max)
    assert len(fast) <= txs_max and sum(len(t.tx_bytes) for t in fast) <= bytes_max
