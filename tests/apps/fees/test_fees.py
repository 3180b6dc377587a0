"""The fees module and the ledger's fee step: the minimum, who pays, burning, refusals."""

from __future__ import annotations

import pytest

from chainbook.apps.accounts import SetPolicy, Signer
from chainbook.apps.bank import Transfer
from chainbook.apps.fees import FeesGenesis
from chainbook.apps.fees import limits as fees_limits
from chainbook.apps.governance import SetParameter
from chainbook.apps.registry import Registry
from chainbook.chain.tx import decode_tx, fit_fee
from chainbook.core.mempool import Mempool
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError, FeeNotAccepted, InvalidBlock, InvalidInput
from chainbook.ledger.execute import execute_block
from chainbook.ledger.state import LedgerState, get_nonce
from tests.apps.governance.chain import GovernedLedger
from tests.support import (
    ALICE,
    BOB,
    CHAIN_ID,
    DAVE,
    ask,
    balance_of,
    ctx,
    make_state,
    run_block,
    signed,
    supply_of,
)


def fee_state(rate: int = 1, balances: dict[bytes, int] | None = None) -> LedgerState:
    return make_state(balances, app_state={"fees": FeesGenesis(min_fee_per_byte=rate)})


def paying(
    nonce: int, amount: int = 10, rate: int = 1, extra: int = 0, key: PrivateKey = ALICE
) -> bytes:
    return fit_fee(
        lambda fee: signed(key, nonce, Transfer(BOB.address, amount), fee=fee + extra), rate
    )


def fee_of(raw: bytes) -> int:
    return decode_tx(raw).fee


def test_the_fee_is_burnt_from_the_sender() -> None:
    state = fee_state()
    raw = paying(0)
    assert fee_of(raw) == len(raw)  # 1 per byte of the signed transaction
    run_block(state, [decode_tx(raw)])
    assert balance_of(state, ALICE.address) == 1_000 - 10 - fee_of(raw)
    assert balance_of(state, BOB.address) == 510
    supply = ask(state, "bank", "supply")
    assert supply.total == 1_500 - fee_of(raw) and supply.burnt == fee_of(raw)
    assert supply.minted == 0


def test_the_fee_is_kept_when_the_action_is_refused() -> None:
    state = fee_state()
    raw = paying(0, amount=5_000)
    result = run_block(state, [decode_tx(raw)])
    assert not result.receipts[0].ok and "insufficient funds" in result.receipts[0].error
    assert balance_of(state, ALICE.address) == 1_000 - fee_of(raw)
    assert get_nonce(state.kv, ALICE.address) == 1
    changed = set(result.changes)
    assert changed == {
        b"acct/nonce/" + ALICE.address,
        b"bank/balance/" + ALICE.address,
        b"bank/supply",
        b"bank/burnt",
    }, "a refused action changed more than the nonce and the fee"


def test_the_minimum_at_its_edge() -> None:
    state = fee_state(rate=3)
    exact = paying(0, rate=3)
    assert fee_of(exact) == 3 * len(exact)
    short = paying(0, rate=3, extra=-1)
    pool = Mempool(CHAIN_ID, state)
    with pytest.raises(InvalidInput, match=r"fee \d+ is below the minimum \d+ for \d+ bytes"):
        pool.add(short)
    assert pool.stats().refused == {"fees.fee_too_low": 1}
    with pytest.raises(InvalidBlock, match="below the minimum"):
        execute_block(state, CHAIN_ID, [decode_tx(short)], ctx(1))
    pool.add(exact)
    assert len(pool) == 1


def test_a_sender_who_cannot_pay_is_refused_at_admission_and_its_block_is_invalid() -> None:
    state = fee_state()
    pool = Mempool(CHAIN_ID, state)
    broke = paying(0, key=DAVE)
    with pytest.raises(InvalidInput, match=r"cannot pay its fee \d+: it holds 0"):
        pool.add(broke)
    with pytest.raises(InvalidBlock, match="cannot pay its fee"):
        execute_block(state, CHAIN_ID, [decode_tx(broke)], ctx(1))


def test_pending_fees_add_up_on_the_speculative_state() -> None:
    """Alice (1,000) pays as many transfers of 10 and their fees (~160) as she holds, no more."""
    state = fee_state()
    pool = Mempool(CHAIN_ID, state)
    admitted = 0
    with pytest.raises(InvalidInput, match="insufficient funds|cannot pay"):
        for nonce in range(10):
            pool.add(paying(nonce, amount=10))
            admitted += 1
    assert admitted == 1_000 // (10 + fee_of(paying(0)))
    result = run_block(state, pool.reap(100, 1 << 20))
    assert all(r.ok for r in result.receipts)


def test_a_balance_exactly_the_fee_pays_an_action_that_needs_no_coins() -> None:
    rotate = SetPolicy([Signer(BOB.address, 1)], 1)
    raw = fit_fee(lambda fee: signed([ALICE, BOB], 0, rotate, fee=fee), 1)
    state = fee_state(balances={ALICE.address: fee_of(raw), BOB.address: 1})
    Mempool(CHAIN_ID, state).add(raw)
    run_block(state, [decode_tx(raw)])
    assert balance_of(state, ALICE.address) == 0


