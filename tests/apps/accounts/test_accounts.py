"""The accounts module and the ledger's authorization: policies, rotation, recovery, co-signers.

Each rule is checked where a user meets it: at admission (the mempool refuses with a reason
naming the account, the weight and the threshold) and in a block (an unauthorized sender makes
the block invalid; a refused policy change is a failed receipt that changes nothing else).
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from chainbook.apps.accounts import (
    AccountsGenesis,
    ClearPolicy,
    GenesisPolicy,
    GenesisSigner,
    SetPolicy,
    Signer,
)
from chainbook.apps.accounts import limits as accounts_limits
from chainbook.apps.bank import Transfer
from chainbook.apps.base import Module, ModuleError, TxContext, TxView
from chainbook.apps.registry import MODULES, Registry
from chainbook.core.mempool import Mempool
from chainbook.crypto import PrivateKey
from chainbook.errors import (
    ConfigError,
    DecodeError,
    InvalidBlock,
    InvalidSignature,
    Unauthorized,
)
from chainbook.ledger.execute import execute_block
from chainbook.ledger.receipts import Event
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    DAVE,
    ask,
    balance_of,
    ctx,
    make_state,
    run_block,
    signed,
    tx,
)

TREASURY = PrivateKey.from_label("treasury")
EVE = PrivateKey.from_label("eve")


def policy(*signers: tuple[PrivateKey, int], threshold: int) -> SetPolicy:
    return SetPolicy([Signer(k.address, w) for k, w in signers], threshold)


def treasury_state(threshold: int = 2, weights: tuple[int, int, int] = (1, 1, 1)) -> LedgerState:
    """TREASURY (1,000) spoken for by ALICE, BOB, CAROL with these weights, from genesis."""
    genesis_policy = GenesisPolicy(
        address=TREASURY.address.hex(),
        signers=[
            GenesisSigner(k.address.hex(), w)
            for k, w in zip((ALICE, BOB, CAROL), weights, strict=True)
        ],
        threshold=threshold,
    )
    return make_state(
        {ALICE.address: 1_000, BOB.address: 500, TREASURY.address: 1_000},
        app_state={"accounts": AccountsGenesis(policies=[genesis_policy])},
    )


def from_treasury(keys: list[PrivateKey], nonce: int, amount: int = 10) -> bytes:
    return signed(keys, nonce, Transfer(DAVE.address, amount), accounts=[TREASURY.address])


def admit(state: LedgerState, *txs: bytes) -> Mempool:
    pool = Mempool(CHAIN_ID, state)
    for raw in txs:
        pool.add(raw)
    return pool


# --- multi-signature accounts -------------------------------------------------------------------


def test_two_of_three_needs_two_signatures() -> None:
    state = treasury_state()
    with pytest.raises(Unauthorized, match="reach weight 1 of its threshold 2"):
        admit(state, from_treasury([ALICE], 0))
    admit(state, from_treasury([ALICE, CAROL], 0))
    admit(state, from_treasury([CAROL, BOB, ALICE], 0))  # more than needed is fine
    treasury = [TREASURY.address]
    alone = tx([BOB], 0, Transfer(DAVE.address, 1), accounts=treasury)
    with pytest.raises(InvalidBlock, match="sender .*reach weight 1 of its threshold 2"):
        execute_block(state, CHAIN_ID, [alone], ctx(1))
    run_block(state, [tx([BOB, CAROL], 0, Transfer(DAVE.address, 10), accounts=treasury)])
    assert balance_of(state, TREASURY.address) == 990 and balance_of(state, DAVE.address) == 10
    assert get_nonce(state.kv, TREASURY.address) == 1
    assert get_nonce(state.kv, BOB.address) == 0  # only the sender's nonce moves


def test_the_treasury_s_own_key_no_longer_speaks_for_it() -> None:
    with pytest.raises(Unauthorized, match="threshold 2"):
        admit(treasury_state(), signed(TREASURY, 0, Transfer(DAVE.address, 1)))


def test_weights_count_not_heads() -> None:
    state = treasury_state(threshold=2, weights=(2, 1, 1))
    admit(state, from_treasury([ALICE], 0))  # weight 2 alone
    admit(state, from_treasury([BOB, CAROL], 0))  # 1 + 1
    with pytest.raises(Unauthorized, match="reach weight 1 of its threshold 2"):
        admit(state, from_treasury([CAROL], 0))


def test_a_policy_change_without_the_threshold_is_refused_and_changes_nothing() -> None:
    state = treasury_state()
    grab = signed([ALICE], 0, policy((ALICE, 1), threshold=1), accounts=[TREASURY.address])
    with pytest.raises(Unauthorized, match="threshold 2"):
        admit(state, grab)
    before = dict(state.kv)
    decoded = tx([ALICE], 0, policy((ALICE, 1), threshold=1), accounts=[TREASURY.address])
    with pytest.raises(InvalidBlock):
        execute_block(state, CHAIN_ID, [decoded], ctx(1))
    assert state.kv == before
    assert ask(state, "accounts", "policy", address=TREASURY.address).threshold == 2


def test_a_lost_key_is_replaced_by_the_other_signers() -> None:
    state = treasury_state()
    # Bob's key is lost: Alice and Carol (the threshold) put Dave's key in its place.
    replace = policy((ALICE, 1), (CAROL, 1), (DAVE, 1), threshold=2)
    result = run_block(state, [tx([ALICE, CAROL], 0, replace, accounts=[TREASURY.address])])
    assert result.receipts[0].ok, result.receipts[0].error
    answer = ask(state, "accounts", "policy", address=TREASURY.address)
    assert answer.custom and {s.address for s in answer.signers} == {
        ALICE.address, CAROL.address, DAVE.address
    }
    with pytest.raises(Unauthorized, match="threshold 2"):  # Bob's key now counts for nothing
        admit(state, from_treasury([BOB, ALICE], 1))
    pay = tx([CAROL, DAVE], 1, Transfer(BOB.address, 5), accounts=[TREASURY.address])
    run_block(state, [pay])
    assert balance_of(state, TREASURY.address) == 995


# --- key rotation -----------------------------------------------------------------------------


def test_key_rotation_keeps_the_address_and_its_coins() -> None:
    state = make_state()
    rotate = policy((DAVE, 1), threshold=1)
    result = run_block(state, [tx([ALICE, DAVE], 0, rotate)])
    assert result.receipts[0].ok, result.receipts[0].error
    with pytest.raises(Unauthorized, match=f"sender {ALICE.address.hex()}"):
        admit(state, signed(ALICE, 1, Transfer(BOB.address, 1)))
    # Dave's key speaks for Alice's address; Dave's own account is untouched.
    run_block(state, [tx(DAVE, 1, Transfer(BOB.address, 100), accounts=[ALICE.address])])
    assert balance_of(state, ALICE.address) == 900 and balance_of(state, BOB.address) == 600
    assert get_nonce(state.kv, ALICE.address) == 2 and get_nonce(state.kv, DAVE.address) == 0
    # Dave's key acting for Dave's own (unfunded, policy-less) account is a different account.
    assert ask(state, "accounts", "policy", address=DAVE.address).custom is False


def test_a_pending_rotation_decides_the_sender_s_next_transactions_in_the_mempool() -> None:
    """The mempool remembers that Alice had no policy (ledger/authorization.py); her pending
    rotation must make it look again: her old key no longer speaks for her, Dave's does."""
    state = make_state()
    pool = admit(state, signed(ALICE, 0, Transfer(BOB.address, 1)))
    pool.add(signed([ALICE, DAVE], 1, policy((DAVE, 1), threshold=1)))
    with pytest.raises(Unauthorized, match=f"sender {ALICE.address.hex()}"):
        pool.add(signed(ALICE, 2, Transfer(BOB.address, 1)))
    pool.add(signed(DAVE, 2, Transfer(BOB.address, 1), accounts=[ALICE.address]))
    assert len(pool) == 3


