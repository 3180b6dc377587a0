"""Mempool admission, limits at their edges, reap order and re-checks after a commit."""

import msgspec
import pytest

from chainbook import codec, limits
from chainbook.apps.bank.errors import InsufficientFunds, UnknownAccount
from chainbook.chain.tx import SignedTx, TxBody, decode_tx, tx_hash, verify_tx
from chainbook.core.mempool import Mempool
from chainbook.errors import (
    DecodeError,
    InvalidNonce,
    InvalidSignature,
    MempoolFull,
    TooLarge,
    UnknownAction,
    WrongChainId,
)
from chainbook.ledger.execute import BlockContext, execute_block, verify_block_txs

from .mempool_support import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    DAVE,
    VALIDATOR,
    big_multi,
    commit,
    make_pool,
    make_state,
    pay,
    sign,
)

# --- admission ------------------------------------------------------------------------------


def test_admits_a_valid_transaction_once() -> None:
    pool = make_pool()
    raw = pay(ALICE, 0, BOB, 10)
    result = pool.add(raw)
    assert not result.duplicate and result.tx.sender == ALICE.address
    assert pool.get(tx_hash(raw)) == result.tx and len(pool) == 1
    assert pool.get_pending_nonce(ALICE.address) == 1


def test_duplicate_is_a_counted_no_op() -> None:
    pool = make_pool()
    raw = pay(ALICE, 0, BOB, 10)
    first = pool.add(raw)
    again = pool.add(raw)
    assert again.duplicate and again.tx == first.tx
    assert len(pool) == 1 and pool.stats().duplicates == 1 and pool.stats().admitted == 1


@pytest.mark.parametrize("raw", [b"", b"\xc1", b"\x93\x01\x02", codec.encode(["x"])])
def test_malformed_bytes_are_refused(raw: bytes) -> None:
    pool = make_pool()
    with pytest.raises(DecodeError):
        pool.add(raw)
    assert pool.stats().refused == {"decode_error": 1} and len(pool) == 0


def test_bad_signature_is_refused() -> None:
    signed = codec.decode(pay(ALICE, 0, BOB, 10), SignedTx)
    forged = codec.encode(msgspec.structs.replace(signed, signatures=(bytes(64),)))
    with pytest.raises(InvalidSignature):
        make_pool().add(forged)
    body = codec.decode(signed.body, TxBody)
    other_body = codec.encode(msgspec.structs.replace(body, keys=(BOB.public_key,)))
    other_key = codec.encode(SignedTx(other_body, signed.signatures))
    with pytest.raises(InvalidSignature):
        make_pool().add(other_key)


def test_wrong_chain_id_is_refused() -> None:
    with pytest.raises(WrongChainId, match="'other-chain'"):
        make_pool().add(pay(ALICE, 0, BOB, 10, chain_id="other-chain"))


def test_unknown_action_is_refused() -> None:
    class Vote(msgspec.Struct, array_like=True, frozen=True, tag="nosuch.cast"):
        choice: int

    with pytest.raises(UnknownAction, match="'nosuch.cast'"):
        make_pool().add(sign(ALICE, 0, Vote(1)))


def test_replayed_nonce_is_refused_after_commit() -> None:
    state = make_state()
    pool = make_pool(state)
    raw = pay(ALICE, 0, BOB, 10)
    pool.add(raw)
    commit(state, [raw])
    pool.update_after_commit([tx_hash(raw)], state)
    with pytest.raises(InvalidNonce) as info:
        pool.add(raw)
    assert (info.value.expected, info.value.got) == (1, 0)


def test_second_transaction_with_a_pending_nonce_is_refused() -> None:
    pool = make_pool()
    pool.add(pay(ALICE, 0, BOB, 10))
    with pytest.raises(InvalidNonce, match="expected 1, got 0"):
        pool.add(pay(ALICE, 0, BOB, 11))


