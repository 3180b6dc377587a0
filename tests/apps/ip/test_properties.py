"""Properties of the ip register (hypothesis): whatever the order of submission, the first
filing of a work in block order wins and every later one fails naming it; under any sequence
of filings, licences and transfers by any signers, the outcome of each action, the owner and
the full history are those of a simple model, and a refused action changes nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.ip import GrantLicence, Register, Transfer
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, BOB, CAROL, DAVE, ask, make_state, run_block, run_refused, tx

KEYS = [ALICE, BOB, CAROL, DAVE]
WORKS = [hashlib.sha256(b"work %d" % i).digest() for i in range(3)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=12),
    st.sets(st.integers(1, 11), max_size=3),
)
def test_the_first_filing_in_block_order_wins(
    filings: list[tuple[int, int]], cuts: set[int]
) -> None:
    """Filings (signer, work) in this order, cut into blocks at `cuts`."""
    state = make_state()
    nonces = [0] * len(KEYS)
    blocks: list[list[tuple[int, int]]] = [[]]
    for position, filing in enumerate(filings):
        if position in cuts:
            blocks.append([])
        blocks[-1].append(filing)
    winner: dict[int, tuple[int, int]] = {}  # work -> (signer, height)
    for block in blocks:
        txs = []
        for signer, work in block:
            txs.append(tx(KEYS[signer], nonces[signer], Register(WORKS[work], "t", f"a{signer}")))
            nonces[signer] += 1
        height = state.height + 1
        result = run_block(state, txs)
        for (signer, work), receipt in zip(block, result.receipts, strict=True):
            if work not in winner:
                winner[work] = (signer, height)
                assert receipt.ok
            else:
                first, first_height = winner[work]
                assert receipt.code == "ip.already_registered"
                assert KEYS[first].address.hex() in receipt.error
                assert f"at height {first_height}" in receipt.error
    for work, (signer, height) in winner.items():
        info = ask(state, "ip", "work", work=WORKS[work])
        assert info.owner == KEYS[signer].address and info.height == height


@dataclass
class Model:
    owners: dict[int, int] = field(default_factory=dict)
    history: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict)
    licences: dict[int, int] = field(default_factory=dict)

    def expect(self, kind: str, signer: int, work: int, party: int) -> str:
        """The code the action should get ("" for success), applying it if it succeeds."""
        if kind == "register":
            if work in self.owners:
                return "ip.already_registered"
            self.owners[work] = signer
            self.history[work] = [("registered", signer, -1)]
            self.licences[work] = 0
            return ""
        if work not in self.owners:
            return "ip.unknown_work"
        if self.owners[work] != signer:
            return "ip.not_owner"
        if party == signer:
            return "ip.invalid_party"
        self.history[work].append(("licence" if kind == "licence" else "transfer", signer, party))
        if kind == "transfer":
            self.owners[work] = party
        else:
            self.licences[work] += 1
        return ""


ACTION = st.tuples(
    st.sampled_from(["register", "licence", "transfer"]),
    st.integers(0, 3),
    st.integers(0, 2),
    st.integers(0, 3),
)


def build(kind: str, work: int, party: int) -> Register | GrantLicence | Transfer:
    if kind == "register":
        return Register(WORKS[work], "title", "author")
    if kind == "licence":
        return GrantLicence(WORKS[work], KEYS[party].address, "scope", "height", 0, 0)
    return Transfer(WORKS[work], KEYS[party].address)


def key_nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


@settings(max_examples=40, deadline=None)
@given(st.lists(ACTION, min_size=1, max_size=25))
def test_outcomes_owners_and_history_follow_the_model(
    actions: list[tuple[str, int, int, int]],
) -> None:
    state = make_state()
    model = Model()
    for kind, signer, work, party in actions:
        key = KEYS[signer]
        decoded = tx(key, key_nonce(state, key), build(kind, work, party))
        code = model.expect(kind, signer, work, party)
        if code:
            run_refused(state, decoded, code)
        else:
            assert run_block(state, [decoded]).receipts[0].ok
    for work, owner in model.owners.items():
        info = ask(state, "ip", "work", work=WORKS[work])
        assert info.owner == KEYS[owner].address and info.licences == model.licences[work]
        page = ask(state, "ip", "history", work=WORKS[work])
        got = [
            (e.kind, KEYS.index(next(k for k in KEYS if k.address == e.by)), _party(e.party))
            for e in page.entries
        ]
        assert got == model.history[work] and page.total == len(got)
    for work in set(range(len(WORKS))) - set(model.owners):
        assert not ask(state, "ip", "work", work=WORKS[work]).found


def _party(address: bytes) -> int:
    if not address:
        return -1
    return next(i for i, k in enumerate(KEYS) if k.address == address)
