"""execute_block / apply_block_result: nonces, receipts, receipts root, app hash, purity, replay."""

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook import codec
from chainbook.apps.bank import Transfer
from chainbook.chain.block import Block, Header
from chainbook.chain.tx import DecodedTx, TxBody, decode_tx, sign_tx
from chainbook.crypto import sha256
from chainbook.errors import CorruptBook, InvalidBlock
from chainbook.ledger.execute import (
    apply_block_result,
    execute_block,
    replay_block,
    verify_block_txs,
)
from chainbook.ledger.receipts import Event, compute_receipts_root
from chainbook.ledger.state import LedgerState, get_nonce
from chainbook.ledger.state_tree import StateTree
from tests.support import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    DAVE,
    VALIDATOR,
    balance_of,
    ctx,
    make_genesis,
    make_state,
    run_block,
    signed,
    transfer,
)


def test_genesis_state() -> None:
    genesis = make_genesis()
    state = LedgerState.from_genesis(genesis)
    assert state.height == 0
    assert state.app_hash == StateTree.from_items(state.kv).root != bytes(32)
    assert state.time_ms == genesis.genesis_time_ms
    assert balance_of(state, ALICE.address) == 1_000
    assert get_nonce(state.kv, ALICE.address) == 0


def test_nonces_advance_per_transaction() -> None:
    state = make_state()
    run_block(state, [transfer(ALICE, 0, BOB, 1), transfer(ALICE, 1, BOB, 1)])
    assert get_nonce(state.kv, ALICE.address) == 2
    assert get_nonce(state.kv, BOB.address) == 0


def test_failed_transaction_advances_nonce_and_discards_writes() -> None:
    state = make_state()
    result = run_block(
        state,
        [transfer(ALICE, 0, BOB, 5_000), transfer(ALICE, 1, BOB, 10), transfer(DAVE, 0, BOB, 1)],
    )
    assert [r.ok for r in result.receipts] == [False, True, False]
    assert [r.index for r in result.receipts] == [0, 1, 2]
    assert get_nonce(state.kv, ALICE.address) == 2
    assert get_nonce(state.kv, DAVE.address) == 1
    assert balance_of(state, ALICE.address) == 990
    assert balance_of(state, BOB.address) == 510


@pytest.mark.parametrize("nonce", [1, 5])
def test_wrong_nonce_makes_the_block_invalid(nonce: int) -> None:
    state = make_state()
    txs = [transfer(BOB, 0, ALICE, 1), transfer(ALICE, nonce, BOB, 1)]
    with pytest.raises(InvalidBlock, match=f"tx 1 .*expected 0, got {nonce}"):
        execute_block(state, CHAIN_ID, txs, ctx(1))


def test_replayed_transaction_in_same_block_is_invalid() -> None:
    state = make_state()
    t = transfer(ALICE, 0, BOB, 1)
    with pytest.raises(InvalidBlock, match="tx 1 .*expected 1, got 0"):
        execute_block(state, CHAIN_ID, [t, t], ctx(1))


def raw_tx(action_bytes: bytes, chain_id: str = CHAIN_ID) -> DecodedTx:
    keys = (ALICE.public_key,)
    body = codec.encode(TxBody(chain_id, keys, None, 0, 0, msgspec.Raw(action_bytes)))
    sender = (ALICE.address,)
    return DecodedTx(
        b"", sha256(body), chain_id, ALICE.address, 0, 0, action_bytes, keys, sender, sender
    )


def test_unknown_action_makes_the_block_invalid() -> None:
    with pytest.raises(InvalidBlock, match="tx 0 .*unknown action 'shop.buy'"):
        execute_block(make_state(), CHAIN_ID, [raw_tx(codec.encode(["shop.buy", 1]))], ctx(1))


def test_non_canonical_action_makes_the_block_invalid() -> None:
    action = codec.encode(["bank.transfer", BOB.address, 1])  # memo omitted
    with pytest.raises(InvalidBlock, match="non-canonical"):
        execute_block(make_state(), CHAIN_ID, [raw_tx(action)], ctx(1))