def test_a_rotation_earlier_in_the_block_decides_the_sender_s_later_transactions() -> None:
    """The same within one block: after the rotation, Alice's old key makes the block invalid
    (an honest proposer never includes it) and Dave's key is accepted."""
    state = make_state()
    before = dict(state.kv)
    rotate = tx([ALICE, DAVE], 1, policy((DAVE, 1), threshold=1))
    first = tx(ALICE, 0, Transfer(BOB.address, 1))
    old_key = tx(ALICE, 2, Transfer(BOB.address, 1))
    with pytest.raises(InvalidBlock, match=f"sender {ALICE.address.hex()}"):
        execute_block(state, CHAIN_ID, [first, rotate, old_key], ctx(1))
    assert state.kv == before
    new_key = tx(DAVE, 2, Transfer(BOB.address, 1), accounts=[ALICE.address])
    result = run_block(state, [first, rotate, new_key])
    assert all(receipt.ok for receipt in result.receipts), result.receipts


def test_the_new_policy_must_be_met_by_the_transaction_that_sets_it() -> None:
    """A mistyped key would otherwise lock the account for good."""
    state = make_state()
    typo = policy((EVE, 1), threshold=1)
    with pytest.raises(ModuleError, match="new policy needs weight 1 .* reach 0"):
        admit(state, signed(ALICE, 0, typo))
    result = run_block(state, [tx(ALICE, 0, typo)])
    assert not result.receipts[0].ok and "new policy needs weight 1" in result.receipts[0].error
    assert ask(state, "accounts", "policy", address=ALICE.address).custom is False
    assert get_nonce(state.kv, ALICE.address) == 1  # a refused action still used its nonce