def test_future_nonce_gap_is_refused() -> None:
    pool = make_pool()
    with pytest.raises(InvalidNonce, match="expected 0, got 2"):
        pool.add(pay(ALICE, 2, BOB, 10))
    pool.add(pay(ALICE, 0, BOB, 10))
    with pytest.raises(InvalidNonce, match="expected 1, got 3"):
        pool.add(pay(ALICE, 3, BOB, 10))


def test_overdraft_is_refused() -> None:
    with pytest.raises(InsufficientFunds, match="needed 1001, available 1000"):
        make_pool().add(pay(ALICE, 0, BOB, 1_001))


def test_overdraft_through_several_pending_transactions_is_refused() -> None:
    pool = make_pool()
    pool.add(pay(ALICE, 0, BOB, 400))
    pool.add(pay(ALICE, 1, CAROL, 400))
    with pytest.raises(InsufficientFunds) as info:
        pool.add(pay(ALICE, 2, BOB, 300))
    assert (info.value.needed, info.value.available) == (300, 200)
    pool.add(pay(ALICE, 2, BOB, 200))  # the refused one did not consume the nonce
    assert pool.get_pending_nonce(ALICE.address) == 3


def test_pending_incoming_coins_are_not_spendable() -> None:
    pool = make_pool()
    pool.add(pay(ALICE, 0, BOB, 1_000))
    with pytest.raises(InsufficientFunds, match="available 500"):
        pool.add(pay(BOB, 0, CAROL, 600))


def test_unknown_account_is_refused() -> None:
    with pytest.raises(UnknownAccount):
        make_pool().add(pay(DAVE, 0, BOB, 1))


def test_oversize_transaction_is_refused() -> None:
    raw = big_multi(ALICE, 0, 400)
    assert len(raw) > limits.tx_bytes_max
    with pytest.raises(TooLarge, match=f"limit {limits.tx_bytes_max}"):
        make_pool().add(raw)


def test_tx_bytes_limit_at_its_edge() -> None:
    raw = pay(ALICE, 0, BOB, 10)
    make_pool(tx_bytes_max=len(raw)).add(raw)
    with pytest.raises(TooLarge):
        make_pool(tx_bytes_max=len(raw) - 1).add(raw)


def test_per_sender_limit_at_its_edge() -> None:
    pool = make_pool(txs_per_sender_max=3)
    for nonce in range(3):
        pool.add(pay(ALICE, nonce, BOB, 1))
    with pytest.raises(MempoolFull, match="txs_per_sender_max=3"):
        pool.add(pay(ALICE, 3, BOB, 1))
    pool.add(pay(BOB, 0, ALICE, 1))  # other senders are unaffected


def test_global_count_limit_at_its_edge() -> None:
    pool = make_pool(txs_max=2)
    pool.add(pay(ALICE, 0, BOB, 1))
    pool.add(pay(BOB, 0, ALICE, 1))
    with pytest.raises(MempoolFull, match="txs_max=2"):
        pool.add(pay(CAROL, 0, ALICE, 1))
    assert pool.stats().refused == {"mempool_full": 1}


def test_global_bytes_limit_at_its_edge() -> None:
    a, b, c = pay(ALICE, 0, BOB, 1), pay(BOB, 0, ALICE, 1), pay(CAROL, 0, ALICE, 1)
    pool = make_pool(bytes_max=len(a) + len(b))
    pool.add(a)
    pool.add(b)
    with pytest.raises(MempoolFull, match=f"bytes_max={len(a) + len(b)}"):
        pool.add(c)
    assert pool.stats().bytes == len(a) + len(b)


# --- reap -----------------------------------------------------------------------------------


def fill(pool: Mempool) -> dict[bytes, str]:
    names = {}
    for key, name, count in ((ALICE, "A", 3), (BOB, "B", 2), (CAROL, "C", 1)):
        for nonce in range(count):
            raw = pay(key, nonce, VALIDATOR, 1)
            pool.add(raw)
            names[tx_hash(raw)] = f"{name}{nonce}"
    return names


