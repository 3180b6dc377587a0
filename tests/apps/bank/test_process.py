"""Bank rules, each refusal with its error type and message (through execute_block)."""

import pytest

from chainbook.apps.bank import Balance, MultiTransfer, Output, Transfer
from chainbook.apps.bank import limits as bank_limits
from chainbook.apps.bank.errors import (
    InsufficientFunds,
    InvalidAmount,
    MemoTooLong,
    TooManyOutputs,
    UnknownAccount,
)
from chainbook.chain.tx import DecodedTx
from chainbook.errors import InvalidInput
from chainbook.ledger.state import get_nonce
from tests.support import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ask,
    balance_of,
    make_state,
    multi,
    run_block,
    supply_of,
    transfer,
    tx,
)


def test_transfer_moves_coins_and_emits_no_event() -> None:
    state = make_state()
    result = run_block(state, [transfer(ALICE, 0, BOB, 300, memo="rent")])
    receipt = result.receipts[0]
    assert receipt.ok and receipt.error == ""
    assert balance_of(state, ALICE.address) == 700
    assert balance_of(state, BOB.address) == 800
    assert supply_of(state) == 1_500
    # The transaction states sender, recipient and amount; an event would only repeat them.
    assert receipt.events == [] and result.events == []


def test_recipient_is_created_on_first_credit() -> None:
    state = make_state()
    assert ask(state, "bank", "balance", address=CAROL.address) == Balance(
        address=CAROL.address, balance=0, exists=False
    )
    run_block(state, [transfer(ALICE, 0, CAROL, 1)])
    assert balance_of(state, CAROL.address) == 1
    run_block(state, [transfer(CAROL, 0, BOB, 1)])  # a funded account can send
    assert ask(state, "bank", "balance", address=CAROL.address) == Balance(
        address=CAROL.address, balance=0, exists=True
    )
    assert get_nonce(state.kv, CAROL.address) == 1


def test_spending_everything_is_allowed_and_account_stays_known() -> None:
    state = make_state()
    run_block(state, [transfer(BOB, 0, ALICE, 500)])
    assert balance_of(state, BOB.address) == 0
    result = run_block(state, [transfer(BOB, 1, ALICE, 1)])
    assert result.receipts[0].error == "insufficient funds: needed 1, available 0"


def test_transfer_to_self_is_allowed_and_changes_only_the_nonce() -> None:
    state = make_state()
    result = run_block(state, [transfer(ALICE, 0, ALICE, 1_000)])
    assert result.receipts[0].ok
    assert balance_of(state, ALICE.address) == 1_000
    assert get_nonce(state.kv, ALICE.address) == 1


def refusal(state_tx: DecodedTx) -> str:
    state = make_state()
    result = run_block(state, [state_tx])
    receipt = result.receipts[0]
    assert not receipt.ok and receipt.events == []
    return receipt.error


def test_overdraft_is_refused_with_needed_and_available() -> None:
    assert refusal(transfer(ALICE, 0, BOB, 1_001)) == (
        "insufficient funds: needed 1001, available 1000"
    )


@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_amount_is_refused(amount: int) -> None:
    assert refusal(transfer(ALICE, 0, BOB, amount)) == (
        f"amount must be a positive integer, got {amount}"
    )


def test_unknown_sender_is_refused_with_a_clear_message() -> None:
    error = refusal(transfer(DAVE, 0, BOB, 1))
    assert error.startswith(f"account {DAVE.address.hex()} is unknown")
    assert "never received coins" in error