def test_clear_policy_needs_the_address_s_own_key() -> None:
    state = make_state()
    run_block(state, [tx([ALICE, DAVE], 0, policy((DAVE, 1), threshold=1))])
    with pytest.raises(ModuleError, match="needs the signature of the key whose address it is"):
        admit(state, signed(DAVE, 1, ClearPolicy(), accounts=[ALICE.address]))
    result = run_block(state, [tx([DAVE, ALICE], 1, ClearPolicy(), accounts=[ALICE.address])])
    assert result.receipts[0].ok
    run_block(state, [tx(ALICE, 2, Transfer(BOB.address, 1))])
    with pytest.raises(ModuleError, match="has no policy to clear"):
        admit(state, signed(ALICE, 3, ClearPolicy()))


# --- the rules a policy keeps, at their edges ---------------------------------------------------


def keys(count: int) -> list[PrivateKey]:
    return [PrivateKey.from_label(f"signer-{i}") for i in range(count)]


def set_policy_outcome(action: SetPolicy, signing: list[PrivateKey]) -> str:
    """'' when ALICE's transaction setting it would be admitted, else the refusal."""
    try:
        admit(make_state(), signed([ALICE, *signing], 0, action, accounts=[ALICE.address]))
    except ModuleError as exc:
        return f"{exc.code}: {exc}"
    return ""


def test_signer_count_limit_at_its_edge() -> None:
    most = keys(accounts_limits.policy_signers_max + 1)
    fits = SetPolicy([Signer(k.address, 1) for k in most[:-1]], 1)
    assert set_policy_outcome(fits, most[:1]) == ""
    over = SetPolicy([Signer(k.address, 1) for k in most], 1)
    assert "1 to 16 signers, got 17" in set_policy_outcome(over, most[:1])
    assert "got 0" in set_policy_outcome(SetPolicy([], 1), [])


def test_weight_and_threshold_limits_at_their_edges() -> None:
    heaviest = accounts_limits.signer_weight_max
    assert set_policy_outcome(SetPolicy([Signer(BOB.address, heaviest)], heaviest), [BOB]) == ""
    assert f"weight {heaviest + 1}, accepted 1 to {heaviest}" in set_policy_outcome(
        SetPolicy([Signer(BOB.address, heaviest + 1)], 1), [BOB]
    )
    assert "weight 0" in set_policy_outcome(SetPolicy([Signer(BOB.address, 0)], 1), [BOB])
    two = [Signer(BOB.address, 1), Signer(CAROL.address, 1)]
    assert set_policy_outcome(SetPolicy(two, 2), [BOB, CAROL]) == ""
    assert "threshold 3 must be 1 to the signers' total weight 2" in set_policy_outcome(
        SetPolicy(two, 3), [BOB, CAROL]
    )
    assert "threshold 0" in set_policy_outcome(SetPolicy(two, 0), [BOB])
    assert "appears twice" in set_policy_outcome(SetPolicy([two[0], two[0]], 1), [BOB])