def test_reap_is_round_robin_in_nonce_order() -> None:
    pool = make_pool()
    names = fill(pool)
    order = [names[t.hash] for t in pool.reap(100, 10**6)]
    assert order == ["A0", "B0", "C0", "A1", "B1", "A2"]
    assert [names[t.hash] for t in pool.reap(4, 10**6)] == ["A0", "B0", "C0", "A1"]
    assert len(pool) == 6  # reap removes nothing


def test_reap_respects_bytes_and_keeps_nonce_order() -> None:
    pool = make_pool()
    names = fill(pool)
    size = len(next(iter(pool.reap(1, 10**6))).tx_bytes)
    assert [names[t.hash] for t in pool.reap(100, 2 * size)] == ["A0", "B0"]
    assert pool.reap(100, size - 1) == []


def test_reaped_block_executes_without_failures() -> None:
    state = make_state()
    pool = make_pool(state)
    fill(pool)
    txs = pool.reap(100, 10**6)
    result = execute_block(state, CHAIN_ID, txs, BlockContext(1, 1, VALIDATOR.address))
    assert all(r.ok for r in result.receipts)


# --- after a commit -------------------------------------------------------------------------


@pytest.mark.parametrize("with_changes", [True, False])
def test_update_after_commit_removes_committed_and_keeps_the_rest(with_changes: bool) -> None:
    state = make_state()
    pool = make_pool(state)
    raws = [pay(ALICE, n, BOB, 100) for n in range(3)] + [pay(BOB, 0, ALICE, 5)]
    for raw in raws:
        pool.add(raw)
    result = commit(state, raws[:2])
    pool.update_after_commit(
        [tx_hash(r) for r in raws[:2]], state, result.changes if with_changes else None
    )
    assert [pool.get(tx_hash(r)) is not None for r in raws] == [False, False, True, True]
    stats = pool.stats()
    assert (stats.removed_committed, stats.dropped_invalid, stats.txs) == (2, 0, 2)
    assert pool.get_pending_nonce(ALICE.address) == 3
    pool.add(pay(ALICE, 3, BOB, 100))


@pytest.mark.parametrize("with_changes", [True, False])
def test_update_after_commit_drops_stale_and_now_unfunded(with_changes: bool) -> None:
    state = make_state()
    pool = make_pool(state)
    ours = [pay(ALICE, 0, BOB, 100), pay(ALICE, 1, BOB, 800), pay(ALICE, 2, BOB, 1)]
    for raw in ours:
        pool.add(raw)
    pool.add(pay(BOB, 0, CAROL, 1))
    # Another node's proposer included a different nonce-0 transaction of Alice.
    theirs = pay(ALICE, 0, CAROL, 500)
    result = commit(state, [theirs])
    pool.update_after_commit([tx_hash(theirs)], state, result.changes if with_changes else None)
    # ours[0]: stale nonce; ours[1]: 800 > 500 now; ours[2]: would leave a nonce gap.
    assert [pool.get(tx_hash(r)) for r in ours] == [None, None, None]
    stats = pool.stats()
    assert (stats.dropped_invalid, stats.removed_committed, stats.txs, stats.senders) == (
        3, 0, 1, 1,
    )
    pool.add(pay(ALICE, 1, BOB, 500))


def test_update_after_commit_rechecks_a_sender_debited_by_a_foreign_tx() -> None:
    state = make_state()
    pool = make_pool(state)
    pending = pay(BOB, 1, CAROL, 400)
    first = pay(BOB, 0, CAROL, 100)
    pool.add(first)
    pool.add(pending)
    commit(state, [first])
    pool.update_after_commit([tx_hash(first)], state)
    assert pool.get(tx_hash(pending)) is not None


