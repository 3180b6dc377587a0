"""execute_block on random actions: it raises nothing but InvalidBlock, and invariants hold.

A block of random transactions (random signers among a few keys, nonces right or wrong, bank
transfers and multi-transfers of any amount to anyone, and action bytes that are no action at
all) is executed over a state built by earlier random blocks. The rule (ledger/execute.py):

- a bad block (a wrong nonce, an undecodable action) raises InvalidBlock, and the state is
  untouched;
- otherwise each transaction gets a receipt, ok, or failed naming its reason, the block
  applies (apply_block_result asserts every module's invariants: the bank's supply), and the
  balances add up to the supply, which grew by exactly the block reward.
"""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainbook import codec
from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.chain.tx import TxBody, decode_tx, sign_tx, signing_message
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.ledger.execute import apply_block_result, execute_block
from chainbook.ledger.state import LedgerState
from tests.support import ALICE, BOB, CAROL, CHAIN_ID, ask, ctx, make_state, supply_of

KEYS = [ALICE, BOB, CAROL]
ADDRESSES = [k.address for k in KEYS] + [b"\x07" * 20]
NOT_AN_ACTION = st.one_of(
    st.integers(-(2**63), 2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=10),
    st.lists(
        st.one_of(st.integers(0, 300), st.text(max_size=12), st.binary(max_size=24)), max_size=5
    ),
)
AMOUNTS = st.one_of(st.integers(0, 10**6), st.integers(0, 2**64 - 1))


def sign_raw(key: PrivateKey, nonce: int, action_bytes: bytes) -> bytes:
    """A correctly signed transaction whose action bytes are whatever was drawn."""
    from chainbook.chain.tx import SignedTx

    body = codec.encode(
        TxBody(CHAIN_ID, (key.public_key,), None, nonce, 0, msgspec.Raw(action_bytes))
    )
    signature = key.sign(signing_message(body))
    return codec.encode(SignedTx(body=body, signatures=(signature,)))


@st.composite
def a_tx(draw: st.DrawFn, nonces: dict[bytes, int]) -> bytes:
    key = draw(st.sampled_from(KEYS))
    nonce = nonces[key.address]
    if draw(st.integers(0, 9)) == 0:
        nonce += draw(st.sampled_from([-1, 1, 2]))  # a wrong nonce: the block is bad
    else:
        nonces[key.address] += 1
    kind = draw(st.integers(0, 9))
    if kind == 0:
        junk = draw(NOT_AN_ACTION)  # well-formed MessagePack (TxBody needs one), no action
        return sign_raw(key, max(nonce, 0), msgspec.msgpack.encode(junk))
    if kind <= 3:
        outputs = draw(
            st.lists(st.builds(Output, st.sampled_from(ADDRESSES), AMOUNTS), min_size=0, max_size=4)
        )
        return sign_tx(key, CHAIN_ID, max(nonce, 0), MultiTransfer(outputs))
    action = Transfer(to=draw(st.sampled_from(ADDRESSES)), amount=draw(AMOUNTS))
    fee = draw(st.sampled_from([0, 0, 0, 1, 10**5, 2**64 - 1]))  # burnt, or unpayable
    return sign_tx(key, CHAIN_ID, max(nonce, 0), action, fee=fee)


def burnt_of(state: LedgerState) -> int:
    return int(ask(state, "bank", "supply").burnt)


def balances_total(state: LedgerState) -> int:
    """Every account that can hold coins here: the senders, the recipients, the proposer."""
    holders = [*ADDRESSES, ctx(1).proposer]
    return sum(ask(state, "bank", "balance", address=a.hex()).balance for a in holders)


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_random_blocks_raise_only_invalid_block_and_keep_the_invariants(
    data: st.DataObject,
) -> None:
    state = make_state({k.address: 10**6 for k in KEYS})
    nonces = {k.address: 0 for k in KEYS}
    for _ in range(data.draw(st.integers(1, 3))):
        before = (state.height, state.app_hash, supply_of(state), burnt_of(state))
        draft = dict(nonces)
        txs = data.draw(st.lists(a_tx(draft), max_size=6))
        decoded = [decode_tx(tx) for tx in txs]
        try:
            result = execute_block(state, CHAIN_ID, decoded, ctx(state.height + 1))
        except InvalidBlock:
            assert (state.height, state.app_hash, supply_of(state), burnt_of(state)) == before
            continue
        assert len(result.receipts) == len(txs)
        for receipt in result.receipts:
            assert receipt.ok == (receipt.error == ""), receipt  # a failure names its reason
        apply_block_result(state, result, state.height + 1)  # asserts the modules' invariants
        nonces = draft
        assert supply_of(state) == balances_total(state)
        burnt = burnt_of(state) - before[3]
        assert burnt >= 0 and supply_of(state) + burnt >= before[2]  # only mints add, burns take