def test_a_threshold_no_transaction_could_reach_is_refused() -> None:
    """One transaction carries at most tx_signatures_max (8) keys: 9 of 9 is refused, 8 of 9
    is stored (signed by Alice, one of the nine, and seven others)."""
    others = keys(8)
    listed = [Signer(k.address, 1) for k in [ALICE, *others]]
    assert "needs more than 8 signatures" in set_policy_outcome(SetPolicy(listed, 9), others[:7])
    assert set_policy_outcome(SetPolicy(listed, 8), others[:7]) == ""


# --- co-signers ---------------------------------------------------------------------------------


class Deal(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="deal.agree"
):
    counterparty: bytes


class NotSigned(ModuleError):
    code = "deal.not_signed"


SEEN: list[TxContext] = []


def deal_process(view: TxView, ctx: TxContext, action: Any) -> list[Event]:
    """What a money module does: refuse unless the counterparty authorized the transaction."""
    SEEN.append(ctx)
    if action.counterparty not in ctx.signers:
        raise NotSigned(f"{action.counterparty.hex()} did not sign")
    view.set(b"agreed/" + ctx.sender + action.counterparty, b"\x01")
    return []


DEAL = Module("deal", "two parties agree", (Deal,), deal_process, errors=(NotSigned,))
DEAL_REGISTRY = Registry([*MODULES, DEAL])


def deal(signing: list[PrivateKey], accounts: list[bytes] | None, nonce: int = 0) -> bytes:
    return signed(signing, nonce, Deal(BOB.address), accounts=accounts)


def test_a_module_sees_its_counterparty_among_the_signers() -> None:
    SEEN.clear()
    state = make_state(registry=DEAL_REGISTRY)
    pair = [ALICE.address, BOB.address]
    result = run_block(state, [tx([ALICE, BOB], 0, Deal(BOB.address), accounts=pair)])
    assert result.receipts[0].ok, result.receipts[0].error
    assert SEEN[-1].signers == (ALICE.address, BOB.address)
    assert SEEN[-1].key_addresses == (ALICE.address, BOB.address)
    assert state.kv[b"deal/agreed/" + ALICE.address + BOB.address] == b"\x01"
    # Without Bob named as an account, his module refuses (a failed receipt).
    result = run_block(state, [tx(ALICE, 1, Deal(BOB.address))])
    assert not result.receipts[0].ok and "did not sign" in result.receipts[0].error


def test_a_forged_missing_or_extra_co_signature_is_refused() -> None:
    state = make_state(registry=DEAL_REGISTRY)
    pair = [ALICE.address, BOB.address]
    pool = Mempool(CHAIN_ID, state)
    forged = deal([ALICE, EVE], pair)  # Eve signs in Bob's place: Bob is not spoken for
    with pytest.raises(Unauthorized, match=f"co-signer {BOB.address.hex()}"):
        pool.add(forged)
    with pytest.raises(Unauthorized, match=f"co-signer {BOB.address.hex()}"):
        pool.add(deal([ALICE], pair))  # Bob's signature missing
    from chainbook import codec
    from chainbook.chain.tx import SignedTx, signing_message

    good = codec.decode(deal([ALICE, BOB], pair), SignedTx)
    bad = codec.encode(SignedTx(good.body, (good.signatures[0], EVE.sign(b"other"))))
    with pytest.raises(InvalidSignature, match="signature 1"):
        pool.add(bad)
    # Eve appends her own signature over the same body: the body does not name her key.
    extra = EVE.sign(signing_message(good.body))
    with pytest.raises(DecodeError, match="2 keys and 3 signatures"):
        pool.add(codec.encode(SignedTx(good.body, (*good.signatures, extra))))
    assert len(pool) == 0
    # A key the signers themselves list but that speaks for no account grants nothing: Eve
    # signing a deal that names only Alice does not make Eve (or Bob) a signer.
    SEEN.clear()
    run_block(state, [tx([ALICE, EVE], 0, Deal(BOB.address))])
    assert SEEN[-1].signers == (ALICE.address,)
    pool = Mempool(CHAIN_ID, state)
    pool.add(deal([ALICE, BOB], pair, nonce=1))


