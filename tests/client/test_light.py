"""Following validator-set changes from genesis: synthetic chains whose headers change sets
(headers and commits built directly), including forged hops that must be refused."""

from __future__ import annotations

import pytest

from chainbook import codec, merkle
from chainbook.api.proof_views import ValidatorChangeView
from chainbook.chain.block import Header, compute_header_hash
from chainbook.chain.commit import Commit, Vote, VoteType, make_commit, sign_vote
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.client.light import ProofError, TrustRoot, verify_validator_changes
from chainbook.crypto import PrivateKey

CHAIN = "light-chain"
A = [PrivateKey.from_label(f"a{i}") for i in range(4)]
B = [PrivateKey.from_label(f"b{i}") for i in range(3)]
C = [PrivateKey.from_label(f"c{i}") for i in range(5)]


def vset(keys: list[PrivateKey], power: int = 10) -> ValidatorSet:
    return ValidatorSet([Validator(k.public_key, power, f"v{i}") for i, k in enumerate(keys)])


ROOT = TrustRoot(CHAIN, list(vset(A).validators), "genesis A")


def header(
    height: int, current: ValidatorSet, following: ValidatorSet, chain: str = CHAIN
) -> Header:
    return Header(
        chain_id=chain,
        height=height,
        time_ms=1_700_000_000_000 + height,
        prev_block_hash=bytes(32),
        last_commit_hash=merkle.EMPTY_ROOT,
        txs_root=merkle.EMPTY_ROOT,
        tx_count=0,
        receipts_root=merkle.EMPTY_ROOT,
        app_hash=bytes(32),
        validators_hash=current.hash,
        next_validators_hash=following.hash,
        proposer=current.validators[0].address,
        evidence_hash=merkle.EMPTY_ROOT,
    )


def commit(h: Header, signers: list[PrivateKey], validators: ValidatorSet) -> Commit:
    """Signed by `signers`, indexed by their places in `validators` (strangers: their own)."""
    vote = Vote(VoteType.PRECOMMIT, h.height, 0, compute_header_hash(h))
    return make_commit(validators, [sign_vote(k, h.chain_id, vote) for k in signers])


def _index_set(signers: list[PrivateKey], old_set: ValidatorSet) -> ValidatorSet:
    members = all(old_set.is_validator(k.address) for k in signers)
    return old_set if members else vset(signers)


def hop(
    height: int,
    old: list[PrivateKey],
    new: list[PrivateKey],
    signers: list[PrivateKey] | None = None,
    announced: ValidatorSet | None = None,
    chain: str = CHAIN,
) -> ValidatorChangeView:
    old_set, new_set = vset(old), vset(new)
    h = header(height, old_set, announced or new_set, chain)
    return ValidatorChangeView(
        height=height,
        header=codec.encode(h).hex(),
        commit=codec.encode(commit(h, signers or old, _index_set(signers or old, old_set))).hex(),
        validators=codec.encode(list(new_set.validators)).hex(),
    )


def test_no_change_keeps_the_genesis_set() -> None:
    assert verify_validator_changes(ROOT, [], 100).hash == vset(A).hash


def test_two_hops_reach_the_third_set() -> None:
    reached = verify_validator_changes(ROOT, [hop(3, A, B), hop(6, B, C)], 8)
    assert reached.hash == vset(C).hash


def test_a_hop_signed_by_two_thirds_exactly_is_not_enough() -> None:
    # 4 validators of power 10: 3 signers hold 30 > 26.7 (ok); 2 hold 20 (refused).
    verify_validator_changes(ROOT, [hop(3, A, B, signers=A[:3])], 5)
    with pytest.raises(ProofError, match="needs more than 2/3"):
        verify_validator_changes(ROOT, [hop(3, A, B, signers=A[:2])], 5)


FORGED = {
    "signed by the new set instead of the set in force": (
        [hop(3, B, C)],
        "set in force",
    ),
    "a hop left out": ([hop(6, B, C)], "set in force"),
    "a forged new set": ([hop(3, A, B, announced=vset(C))], "announces"),
    "signatures of strangers": ([hop(3, A, B, signers=C[:4])], "commit signature"),
    "out of order": ([hop(6, A, B), hop(3, B, C)], "increasing height"),
    "twice at one height": ([hop(3, A, B), hop(3, B, C)], "increasing height"),
    "at the target height": ([hop(8, A, B)], "below 8"),
    "a change that changes nothing": ([hop(3, A, A)], "changes no validator"),
    "another chain": ([hop(3, A, B, chain="other-chain")], "chain"),
}


@pytest.mark.parametrize("name", FORGED, ids=list(FORGED))
def test_forged_hops_are_refused(name: str) -> None:
    changes, reason = FORGED[name]
    with pytest.raises(ProofError, match=reason):
        verify_validator_changes(ROOT, changes, 8)


def test_malformed_hops_name_the_field() -> None:
    good = hop(3, A, B)
    cases = {
        "header": ValidatorChangeView(3, "zz", good.commit, good.validators),
        "commit": ValidatorChangeView(3, good.header, "c1", good.validators),
        "validators": ValidatorChangeView(3, good.header, good.commit, codec.encode([]).hex()),
        "says height": ValidatorChangeView(4, good.header, good.commit, good.validators),
    }
    for reason, change in cases.items():
        with pytest.raises(ProofError, match=reason):
            verify_validator_changes(ROOT, [change], 8)
    with pytest.raises(ProofError, match="at most"):
        verify_validator_changes(ROOT, [good] * 1_001, 8)


def test_a_header_after_changes_is_certified_only_by_the_set_reached() -> None:
    from chainbook.client.light import verify_certified_header

    target = header(8, vset(C), vset(C))
    signed = commit(target, C, vset(C))
    reached = verify_validator_changes(ROOT, [hop(3, A, B), hop(6, B, C)], 8)
    verify_certified_header("header", CHAIN, reached, target, signed)
    for partial in ([], [hop(3, A, B)]):
        trusted = verify_validator_changes(ROOT, partial, 8)
        with pytest.raises(ProofError, match="missing or forged"):
            verify_certified_header("header", CHAIN, trusted, target, signed)
    # The old set cannot certify a header of a later height that names it, unless > 2/3 of
    # it signs: a header naming A at height 8 signed by B is refused.
    stale = header(8, vset(A), vset(A))
    with pytest.raises(ProofError, match="commit"):
        verify_certified_header("header", CHAIN, vset(A), stale, commit(stale, B, vset(B)))
