"""The notary's rules on the real ledger: a digest anchored once (the first wins, the second is
refused naming it and changes nothing), batches, every size limit at its edge, the `anchored`
query (also proven), genesis imports."""

from __future__ import annotations

import hashlib

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.notary import Anchor, AnchorBatch, GenesisAnchor, NotaryGenesis, limits
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.ledger.proven_query import prove_query, rerun_query
from tests.support import (
    ALICE,
    BOB,
    CAROL,
    ask,
    make_genesis,
    make_state,
    run_block,
    run_refused,
    tx,
)

DOC = hashlib.sha256(b"the minutes of 14 March").digest()
OTHER = hashlib.sha256(b"another document").digest()


def test_an_anchoring_records_who_when_and_what() -> None:
    state = make_state()
    result = run_block(state, [tx(ALICE, 0, Anchor(DOC, "Minutes", '{"pages": 3}'))])
    receipt = result.receipts[0]
    assert receipt.ok and receipt.events == []
    info = ask(state, "notary", "anchored", hash=DOC)
    assert info.found and info.kind == "document" and info.hashes == 1
    assert (info.title, info.metadata, info.signer) == ("Minutes", '{"pages": 3}', ALICE.address)
    assert info.height == 1 and info.time_ms == state.time_ms and info.tx_hash == receipt.tx_hash
    assert not ask(state, "notary", "anchored", hash=OTHER).found


def test_a_second_anchoring_is_refused_naming_the_first_and_changes_nothing() -> None:
    state = make_state()
    first = run_block(state, [tx(ALICE, 0, Anchor(DOC, "first"))]).receipts[0]
    receipt = run_refused(state, tx(BOB, 0, Anchor(DOC, "second")), "notary.already_anchored")
    assert f"by {ALICE.address.hex()}" in receipt.error and "at height 1" in receipt.error
    assert first.tx_hash.hex() in receipt.error and "chainbook receipt get" in receipt.error
    # The same signer is refused as well: the first anchoring is the proof.
    run_refused(state, tx(ALICE, 1, Anchor(DOC, "again")), "notary.already_anchored")
    assert ask(state, "notary", "anchored", hash=DOC).title == "first"


def test_within_one_block_the_first_in_block_order_wins() -> None:
    state = make_state()
    result = run_block(state, [tx(CAROL, 0, Anchor(DOC, "carol")), tx(ALICE, 0, Anchor(DOC))])
    assert [r.ok for r in result.receipts] == [True, False]
    assert result.receipts[1].code == "notary.already_anchored"
    assert ask(state, "notary", "anchored", hash=DOC).signer == CAROL.address


def test_a_batch_root_is_anchored_once_and_its_size_recorded() -> None:
    state = make_state()
    root = hashlib.sha256(b"some root").digest()
    assert run_block(state, [tx(ALICE, 0, AnchorBatch(root, 1_000, "March"))]).receipts[0].ok
    info = ask(state, "notary", "anchored", hash=root)
    assert info.kind == "batch" and info.hashes == 1_000 and info.title == "March"
    run_refused(state, tx(BOB, 0, AnchorBatch(root, 7)), "notary.already_anchored")
    run_refused(state, tx(BOB, 1, Anchor(root)), "notary.already_anchored")