def test_a_co_signer_whose_policy_changed_in_the_block_fails_the_action_only() -> None:
    """Bob rotates his key first in the block; Alice's deal co-signed with Bob's old key gets
    a failed receipt; Alice used her nonce and paid her fee."""
    state = make_state(registry=DEAL_REGISTRY)
    pair = [ALICE.address, BOB.address]
    rotate = tx([BOB, CAROL], 0, policy((CAROL, 1), threshold=1))
    cosigned = tx([ALICE, BOB], 0, Deal(BOB.address), accounts=pair, fee=4)
    result = run_block(state, [rotate, cosigned])
    assert result.receipts[0].ok and not result.receipts[1].ok
    assert f"co-signer {BOB.address.hex()}" in result.receipts[1].error
    assert get_nonce(state.kv, ALICE.address) == 1 and balance_of(state, ALICE.address) == 996
    assert b"deal/agreed/" + ALICE.address + BOB.address not in state.kv


def test_a_rotated_account_co_signs_with_its_new_key() -> None:
    state = make_state(registry=DEAL_REGISTRY)
    run_block(state, [tx([BOB, CAROL], 0, policy((CAROL, 1), threshold=1))])
    pair = [ALICE.address, BOB.address]
    result = run_block(state, [tx([ALICE, CAROL], 0, Deal(BOB.address), accounts=pair)])
    assert result.receipts[0].ok, result.receipts[0].error


# --- genesis and queries ------------------------------------------------------------------------


def test_the_policy_query_shows_the_default_rule_for_an_account_without_one() -> None:
    state = treasury_state()
    plain = ask(state, "accounts", "policy", address=BOB.address)
    assert (plain.custom, plain.threshold) == (False, 1)
    assert [(s.address, s.weight) for s in plain.signers] == [(BOB.address, 1)]
    custom = ask(state, "accounts", "policy", address=TREASURY.address)
    assert custom.custom and custom.threshold == 2 and len(custom.signers) == 3
    assert [s.address for s in custom.signers] == sorted(s.address for s in custom.signers)


@pytest.mark.parametrize(
    ("policies", "reason"),
    [
        ([GenesisPolicy("zz", [GenesisSigner(BOB.address.hex())], 1)], "40 hex characters"),
        ([GenesisPolicy(BOB.address.hex(), [], 1)], r"policies\[0\]: a policy has 1 to 16"),
        (
            [
                GenesisPolicy(BOB.address.hex(), [GenesisSigner(BOB.address.hex())], 1),
                GenesisPolicy(BOB.address.hex(), [GenesisSigner(ALICE.address.hex())], 1),
            ],
            "an account appears twice",
        ),
        (
            [GenesisPolicy(BOB.address.hex(), [GenesisSigner(BOB.address.hex())], 2)],
            "threshold 2",
        ),
    ],
)
def test_genesis_policies_keep_the_same_rules(policies: list[GenesisPolicy], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        make_state(app_state={"accounts": AccountsGenesis(policies=policies)})


def test_the_policy_view_is_a_guard_read_so_the_mempool_rechecks_a_co_signed_sender() -> None:
    """Alice's pending deal co-signed by Bob is dropped when Bob's rotation commits."""
    state = make_state(registry=DEAL_REGISTRY)
    pool = Mempool(CHAIN_ID, state)
    pair = [ALICE.address, BOB.address]
    pending = deal([ALICE, BOB], pair)
    pool.add(pending)
    rotation = signed([BOB, CAROL], 0, policy((CAROL, 1), threshold=1))
    from chainbook.chain.tx import decode_tx, tx_hash

    result = run_block(state, [decode_tx(rotation)])
    pool.update_after_commit([tx_hash(rotation)], state, result.changes.keys())
    assert len(pool) == 0 and pool.stats().dropped_invalid == 1