def test_foreign_chain_tx_makes_the_block_invalid() -> None:
    t = decode_tx(sign_tx(ALICE, "other-chain", 0, Transfer(BOB.address, 1)))
    with pytest.raises(InvalidBlock, match="for chain 'other-chain'"):
        execute_block(make_state(), CHAIN_ID, [t], ctx(1))


def test_execute_block_does_not_change_the_state() -> None:
    state = make_state(block_reward=5, supply_max=10_000)
    kv_before, hash_before = dict(state.kv), state.app_hash
    execute_block(state, CHAIN_ID, [transfer(ALICE, 0, BOB, 1)], ctx(1))
    assert state.kv == kv_before and state.app_hash == hash_before and state.height == 0


def test_receipts_root_is_deterministic() -> None:
    txs = [transfer(ALICE, 0, BOB, 7), transfer(BOB, 0, CAROL, 3), transfer(DAVE, 0, BOB, 1)]
    a = execute_block(make_state(), CHAIN_ID, txs, ctx(1))
    b = execute_block(make_state(), CHAIN_ID, list(txs), ctx(1))
    assert a.receipts_root == b.receipts_root and a.changes == b.changes
    assert a.receipts_root == compute_receipts_root(a.receipts)


def test_receipts_root_changes_with_any_outcome() -> None:
    base_txs = [transfer(ALICE, 0, BOB, 7)]
    reference = execute_block(make_state(), CHAIN_ID, base_txs, ctx(1))
    variants = [
        execute_block(make_state(), CHAIN_ID, [transfer(ALICE, 0, BOB, 8)], ctx(1)),
        execute_block(make_state(), CHAIN_ID, [transfer(ALICE, 0, BOB, 5_000)], ctx(1)),
        execute_block(make_state(), CHAIN_ID, [], ctx(1)),
    ]
    roots = {v.receipts_root for v in variants} | {reference.receipts_root}
    assert len(roots) == len(variants) + 1
    receipt = reference.receipts[0]
    for changed in (
        msgspec.structs.replace(receipt, ok=False),
        msgspec.structs.replace(receipt, code="bank.insufficient_funds"),
        msgspec.structs.replace(receipt, error="x"),
        msgspec.structs.replace(receipt, events=[Event("bank", "mint", [("amount", "1")])]),
    ):
        assert compute_receipts_root([changed]) != reference.receipts_root


def test_failed_receipt_changes_receipts_root_even_without_state_change() -> None:
    # Two failing txs with different errors write the same keys (nonce only).
    a = execute_block(make_state(), CHAIN_ID, [transfer(ALICE, 0, BOB, 5_000)], ctx(1))
    b = execute_block(make_state(), CHAIN_ID, [transfer(ALICE, 0, BOB, 0)], ctx(1))
    assert a.changes == b.changes and a.receipts_root != b.receipts_root
    assert a.receipts[0].code == "bank.insufficient_funds" and a.receipts[0].error
    assert b.receipts[0].code.startswith("bank.") and b.receipts[0].code != a.receipts[0].code


def test_app_hash_is_the_root_of_the_whole_state_and_keeps_the_previous_version() -> None:
    state = make_state()
    genesis_root = state.app_hash
    run_block(state, [transfer(ALICE, 0, BOB, 7)])
    assert state.app_hash == StateTree.from_items(state.kv).root != genesis_root
    assert state.previous_tree is not None and state.previous_tree.root == genesis_root
    nonce_key = b"acct/nonce/" + ALICE.address
    assert state.tree.get(nonce_key) == state.kv[nonce_key]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from([0, 1, 2]), st.integers(-2, 800)),
        max_size=12,
    )
)
def test_random_transfers_conserve_supply_and_agree(moves: list[tuple[int, int, int]]) -> None:
    keys = [ALICE, BOB, CAROL]
    nonces = [0, 0, 0]
    txs = []
    for src, dst, amount in moves:
        txs.append(transfer(keys[src], nonces[src], keys[dst], amount))
        nonces[src] += 1
    a, b = make_state(), make_state()
    ra, rb = run_block(a, txs), run_block(b, txs)  # apply_block_result asserts conservation
    assert ra.receipts_root == rb.receipts_root and a.kv == b.kv and a.app_hash == b.app_hash
    assert sum(balance_of(a, k.address) for k in keys) == 1_500