@pytest.mark.parametrize(
    ("hashes", "ok"),
    [(1, True), (limits.batch_hashes_max, True), (0, False), (limits.batch_hashes_max + 1, False)],
)
def test_batch_size_at_its_edges(hashes: int, ok: bool) -> None:
    state = make_state()
    action = AnchorBatch(hashlib.sha256(b"%d" % hashes).digest(), hashes)
    if ok:
        assert run_block(state, [tx(ALICE, 0, action)]).receipts[0].ok
    else:
        receipt = run_refused(state, tx(ALICE, 0, action), "notary.invalid_batch")
        assert f"holds {hashes} documents; accepted 1 to {limits.batch_hashes_max}" in receipt.error


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", limits.title_bytes_max), ("metadata", limits.metadata_bytes_max)],
)
def test_text_sizes_at_their_edges_in_utf8_bytes(field: str, limit: int) -> None:
    state = make_state()
    at_limit = Anchor(DOC, **{field: "é" * (limit // 2)})  # 2 bytes each
    assert run_block(state, [tx(ALICE, 0, at_limit)]).receipts[0].ok
    over = Anchor(OTHER, **{field: "é" * (limit // 2) + "x"})
    receipt = run_refused(state, tx(ALICE, 1, over), "notary.text_too_long")
    assert f"{field} is {limit + 1} bytes of UTF-8, at most {limit}" in receipt.error


def test_an_anchoring_fits_one_transaction_at_its_largest() -> None:
    from chainbook import limits as chain_limits
    from tests.support import signed

    action = AnchorBatch(DOC, 1, "t" * limits.title_bytes_max, "m" * limits.metadata_bytes_max)
    assert len(signed(ALICE, 0, action)) <= chain_limits.tx_bytes_max


def test_the_anchored_query_is_provable() -> None:
    state = make_state()
    run_block(state, [tx(ALICE, 0, Anchor(DOC, "proven"))])
    run_block(state, [])  # the header of block 2 commits to the state after block 1
    request = msgspec.convert({"hash": DOC}, type=_request_type())
    proven = prove_query(state, "notary", "anchored", request)
    values = {p.key: p.value for p in proven.proofs}
    assert list(values) == [b"notary/anchor/" + DOC]
    again = rerun_query(values, proven.height, state.registry, "notary", "anchored", request)
    assert again == proven.answer and again.title == "proven"


def _request_type() -> type[msgspec.Struct]:
    from chainbook.apps.notary import AnchorRequest

    return AnchorRequest


def test_genesis_imports_earlier_anchorings() -> None:
    imported = GenesisAnchor(
        hash=DOC.hex(), time_ms=1_500_000_000_000, title="old", signer=BOB.address.hex()
    )
    state = make_state(app_state={"notary": NotaryGenesis([imported])})
    info = ask(state, "notary", "anchored", hash=DOC)
    assert info.found and info.height == 0 and info.time_ms == 1_500_000_000_000
    assert info.signer == BOB.address and info.tx_hash == b""
    receipt = run_refused(state, tx(ALICE, 0, Anchor(DOC)), "notary.already_anchored")
    assert "imported by the genesis file" in receipt.error


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (GenesisAnchor(hash="AB" * 32, time_ms=0), "64 lowercase hex"),
        (GenesisAnchor(hash="ab" * 32, time_ms=-1), "time_ms must be >= 0"),
        (GenesisAnchor(hash="ab" * 32, time_ms=0, signer="xyz"), "signer"),
        (GenesisAnchor(hash="ab" * 32, time_ms=0, kind="folder"), "kind"),
        (GenesisAnchor(hash="ab" * 32, time_ms=0, hashes=2), "a document is 1 hash"),
        (GenesisAnchor(hash="ab" * 32, time_ms=0, kind="batch", hashes=0), "accepted 1 to"),
        (GenesisAnchor(hash="ab" * 32, time_ms=0, title="t" * 257), "title: 257 bytes"),
    ],
)
def test_a_bad_genesis_section_is_refused_naming_the_field(
    entry: GenesisAnchor, reason: str
) -> None:
    with pytest.raises(ConfigError, match=reason):
        make_genesis(app_state={"notary": NotaryGenesis([entry])})


def test_a_genesis_anchoring_listed_twice_is_refused() -> None:
    twice = [GenesisAnchor(hash="ab" * 32, time_ms=0)] * 2
    with pytest.raises(ConfigError, match="appears twice"):
        make_genesis(app_state={"notary": NotaryGenesis(twice)})


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([ALICE, BOB, CAROL]), st.integers(0, 3)),
        min_size=1,
        max_size=12,
    )
)
def test_each_digest_is_recorded_by_its_first_anchoring_whatever_the_order(
    plan: list[tuple[PrivateKey, int]],
) -> None:
    """Property: in one block of anchorings (signers and digests drawn), each digest's record
    is the first anchoring of it in block order, and exactly the later ones are refused."""
    state = make_state()
    digests = [hashlib.sha256(bytes([d])).digest() for d in range(4)]
    nonces: dict[PrivateKey, int] = {}
    txs = []
    for signer, digest in plan:
        nonce = nonces.get(signer, 0)
        nonces[signer] = nonce + 1
        txs.append(tx(signer, nonce, Anchor(digests[digest], title=f"{nonce}")))
    result = run_block(state, txs)
    first: dict[int, int] = {}
    for index, (_, digest) in enumerate(plan):
        first.setdefault(digest, index)
    for index, ((_, digest), receipt) in enumerate(zip(plan, result.receipts, strict=True)):
        assert receipt.ok == (first[digest] == index), (index, receipt.error)
    for digest, index in first.items():
        info = ask(state, "notary", "anchored", hash=digests[digest])
        assert info.signer == plan[index][0].address
        assert info.tx_hash == result.receipts[index].tx_hash