def test_a_fee_of_zero_on_a_chain_without_a_minimum_costs_nothing() -> None:
    state = fee_state(rate=0)
    result = run_block(state, [decode_tx(signed(ALICE, 0, Transfer(BOB.address, 1)))])
    assert result.receipts[0].ok and b"bank/burnt" not in result.changes
    assert supply_of(state) == 1_500
    # A fee named anyway is paid (and burnt): the sender chose to.
    run_block(state, [decode_tx(signed(ALICE, 1, Transfer(BOB.address, 1), fee=7))])
    assert supply_of(state) == 1_493


def test_a_chain_without_a_fees_module_refuses_a_fee() -> None:
    from chainbook.apps import accounts, bank

    registry = Registry([bank.MODULE, accounts.MODULE])
    state = make_state(registry=registry)
    pool = Mempool(CHAIN_ID, state)
    with pytest.raises(FeeNotAccepted, match="charges no fees; the fee must be 0, got 5"):
        pool.add(signed(ALICE, 0, Transfer(BOB.address, 1), fee=5))
    pool.add(signed(ALICE, 0, Transfer(BOB.address, 1)))


def governed(rate: int = 0) -> GovernedLedger:
    return GovernedLedger(
        balances={ALICE.address: 10**6}, app_state={"fees": FeesGenesis(min_fee_per_byte=rate)}
    )


def test_the_genesis_minimum_is_the_governed_parameter_s_genesis_value() -> None:
    ledger = governed(rate=3)
    param = ask(ledger.state, "governance", "param", name="fees.min_fee_per_byte")
    assert param.value == 3
    assert ask(ledger.state, "fees", "params").min_fee_per_byte == 3
    assert Mempool(CHAIN_ID, ledger.state).min_fee_per_byte == 3


def test_governance_changes_the_minimum_from_its_activation_height() -> None:
    """A passed set_parameter takes effect two heights later: the mempool and the queries
    follow the block the next transaction goes into; pending transactions below the new
    minimum leave the pool, so no block built from it is invalid; execution applies it."""
    ledger = governed(rate=0)
    pool = Mempool(CHAIN_ID, ledger.state)
    ledger.pass_proposal(SetParameter("fees.min_fee_per_byte", 2))
    passed_at = ledger.height
    pool.update_after_commit([], ledger.state)
    free = signed(ALICE, 0, Transfer(BOB.address, 1))
    pool.add(free)  # the next block (passed_at + 1) still takes it for free
    assert pool.min_fee_per_byte == 0 and ask(ledger.state, "fees", "params").min_fee_per_byte == 0
    result = ledger.block()
    assert ledger.height == passed_at + 1
    pool.update_after_commit([], ledger.state, result.changes.keys())
    assert pool.min_fee_per_byte == 2 and len(pool) == 0  # the free one left: too cheap now
    assert pool.stats().dropped_invalid == 1
    with pytest.raises(InvalidInput, match="fee_too_low|fee"):
        pool.add(free)
    assert ask(ledger.state, "fees", "params").min_fee_per_byte == 2
    assert ask(ledger.state, "fees", "minimum_fee", tx_bytes=250).fee == 500
    with pytest.raises(InvalidBlock, match="fee"):
        ledger.block([free])
    pool.add(paying(0, rate=2))
    receipts = ledger.block([paying(0, rate=2)]).receipts
    assert receipts[0].ok


def test_governance_refuses_a_minimum_out_of_range() -> None:
    ledger = governed()
    top = fees_limits.min_fee_per_byte_max
    receipt = ledger.propose(SetParameter("fees.min_fee_per_byte", top + 1))
    assert not receipt.ok and receipt.code == "governance.parameter_out_of_range"
    assert f"0..{top}" in receipt.error
    assert ledger.propose(SetParameter("fees.min_fee_per_byte", top)).ok


def test_queries_answer_the_minimum() -> None:
    state = fee_state(rate=4)
    assert ask(state, "fees", "params").min_fee_per_byte == 4
    assert ask(state, "fees", "minimum_fee", tx_bytes=250).fee == 1_000
    assert ask(state, "fees", "minimum_fee", tx_bytes=8 * 1024).fee == 4 * 8 * 1024
    with pytest.raises(InvalidInput):
        ask(state, "fees", "minimum_fee", tx_bytes=0)
    with pytest.raises(InvalidInput):
        ask(state, "fees", "minimum_fee", tx_bytes=8 * 1024 + 1)


def test_the_genesis_minimum_at_its_edge() -> None:
    top = fees_limits.min_fee_per_byte_max
    assert ask(fee_state(rate=top), "fees", "params").min_fee_per_byte == top
    with pytest.raises(ConfigError, match=f"0 to {top}, got {top + 1}"):
        fee_state(rate=top + 1)
    with pytest.raises(ConfigError, match="got -1"):
        fee_state(rate=-1)


def test_the_supply_falls_by_exactly_what_is_burnt() -> None:
    state = fee_state()
    raws = [paying(n) for n in range(3)]
    run_block(state, [decode_tx(r) for r in raws])  # apply_block_result asserts invariants
    burnt = sum(fee_of(r) for r in raws)
    assert ask(state, "bank", "supply").burnt == burnt and supply_of(state) == 1_500 - burnt
    total = sum(balance_of(state, k.address) for k in (ALICE, BOB))
    assert total == supply_of(state)