def test_untouched_senders_are_not_rechecked() -> None:
    state = make_state()
    pool = make_pool(state)
    pool.add(pay(BOB, 0, CAROL, 1))
    bob_view = pool._senders[BOB.address].speculative
    raw = pay(ALICE, 0, VALIDATOR, 1)
    result = commit(state, [raw])
    pool.update_after_commit([tx_hash(raw)], state, result.changes)
    assert pool._senders[BOB.address].speculative is bob_view


def test_a_replaced_state_object_rebases_every_sender() -> None:
    state = make_state()
    pool = make_pool(state)
    raw = pay(ALICE, 0, BOB, 1)
    pool.add(raw)
    fresh = make_state()
    commit(fresh, [pay(ALICE, 0, CAROL, 1_000)])
    pool.update_after_commit([], fresh)
    assert len(pool) == 0 and pool.stats().dropped_invalid == 1


def test_block_validation_reuses_admitted_transactions() -> None:
    pool = make_pool()
    raw = pay(ALICE, 0, BOB, 1)
    admitted = pool.add(raw).tx
    assert verify_block_txs(CHAIN_ID, [raw], pool)[0] is admitted
    other = pay(BOB, 0, ALICE, 1)
    assert verify_block_txs(CHAIN_ID, [other], pool)[0] == decode_tx(other)


# --- admission of transactions verified by the caller ---------------------------------------


def test_add_verified_admits_like_add() -> None:
    raws = [pay(ALICE, 0, BOB, 10), pay(ALICE, 1, CAROL, 20), pay(BOB, 0, ALICE, 5)]
    plain, pre = make_pool(), make_pool()
    for raw in raws:
        a = plain.add(raw)
        b = pre.add(raw, verified=verify_tx(CHAIN_ID, raw))
        assert a == b
    assert plain.stats() == pre.stats()
    assert [t.hash for t in plain.reap(10, 10**6)] == [t.hash for t in pre.reap(10, 10**6)]
    assert pre.contains_hash(tx_hash(raws[0])) and not pre.contains_hash(bytes(32))


def test_add_verified_counts_duplicates_and_keeps_every_refusal() -> None:
    pool = make_pool(txs_per_sender_max=2)
    raw = pay(ALICE, 0, BOB, 10)
    pool.add(raw, verified=verify_tx(CHAIN_ID, raw))
    assert pool.add(raw, verified=verify_tx(CHAIN_ID, raw)).duplicate
    cases: list[tuple[bytes, type[Exception], str]] = [
        (pay(ALICE, 5, BOB, 1), InvalidNonce, "expected 1, got 5"),
        (pay(BOB, 0, ALICE, 501), InsufficientFunds, "needed 501, available 500"),
        (pay(DAVE, 0, BOB, 1), UnknownAccount, "is unknown"),
    ]
    for bad, error, message in cases:
        with pytest.raises(error, match=message):
            pool.add(bad, verified=verify_tx(CHAIN_ID, bad))
    pool.add(pay(ALICE, 1, BOB, 1))
    with pytest.raises(MempoolFull, match="txs_per_sender_max=2"):
        extra = pay(ALICE, 2, BOB, 1)
        pool.add(extra, verified=verify_tx(CHAIN_ID, extra))
    stats = pool.stats()
    assert stats.duplicates == 1 and stats.admitted == 2
    assert stats.refused == {
        "bank.insufficient_funds": 1, "invalid_nonce": 1, "mempool_full": 1,
        "bank.unknown_account": 1,
    }


def test_add_verified_trusts_the_callers_signature_check() -> None:
    # The contract: `verified` comes from verify_tx; the mempool does not check again.
    signed = codec.decode(pay(ALICE, 0, BOB, 10), SignedTx)
    forged = codec.encode(msgspec.structs.replace(signed, signatures=(bytes(64),)))
    with pytest.raises(InvalidSignature):
        make_pool().add(forged)
    assert not make_pool().add(forged, verified=decode_tx(forged)).duplicate


# --- the re-check rule: only guard reads trigger it -----------------------------------------


