"""Properties of the ledger over random transactions of every kind, tampered or not.

Random sequences of transfers, co-signed transfers, policy changes and removals, signed by
random sets of keys, paying random fees (below, at and above the minimum), some with a forged
signature; each goes through admission (the mempool), then through a block. Properties:
- the supply changes only by burning (no reward here): supply = genesis supply - burnt, and
  it equals the sum of the balances; no balance is negative (apply_block_result also asserts
  the bank's invariants at every commit);
- what admission accepts, a block executes with an ok receipt (admission = execution);
- what admission refuses carries a reason (a code and a message naming it), and in a block it
  either makes the block invalid or gets a failed receipt that changed nothing but the
  sender's nonce and fee;
- a policy changes only by a transaction whose keys met the policy before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook import codec
from chainbook.apps.account_policy import is_policy_met
from chainbook.apps.accounts import ClearPolicy, SetPolicy, Signer
from chainbook.apps.bank import Transfer
from chainbook.apps.fees import FeesGenesis
from chainbook.chain.tx import SignedTx, decode_tx, fit_fee, sign_tx_by, signing_message
from chainbook.core.mempool import Mempool
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock, InvalidInput, InvalidTransaction
from chainbook.ledger.authorization import get_account_policy
from chainbook.ledger.execute import (
    BlockContext,
    apply_block_result,
    execute_block,
    verify_block_txs,
)
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, BOB, CAROL, CHAIN_ID, DAVE, VALIDATOR, ask, balance_of, make_state

ACCOUNTS = [ALICE, BOB, CAROL, DAVE]
SPARE = [PrivateKey.from_label(f"spare-{i}") for i in range(2)]
KEYS = [*ACCOUNTS, *SPARE]
RATE = 1
GENESIS_SUPPLY = 100_000 + 50_000 + 30_000


@dataclass(frozen=True)
class Op:
    kind: str
    sender: int
    other: int
    keys: tuple[int, ...]
    signing: str
    """"authorized": the keys that speak for the accounts now; "with_new": those and the keys
    a new policy names; "random": `keys`."""
    amount: int
    threshold: int
    fee: str
    forge: bool


ops = st.builds(
    Op,
    kind=st.sampled_from(["transfer", "cosigned", "set_policy", "clear_policy"]),
    sender=st.sampled_from([0, 0, 1, 1, 2, 3]),
    other=st.integers(0, 3),
    keys=st.lists(st.integers(0, len(KEYS) - 1), min_size=1, max_size=4, unique=True).map(tuple),
    signing=st.sampled_from(["authorized", "authorized", "with_new", "with_new", "random"]),
    amount=st.integers(0, 70_000),
    threshold=st.integers(0, 4),
    fee=st.sampled_from(["least", "least", "more", "more", "short", "zero"]),
    forge=st.sampled_from([False, False, False, True]),
)


def make_action(op: Op) -> msgspec.Struct:
    to = ACCOUNTS[op.other].address
    if op.kind in ("transfer", "cosigned"):
        return Transfer(to, op.amount)
    if op.kind == "clear_policy":
        return ClearPolicy()
    signers = [Signer(KEYS[i].address, 1 + i % 2) for i in op.keys]
    return SetPolicy(signers, op.threshold)


def speaking_keys(state: LedgerState, account: bytes) -> list[PrivateKey]:
    policy = get_account_policy(state.registry, state.kv, account)
    named = {account} if policy is None else {s.address for s in policy.signers}
    return [k for k in KEYS if k.address in named]


def choose_keys(state: LedgerState, op: Op, accounts: list[bytes]) -> list[PrivateKey]:
    if op.signing == "random":
        return [KEYS[i] for i in op.keys]
    chosen = [k for account in accounts for k in speaking_keys(state, account)]
    if op.signing == "with_new":
        chosen += [KEYS[i] for i in op.keys]
    unique = list(dict.fromkeys(chosen))
    return unique[:8] or [KEYS[op.keys[0]]]


def build(state: LedgerState, op: Op, nonce: int) -> bytes:
    sender = ACCOUNTS[op.sender].address
    accounts = [sender]
    if op.kind == "cosigned" and op.other != op.sender:
        accounts.append(ACCOUNTS[op.other].address)
    keys = choose_keys(state, op, accounts)
    action = make_action(op)
    extra = {"least": 0, "short": -1, "more": 5, "zero": 0}[op.fee]

    def make(fee: int) -> bytes:
        paid = 0 if op.fee == "zero" else max(0, fee + extra)
        return sign_tx_by(keys, CHAIN_ID, nonce, action, fee=paid, accounts=accounts)

    raw = fit_fee(make, 0 if op.fee == "zero" else RATE)
    if not op.forge:
        return raw
    signed = codec.decode(raw, SignedTx)
    forged = (*signed.signatures[:-1], SPARE[0].sign(b"not " + signing_message(signed.body)))
    return codec.encode(SignedTx(signed.body, forged))


def fee_keys(sender: bytes) -> set[bytes]:
    return {b"acct/nonce/" + sender, b"bank/balance/" + sender, b"bank/supply", b"bank/burnt"}


def run_one(state: LedgerState, raw: bytes) -> tuple[bool, dict[bytes, bytes | None] | None, bool]:
    """(admitted, the block's changes or None when the block is invalid, receipt ok)."""
    pool = Mempool(CHAIN_ID, state)
    try:
        pool.add(raw)
        admitted = True
    except InvalidInput as exc:
        assert len(str(exc)) > 20, f"a refusal without a reason: {exc!r}"
        if isinstance(exc, InvalidTransaction):
            assert exc.code != InvalidTransaction.code, f"a refusal without its own code: {exc!r}"
        admitted = False
    assert admitted == (len(pool) == 1)
    height = state.height + 1
    ctx = BlockContext(height, state.time_ms + 1, VALIDATOR.address)
    try:
        txs = verify_block_txs(CHAIN_ID, [raw])
        result = execute_block(state, CHAIN_ID, txs, ctx)
    except InvalidBlock:
        assert not admitted, "admission accepted what a block refuses"
        return admitted, None, False
    apply_block_result(state, result, height)
    return admitted, result.changes, result.receipts[0].ok


@settings(max_examples=80, deadline=None)
@given(st.lists(ops, min_size=1, max_size=8))
def test_random_transactions_keep_the_ledger_s_invariants(sequence: list[Op]) -> None:
    state = make_state(
        {ALICE.address: 100_000, BOB.address: 50_000, CAROL.address: 30_000},
        app_state={"fees": FeesGenesis(min_fee_per_byte=RATE)},
    )
    for op in sequence:
        sender = ACCOUNTS[op.sender].address
        raw = build(state, op, get_nonce(state.kv, sender))
        policy_before = get_account_policy(state.registry, state.kv, sender)
        balance_before = balance_of(state, sender)
        admitted, changes, ok = run_one(state, raw)
        if changes is not None:
            assert ok == admitted, "admission and execution disagree"
        if changes is not None and not ok:
            assert set(changes) <= fee_keys(sender), "a refused action changed state"
            assert balance_before - balance_of(state, sender) == decode_tx(raw).fee
        policy_after = get_account_policy(state.registry, state.kv, sender)
        if policy_after != policy_before:
            keys = decode_tx(raw).key_addresses
            assert is_policy_met(policy_before, sender, keys), "policy changed without threshold"
        supply = ask(state, "bank", "supply")
        assert supply.total == GENESIS_SUPPLY - supply.burnt
        balances = [balance_of(state, k.address) for k in ACCOUNTS]
        assert min(balances) >= 0 and sum(balances) == supply.total