def test_memo_at_limit_is_accepted_and_beyond_refused() -> None:
    state = make_state()
    memo = "é" * (bank_limits.memo_bytes_max // 2)
    ok = run_block(state, [transfer(ALICE, 0, BOB, 1, memo=memo)])
    assert ok.receipts[0].ok
    error = refusal(transfer(ALICE, 0, BOB, 1, memo="x" * (bank_limits.memo_bytes_max + 1)))
    assert error == f"memo is {bank_limits.memo_bytes_max + 1} bytes of UTF-8, limit 256 bytes"


def test_multi_transfer_pays_every_output() -> None:
    state = make_state()
    result = run_block(state, [multi(ALICE, 0, [(BOB, 100), (CAROL, 50), (CAROL, 25)])])
    assert result.receipts[0].ok
    assert result.receipts[0].events == []
    assert balance_of(state, ALICE.address) == 825
    assert balance_of(state, BOB.address) == 600
    assert balance_of(state, CAROL.address) == 75


def test_multi_transfer_is_all_or_nothing() -> None:
    state = make_state()
    result = run_block(state, [multi(ALICE, 0, [(BOB, 600), (CAROL, 401)])])
    assert result.receipts[0].error == "insufficient funds: needed 1001, available 1000"
    assert balance_of(state, ALICE.address) == 1_000
    assert balance_of(state, CAROL.address) == 0
    assert get_nonce(state.kv, ALICE.address) == 1


def test_multi_transfer_output_count_limits() -> None:
    most = bank_limits.multi_transfer_recipients_max
    state = make_state()
    result = run_block(state, [multi(ALICE, 0, [(BOB, 1)] * most)])
    assert result.receipts[0].ok
    for count in (0, most + 1):
        assert refusal(multi(ALICE, 0, [(BOB, 1)] * count)) == (
            f"multi_transfer has {count} outputs, accepted 1 to {most}"
        )


def test_multi_transfer_output_amount_must_be_positive() -> None:
    assert refusal(multi(ALICE, 0, [(BOB, 1), (CAROL, 0)])) == (
        "outputs[1].amount must be a positive integer, got 0"
    )


def test_refusal_error_types() -> None:
    from chainbook.apps.bank import process as bank
    from chainbook.apps.base import PrefixedView, TxContext
    from chainbook.ledger.state import StateView

    state = make_state()
    view = PrefixedView(StateView(state.kv), b"bank/")

    def run(sender: bytes, action: object) -> None:
        ctx = TxContext("test-chain", 1, 0, sender, 0, b"\0" * 32, (sender,), (sender,))
        bank.process(view, ctx, action)  # type: ignore[arg-type]

    with pytest.raises(InsufficientFunds) as info:
        run(ALICE.address, Transfer(BOB.address, 1_001))
    assert (info.value.needed, info.value.available) == (1_001, 1_000)
    with pytest.raises(UnknownAccount):
        run(DAVE.address, Transfer(BOB.address, 1))
    with pytest.raises(InvalidAmount):
        run(ALICE.address, Transfer(BOB.address, 0))
    with pytest.raises(TooManyOutputs):
        run(ALICE.address, MultiTransfer([]))
    with pytest.raises(MemoTooLong):
        run(ALICE.address, Transfer(BOB.address, 1, "x" * (bank_limits.memo_bytes_max + 1)))
    with pytest.raises(InsufficientFunds):
        run(ALICE.address, MultiTransfer([Output(BOB.address, 1_000), Output(BOB.address, 1)]))


def test_queries() -> None:
    state = make_state(block_reward=10, supply_max=2_000)
    run_block(state, [])
    assert balance_of(state, ALICE.address) == 1_000
    supply = ask(state, "bank", "supply")
    assert (supply.total, supply.max, supply.minted) == (1_510, 2_000, 10)
    assert (supply.symbol, supply.decimals) == ("CBK", 6)
    with pytest.raises(InvalidInput, match="unknown query bank.nope"):
        ask(state, "bank", "nope")
    with pytest.raises(InvalidInput, match="unknown module"):
        ask(state, "nope", "balance")


def test_bad_address_length_is_a_decode_error() -> None:
    from chainbook import codec
    from chainbook.apps.registry import decode_action  # noqa: F401 (the one decoder)
    from chainbook.errors import DecodeError

    raw = codec.encode(["bank.transfer", b"x" * 19, 1, ""])
    with pytest.raises(DecodeError, match="length >= 20"):
        decode_action(raw)
    _ = tx  # keep the helper import used


def test_other_modules_move_coins_only_from_the_sender_or_their_own_account() -> None:
    """bank's `transfer` export (other modules' only way to move the coin)."""
    from chainbook.apps.bank import process as bank
    from chainbook.apps.base import PrefixedView, TxContext, module_account
    from chainbook.ledger.state import StateView

    state = make_state({ALICE.address: 100, module_account("escrow"): 50})
    view = PrefixedView(StateView(state.kv), b"bank/")
    # Carol co-signed: she agreed to the action, but the bank still moves only the sender's
    # coins (an account's coins leave it only through its own transactions).
    signers = (ALICE.address, CAROL.address)
    ctx = TxContext("test-chain", 1, 0, ALICE.address, 0, b"\0" * 32, signers, signers)
    bank.export_transfer(view, ctx, "escrow", ALICE.address, BOB.address, 10)
    bank.export_transfer(view, ctx, "escrow", module_account("escrow"), BOB.address, 5)
    assert bank.export_balance(view, ctx, "escrow", BOB.address) == 15
    with pytest.raises(UnknownAccount, match="only from the transaction's sender or its own"):
        bank.export_transfer(view, ctx, "escrow", CAROL.address, BOB.address, 1)
    with pytest.raises(UnknownAccount, match="only from"):
        bank.export_transfer(view, ctx, "thief", module_account("escrow"), BOB.address, 1)
    with pytest.raises(InsufficientFunds):
        bank.export_transfer(view, ctx, "escrow", ALICE.address, BOB.address, 1_000)


def test_burn_takes_only_the_sender_s_coins_out_of_the_supply() -> None:
    """bank's `burn` export (the fees module burns fees through it)."""
    from chainbook.apps.bank import process as bank
    from chainbook.apps.base import PrefixedReader, PrefixedView, TxContext
    from chainbook.ledger.state import StateView

    state = make_state({ALICE.address: 100, CAROL.address: 100})
    block = StateView(state.kv)
    view = PrefixedView(block, b"bank/")
    signers = (ALICE.address, CAROL.address)
    ctx = TxContext("test-chain", 1, 0, ALICE.address, 0, b"\0" * 32, signers, signers)
    bank.export_burn(view, ctx, "fees", ALICE.address, 30)
    assert bank.get_balance(view, ALICE.address) == 70
    assert (bank.get_supply(view), bank.get_burnt(view)) == (170, 30)
    with pytest.raises(UnknownAccount, match="only of the transaction's sender"):
        bank.export_burn(view, ctx, "fees", CAROL.address, 1)
    with pytest.raises(InsufficientFunds):
        bank.export_burn(view, ctx, "fees", ALICE.address, 71)
    with pytest.raises(InvalidAmount):
        bank.export_burn(view, ctx, "fees", ALICE.address, 0)
    changed = [k.removeprefix(b"bank/") for k in block.writes]
    after = StateView(state.kv)
    after.writes = block.writes
    bank.assert_invariants(
        PrefixedReader(state.kv, b"bank/"), PrefixedReader(after, b"bank/"), changed
    )


def test_the_invariants_catch_coins_destroyed_without_a_burn() -> None:
    from chainbook.apps.bank import process as bank
    from chainbook.apps.base import PrefixedReader, encode_int
    from chainbook.ledger.state import StateView

    state = make_state({ALICE.address: 100})
    after = StateView(state.kv)
    after.writes = {
        b"bank/supply": encode_int(70),
        b"bank/balance/" + ALICE.address: encode_int(70),
    }
    changed = [k.removeprefix(b"bank/") for k in after.writes]
    with pytest.raises(AssertionError):  # supply fell by 30 but nothing was burnt or minted
        bank.assert_invariants(
            PrefixedReader(state.kv, b"bank/"), PrefixedReader(after, b"bank/"), changed
        )
    after.writes[b"bank/burnt"] = encode_int(30)
    bank.assert_invariants(
        PrefixedReader(state.kv, b"bank/"), PrefixedReader(after, b"bank/"), changed + [b"burnt"]
    )
