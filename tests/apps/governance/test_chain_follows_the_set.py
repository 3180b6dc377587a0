"""Every check of a commit uses the validator set of its own height, derived from the chain: a
stored book across validator changes re-verifies from genesis, one commit signed by the set of
another height is caught at that height, a wrong next_validators_hash is refused, and a node
alone rotates its own key and keeps committing."""

from __future__ import annotations

import msgspec
import pytest

from chainbook.apps.governance import AddValidator, CastVote, Propose, RotateValidatorKey
from chainbook.chain.verify import verify_stored_chain
from chainbook.core.book import open_book
from chainbook.core.boot import boot_core
from chainbook.core.node import CoreSettings
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.storage import MemoryBlockStore
from tests.apps.governance.chain import VALIDATORS, AppChain, GovernedLedger, LoneValidator
from tests.support import GENESIS_TIME_MS, make_genesis

NEWCOMER = PrivateKey.from_label("newcomer")


def chain_with_an_admission() -> tuple[AppChain, int]:
    """Four validators admit a fifth; returns the chain and the height it signs from."""
    keys = [*VALIDATORS, NEWCOMER]
    chain = AppChain(GovernedLedger(), keys)
    ledger = chain.governed
    chain.step([ledger.tx(VALIDATORS[0], Propose("e", AddValidator(NEWCOMER.public_key, 10, "e")))])
    chain.step([ledger.tx(k, CastVote(1, "yes")) for k in VALIDATORS[:3]])
    joined_at = chain.ledger.state.height + 2
    while chain.ledger.state.height < joined_at + 3:
        chain.step()
    return chain, joined_at


def test_a_book_across_a_validator_change_re_verifies_from_genesis() -> None:
    chain, joined_at = chain_with_an_admission()
    genesis = chain.ledger.genesis
    commit = chain.store.load_commit(joined_at)
    assert commit is not None and len(commit.signatures) == 5  # the newcomer signs
    opened = open_book(chain.store, genesis, repair=False)
    assert opened.report.corrupt_height is None
    assert opened.state.app_hash == chain.ledger.state.app_hash
    # Without the chain's own sets (the genesis set everywhere) the change height fails.
    report = verify_stored_chain(chain.store, genesis.chain_id, genesis)
    assert report.bad_height == joined_at - 1 and "next_validators_hash" in (report.reason or "")


def test_a_commit_signed_by_the_set_of_another_height_is_caught_at_its_height() -> None:
    chain, joined_at = chain_with_an_admission()
    store = chain.store
    # The stored commit of the first height of the new set, re-signed by the old set only
    # (four of five: 40 of 50 is still > 2/3, but its validator indexes are the old set's).
    block = store.load_block(joined_at)
    assert block is not None
    old_set = chain.ledger.get_validators(joined_at - 1)
    from chainbook.chain.commit import Vote, VoteType, make_commit, sign_vote

    vote = Vote(VoteType.PRECOMMIT, joined_at, 0, block.hash)
    forged = make_commit(old_set, [sign_vote(k, "test-chain", vote) for k in VALIDATORS])
    blocks = dict(store.blocks)
    height_hash, block_bytes, _ = blocks[joined_at]
    store.blocks[joined_at] = (height_hash, block_bytes, msgspec.msgpack.encode(forged))
    report = open_book(store, chain.ledger.genesis, repair=False).report
    assert report.corrupt_height == joined_at, report
    assert "stored commit" in report.reason


def test_a_block_naming_a_wrong_next_set_is_refused() -> None:
    chain, _ = chain_with_an_admission()
    block = chain.next_block()
    header = msgspec.structs.replace(block.header, next_validators_hash=b"\x07" * 32)
    with pytest.raises(InvalidBlock, match="next_validators_hash"):
        chain.ledger.verify_block(msgspec.structs.replace(block, header=header))


def test_a_lone_validator_rotates_its_key_and_goes_on_committing() -> None:
    """One validator, holding its next key too: after the activation height only the new key
    is in the set, and the node core must sign with it (else the chain stops)."""
    old, new = VALIDATORS[0], PrivateKey.from_label("next key")
    genesis = make_genesis(validators=[old])
    store = MemoryBlockStore()
    core = boot_core(
        genesis=genesis,
        key=old,
        store=store,
        record=None,
        settings=CoreSettings(),
        consensus_keys=(new,),
    ).core
    from chainbook.chain.tx import sign_tx, verify_tx
    from chainbook.core.inputs import TxsSubmitted

    driver = LoneValidator(core, store, GENESIS_TIME_MS + 1_000)
    txs = [
        sign_tx(
            old,
            genesis.chain_id,
            0,
            Propose("rotate", RotateValidatorKey(old.address, new.public_key)),
        ),
        sign_tx(old, genesis.chain_id, 1, CastVote(1, "yes")),
    ]
    driver.handle(TxsSubmitted(1, txs, [verify_tx(genesis.chain_id, t) for t in txs]))
    records = driver.run(heights=8)
    committed = [r.height for r in records]
    proposers = {r.height: r.block.header.proposer for r in records}
    assert len(committed) >= 8, committed
    assert proposers[1] == old.address
    assert proposers[committed[-1]] == new.address
    assert core.machine.key == new