def test_apply_requires_the_next_height() -> None:
    state = make_state()
    result = execute_block(state, CHAIN_ID, [], ctx(1))
    with pytest.raises(AssertionError):
        apply_block_result(state, result, 2)
    apply_block_result(state, result, 1)
    assert state.height == 1 and state.app_hash == StateTree.from_items(state.kv).root


def test_verify_block_txs_checks_signatures_unless_already_admitted() -> None:
    good = signed(ALICE, 0, Transfer(BOB.address, 1))
    decoded = verify_block_txs(CHAIN_ID, [good])
    assert decoded[0].sender == ALICE.address
    forged = codec.encode(
        msgspec.structs.replace(codec.decode(good, _signed_type()), signatures=(b"\x01" * 64,))
    )
    with pytest.raises(InvalidBlock, match="tx 1: signature 0 does not verify"):
        verify_block_txs(CHAIN_ID, [good, forged])
    with pytest.raises(InvalidBlock, match="tx 0: transaction is for chain"):
        verify_block_txs("other-chain", [good])
    with pytest.raises(InvalidBlock, match="tx 0: malformed"):
        verify_block_txs(CHAIN_ID, [b"\xc1"])

    class Known:
        def get(self, tx_hash: bytes, /) -> DecodedTx | None:
            return decode_tx(forged) if tx_hash == sha256(forged) else None

    assert verify_block_txs(CHAIN_ID, [forged], Known())[0].tx_bytes == forged


def _signed_type() -> type:
    from chainbook.chain.tx import SignedTx

    return SignedTx


def make_block(
    state: LedgerState, txs: list[bytes], app_hash: bytes, receipts_root: bytes
) -> Block:
    height = state.height + 1
    header = Header(
        chain_id=CHAIN_ID,
        height=height,
        time_ms=ctx(height).time_ms,
        prev_block_hash=b"\0" * 32,
        last_commit_hash=b"\0" * 32,
        txs_root=b"\0" * 32,
        tx_count=len(txs),
        receipts_root=receipts_root,
        app_hash=app_hash,
        validators_hash=b"\0" * 32,
        next_validators_hash=b"\0" * 32,
        proposer=VALIDATOR.address,
        evidence_hash=b"\0" * 32,
    )
    return Block(header=header, txs=txs, last_commit=None)


def test_replay_rebuilds_the_same_state_and_detects_a_bad_app_hash() -> None:
    live = make_state(block_reward=3, supply_max=10_000)
    blocks = []
    for i in range(3):
        raw = [signed(ALICE, i, Transfer(BOB.address, 10 + i))]
        result = execute_block(live, CHAIN_ID, [decode_tx(t) for t in raw], ctx(live.height + 1))
        blocks.append(make_block(live, raw, live.app_hash, result.receipts_root))
        apply_block_result(live, result, live.height + 1)
    rebuilt = make_state(block_reward=3, supply_max=10_000)
    for block in blocks:
        replay_block(rebuilt, block)
    assert rebuilt.kv == live.kv and rebuilt.app_hash == live.app_hash
    first = blocks[0].header
    tampered = make_block(make_state(), blocks[0].txs, b"\x07" * 32, first.receipts_root)
    with pytest.raises(CorruptBook, match="app hash"):
        replay_block(make_state(block_reward=3, supply_max=10_000), tampered)
    tampered = make_block(make_state(), blocks[0].txs, first.app_hash, b"\x07" * 32)
    with pytest.raises(CorruptBook, match="receipts root"):
        replay_block(make_state(block_reward=3, supply_max=10_000), tampered)
