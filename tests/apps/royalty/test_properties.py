"""Properties of the royalty module (hypothesis): under any sequence of payments (right and
wrong amounts), split changes (any new table, any set of signers, stale or not) and price
changes, every outcome, every balance and every payee's total is that of a simple model;
payments are conserved (what the payers lost is what the holders gained, sum paid == sum
received); the commit invariants (invariants.py) hold after every block."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.royalty import ChangeSplit, Pay, Price, SetPrices, Share
from chainbook.crypto import PrivateKey
from tests.apps.royalty.helpers import (
    AUTHOR,
    FUNDS,
    LABEL,
    LISTENER,
    PRODUCER,
    SINGER,
    SONG,
    SPLIT,
    STRANGER,
    balance,
    make_ledger,
    nonce,
    run,
    song,
)
from tests.apps.royalty.test_rules import model_allocation
from tests.support import ask, run_block, tx

HOLDERS = [AUTHOR, PRODUCER, SINGER, STRANGER]
PAYERS = [LISTENER, STRANGER]


@dataclass
class Model:
    split: dict[bytes, int] = field(default_factory=lambda: {s.holder: s.share for s in SPLIT})
    version: int = 0
    price: int = 100
    balances: dict[bytes, int] = field(default_factory=dict)
    received: dict[bytes, int] = field(default_factory=dict)
    paid: int = 0

    def __post_init__(self) -> None:
        for key in (*HOLDERS, LISTENER):
            self.balances[key.address] = FUNDS if key in PAYERS else 0
        self.received = {holder: 0 for holder in self.split}

    def pay(self, payer: PrivateKey, uses: int, right: bool) -> str:
        if not right:
            return "royalty.amount_mismatch"
        amount = self.price * uses
        table = [Share(h, s) for h, s in self.split.items()]
        self.balances[payer.address] -= amount
        for holder, part in model_allocation(amount, table).items():
            self.balances[holder] += part
            self.received[holder] += part
        self.paid += amount
        return ""

    def change(self, shares: dict[bytes, int], signers: list[PrivateKey], stale: bool) -> str:
        if stale:
            return "royalty.stale_split"
        if shares == self.split:
            return "royalty.no_change"
        falling = [h for h, s in self.split.items() if shares.get(h, 0) < s]
        if any(h not in {k.address for k in signers} for h in falling):
            return "royalty.signature_missing"
        self.split, self.version = shares, self.version + 1
        for holder in shares:
            self.received.setdefault(holder, 0)
        return ""

    def set_price(self, price: int) -> str:
        if price == self.price:
            return "royalty.no_change"
        self.price = price
        return ""


@st.composite
def new_tables(draw: st.DrawFn) -> dict[bytes, int]:
    holders = draw(st.lists(st.sampled_from(HOLDERS), min_size=1, max_size=4, unique=True))
    cuts = sorted(draw(st.sets(st.sampled_from([1_000, 2_000, 3_000, 5_000, 7_000, 9_999]),
                               min_size=len(holders) - 1, max_size=len(holders) - 1)))
    bounds = [0, *cuts, 10_000]
    return {k.address: bounds[i + 1] - bounds[i] for i, k in enumerate(holders)}


ACTION = st.one_of(
    st.tuples(st.just("pay"), st.sampled_from(PAYERS), st.integers(1, 7),
              st.integers(0, 5).map(lambda n: n != 0)),
    st.tuples(st.just("change"), new_tables(),
              st.lists(st.sampled_from(HOLDERS), min_size=1, max_size=4, unique=True),
              st.integers(0, 9).map(lambda n: n == 0)),
    st.tuples(st.just("price"), st.sampled_from([1, 3, 100, 333])),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(ACTION, min_size=1, max_size=3), min_size=1, max_size=8))
def test_outcomes_balances_and_totals_follow_the_model(blocks: list[list[tuple]]) -> None:  # type: ignore[type-arg]
    state = make_ledger()
    run(state, LABEL, song(prices=[Price("download", 100)]))
    model = Model()
    for block in blocks:
        txs, expected = [], []
        nonces: dict[PrivateKey, int] = {}
        for action in block:
            if action[0] == "pay":
                _, payer, uses, right = action
                amount = model.price * uses + (0 if right else 1)
                keys, built = [payer], Pay(SONG, "download", uses, amount)
                expected.append(model.pay(payer, uses, right))
            elif action[0] == "change":
                _, shares, signers, stale = action
                version = model.version + (1 if stale else 0)
                keys = list(signers)
                built = ChangeSplit(SONG, version, [Share(h, s) for h, s in shares.items()])
                expected.append(model.change(shares, signers, stale))
            else:
                keys, built = [LABEL], SetPrices(SONG, [Price("download", action[1])])
                expected.append(model.set_price(action[1]))
            sender = keys[0]
            n = nonces.get(sender, nonce(state, sender))
            nonces[sender] = n + 1
            accounts = [k.address for k in keys] if len(keys) > 1 else None
            txs.append(tx(keys if len(keys) > 1 else sender, n, built, accounts=accounts))
        result = run_block(state, txs)  # asserts every module's commit invariants
        assert [r.code for r in result.receipts] == expected, [r.error for r in result.receipts]
    for key in (*HOLDERS, LISTENER):
        assert balance(state, key) == model.balances[key.address], key
    info = ask(state, "royalty", "work", work=SONG)
    assert info.paid == model.paid and info.version == model.version
    payees = ask(state, "royalty", "payees", work=SONG).payees
    assert {p.holder: p.received for p in payees} == model.received
    assert sum(p.received for p in payees) == info.paid, "sum received == sum paid"
    total_before = FUNDS * len(PAYERS)
    total_after = sum(balance(state, k) for k in (*HOLDERS, LISTENER))
    assert total_after == total_before, "no unit created or lost"