def test_a_credit_to_the_recipient_does_not_recheck_the_payer() -> None:
    state = make_state()
    pool = make_pool(state)
    pending = pay(ALICE, 0, BOB, 10)
    pool.add(pending)
    alice_view = pool._senders[ALICE.address].speculative.view
    credit = pay(CAROL, 0, BOB, 100)  # changes Bob's balance, which Alice's credit read
    result = commit(state, [credit])
    assert ALICE.address not in pool._readers.get(b"bank/balance/" + BOB.address, set())
    pool.update_after_commit([tx_hash(credit)], state, result.changes)
    assert pool._senders[ALICE.address].speculative.view is alice_view
    assert pool.get(tx_hash(pending)) is not None
    # The block's proposer executes it: still valid.
    txs = pool.reap(10, 10**6)
    block = execute_block(state, CHAIN_ID, txs, BlockContext(2, 2, VALIDATOR.address))
    assert [r.ok for r in block.receipts] == [True]


def test_a_credit_to_the_sender_rechecks_and_keeps_its_transactions() -> None:
    state = make_state()
    pool = make_pool(state)
    pending = [pay(BOB, 0, ALICE, 300), pay(BOB, 1, ALICE, 200)]
    for raw in pending:
        pool.add(raw)
    bob_view = pool._senders[BOB.address].speculative
    credit = pay(CAROL, 0, BOB, 400)
    result = commit(state, [credit])
    pool.update_after_commit([tx_hash(credit)], state, result.changes)
    assert pool._senders[BOB.address].speculative is not bob_view  # its guard (balance) changed
    assert all(pool.get(tx_hash(raw)) is not None for raw in pending)
    pool.add(pay(BOB, 2, ALICE, 400))  # the credit is now spendable: 900 - 500 = 400


def test_a_sender_whose_guard_fell_has_its_failing_transactions_dropped() -> None:
    state = make_state()
    pool = make_pool(state)
    ours = [pay(BOB, 0, ALICE, 100), pay(BOB, 1, ALICE, 300), pay(BOB, 2, ALICE, 50)]
    for raw in ours:
        pool.add(raw)
    # A nonce-0 transaction of Bob from elsewhere spent 400: 100 left, 300 no longer fits.
    theirs = pay(BOB, 0, CAROL, 400)
    result = commit(state, [theirs])
    pool.update_after_commit([tx_hash(theirs)], state, result.changes)
    assert [pool.get(tx_hash(r)) is not None for r in ours] == [False, False, False]
    assert pool.stats().dropped_invalid == 3 and pool.get_pending_nonce(BOB.address) == 1


def test_an_outdated_view_is_rebuilt_before_it_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module that reads with `get` a key it earlier read with `get_to_update`: the view's
    value derives from a base value a commit has since changed, so admission rebuilds it."""
    import chainbook.core.mempool as mempool_module
    from chainbook.errors import InvalidTransaction

    key = b"test/k"
    calls: list[int] = []

    def process_action(registry, view, ctx, action, writes=None):  # type: ignore[no-untyped-def]
        calls.append(ctx.nonce)
        if ctx.nonce == 0:  # update the key from what it holds
            view.set(key, (view.get_to_update(key) or b"") + b"+")
        elif view.get(key) != b"new+":  # a guard on the derived value
            raise InvalidTransaction(f"saw {view.get(key)!r}")
        return []

    monkeypatch.setattr(mempool_module, "process_action", process_action)
    state = make_state()
    state.kv[key] = b"old"
    pool = make_pool(state)
    pool.add(pay(ALICE, 0, BOB, 1))
    state.kv[key] = b"new"  # as a commit would: not a guard, so no re-check
    pool.update_after_commit([], state, [key])
    assert calls == [0]
    pool.add(pay(ALICE, 1, BOB, 1))  # would be refused on the outdated view (b"old+")
    assert calls == [0, 1, 0, 1] and len(pool) == 2
    assert pool._senders[ALICE.address].speculative.view.writes[key] == b"new+"
