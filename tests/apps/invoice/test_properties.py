"""Properties of the invoice module (hypothesis): under any sequence of payments (signed,
co-signed, unsigned; by taxpayers and not; affordable or not; in the native coin or a token),
voids and claims by any parties, every outcome is that of a simple model; every paid invoice
has exactly its payment (each buyer's and each receiving account's balance moved by exactly
the totals of its invoices, and by the reimbursements); every period's totals are the sums of
its invoices; the pages by seller, walked with their cursor, are the seller's records in order;
and the commit invariants hold after every block (run_block asserts them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from chainbook.apps.invoice import Pay, Reimburse, Void, compute_amounts
from chainbook.chain.tx import DecodedTx
from chainbook.crypto import PrivateKey
from tests.apps.invoice.helpers import (
    ALICE,
    BOB,
    CAROL,
    COURT,
    EMPLOYER,
    FUNDS,
    OTHER_SHOP,
    SHOP,
    TILL,
    TOKEN,
    coins,
    lines,
    make_ledger,
    offer,
    signed_pay,
)
from tests.support import ask, run_block, tx

BUYERS = [ALICE, BOB, CAROL, EMPLOYER]
SELLERS = [("sz-shop", SHOP, True), ("hk-shop", OTHER_SHOP, True), ("court-1", COURT, False)]
TOKENS = ["", TOKEN]
NUMBERS = ["1", "2", "3", "4"]


@dataclass
class Invoice:
    seller: str
    buyer: int
    token: str
    amount: int
    tax: int
    height: int
    voided: bool = False
    claimed: bool = False


@dataclass
class Model:
    records: dict[str, Invoice] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    """Ids in the order they were recorded (heights never decrease)."""
    balances: dict[tuple[Any, str], int] = field(default_factory=dict)

    def balance(self, who: Any, token: str) -> int:
        default = FUNDS if isinstance(who, int) else 0
        return self.balances.get((who, token), default)

    def move(self, source: Any, to: Any, token: str, amount: int) -> None:
        self.balances[(source, token)] = self.balance(source, token) - amount
        self.balances[(to, token)] = self.balance(to, token) + amount

    def pay(self, height: int, buyer: int, seller: int, number: str, mode: str, token: str,
            quantity: int, price: int) -> str:
        name, _, taxpayer = SELLERS[seller]
        if mode == "unsigned":
            return "invoice.not_cosigned"
        if not taxpayer:
            return "invoice.not_a_taxpayer"
        invoice_id = f"{name}/{number}"
        existing = self.records.get(invoice_id)
        if existing is not None:
            return "invoice.voided" if existing.voided else "invoice.already_paid"
        amounts = compute_amounts(lines((quantity, price, 1300)))
        if self.balance(buyer, token) < amounts.total:
            return "assets.insufficient_balance" if token else "bank.insufficient_funds"
        self.move(buyer, TILL, token, amounts.total)
        self.records[invoice_id] = Invoice(name, buyer, token, amounts.amount, amounts.tax,
                                           height)
        self.order.append(invoice_id)
        return ""

    def void(self, height: int, seller: int, number: str) -> str:
        name, _, taxpayer = SELLERS[seller]
        if not taxpayer:
            return "invoice.not_a_taxpayer"
        invoice_id = f"{name}/{number}"
        existing = self.records.get(invoice_id)
        if existing is not None:
            return "invoice.voided" if existing.voided else "invoice.already_paid"
        self.records[invoice_id] = Invoice(name, -1, "", 0, 0, height, voided=True)
        self.order.append(invoice_id)
        return ""

    def claim(self, claimant: int, cosigner: int, invoice_id: str, amount: int) -> str:
        record = self.records.get(invoice_id)
        if record is None:
            return "invoice.unknown_invoice"
        if record.voided:
            return "invoice.voided"
        if record.claimed:
            return "invoice.already_reimbursed"
        if claimant == record.buyer:
            return "invoice.invalid_party"
        if cosigner != record.buyer:
            return "invoice.not_cosigned"
        if amount > record.amount + record.tax:
            return "invoice.invalid_amount"
        if amount and self.balance(claimant, record.token) < amount:
            return "assets.insufficient_balance" if record.token else "bank.insufficient_funds"
        if amount:
            self.move(claimant, record.buyer, record.token, amount)
        record.claimed = True
        return ""


PAY = st.tuples(
    st.just("pay"), st.integers(0, 3), st.integers(0, 2), st.sampled_from(NUMBERS),
    st.sampled_from(["offer", "offer", "cosigned", "unsigned"]), st.sampled_from(TOKENS),
    st.integers(1, 5), st.sampled_from([1, 1_000, 10**8, 3 * 10**8]),
)
VOID = st.tuples(st.just("void"), st.integers(0, 2), st.sampled_from(NUMBERS))
CLAIM = st.tuples(
    st.just("claim"), st.integers(0, 3), st.sampled_from([-1, -1, 0, 1, 2, 3]),
    st.integers(0, 1),
    st.sampled_from(NUMBERS), st.sampled_from([0, 1, 500, 10**9]),
)
ACTION = st.one_of(PAY, PAY, VOID, CLAIM, CLAIM)


def build(
    item: tuple[Any, ...], nonces: dict[bytes, int], state: Any
) -> tuple[DecodedTx, tuple[Any, ...]]:
    """The transaction of one drawn action (its sender's next nonce)."""
    kind = item[0]

    def next_nonce(key: PrivateKey) -> int:
        from tests.apps.invoice.helpers import nonce

        n = nonces.get(key.address, nonce(state, key))
        nonces[key.address] = n + 1
        return n

    if kind == "pay":
        _, buyer, seller, number, mode, token, quantity, price = item
        name, key, _ = SELLERS[seller]
        drawn = offer(number, BUYERS[buyer], seller=name, key=key, token=token,
                      items=lines((quantity, price, 1300)))
        payer = BUYERS[buyer]
        if mode == "cosigned":
            keys = [payer, key]
            return tx(keys, next_nonce(payer), Pay(drawn),
                      accounts=[k.address for k in keys]), item
        action = signed_pay(drawn) if mode == "offer" else Pay(drawn)
        return tx(payer, next_nonce(payer), action), item
    if kind == "void":
        _, seller, number = item
        key = SELLERS[seller][1]
        return tx(key, next_nonce(key), Void(number)), item
    _, claimant, cosigner, seller, number, amount = item
    invoice_id = f"{SELLERS[seller][0]}/{number}"
    if cosigner == -1:  # the buyer co-signs, if the invoice was paid in an earlier block
        buyer = ask(state, "invoice", "invoice", id=invoice_id).buyer
        cosigner = next((i for i, k in enumerate(BUYERS) if k.address == buyer), 0)
        item = (*item[:2], cosigner, *item[3:])
    sender = BUYERS[claimant]
    action = Reimburse(invoice_id, amount)
    if claimant == cosigner:
        return tx(sender, next_nonce(sender), action), item
    keys = [sender, BUYERS[cosigner]]
    return tx(keys, next_nonce(sender), action, accounts=[k.address for k in keys]), item


def expect(model: Model, height: int, item: tuple[Any, ...]) -> str:
    if item[0] == "pay":
        _, buyer, seller, number, mode, token, quantity, price = item
        return model.pay(height, buyer, seller, number, mode, token, quantity, price)
    if item[0] == "void":
        return model.void(height, item[1], item[2])
    _, claimant, cosigner, seller, number, amount = item
    return model.claim(claimant, cosigner, f"{SELLERS[seller][0]}/{number}", amount)


def walk_seller(state: Any, seller: str, low: int, high: int) -> list[str]:
    found: list[str] = []
    cursor = 0
    for _ in range(100):
        page = ask(state, "invoice", "by_seller", seller=seller, from_height=low,
                   to_height=high, cursor=cursor)
        found += [i.id for i in page.invoices]
        if page.next is None:
            return found
        cursor = page.next
    raise AssertionError("the cursor never ended")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(ACTION, min_size=1, max_size=5), min_size=1, max_size=8),
       st.integers(1, 9), st.integers(0, 9))
@example(  # every path of a claim, whatever the draws
    [[("pay", 0, 0, "1", "offer", "", 1, 1000), ("pay", 1, 0, "2", "cosigned", TOKEN, 2, 1000)],
     [("claim", 3, -1, 0, "1", 10**9), ("claim", 3, -1, 0, "1", 500),
      ("claim", 2, -1, 0, "2", 2260)],
     [("claim", 1, -1, 0, "1", 0), ("claim", 0, 0, 0, "2", 0)]],
    1, 3,
)
def test_outcomes_payments_and_totals_follow_the_model(
    blocks: list[list[tuple[Any, ...]]], low: int, span: int
) -> None:
    state = make_ledger()
    model = Model()
    for block in blocks:
        nonces: dict[bytes, int] = {}
        built = [build(item, nonces, state) for item in block]
        height = state.height + 1
        expected = [expect(model, height, item) for _, item in built]
        result = run_block(state, [t for t, _ in built])
        assert [r.code for r in result.receipts] == expected, [r.error for r in result.receipts]
        for (_, item), receipt in zip(built, result.receipts, strict=True):
            event(f"{item[0]} {receipt.code or 'ok'}")
    # Every paid invoice has exactly its payment (and every claim its reimbursement).
    for token in TOKENS:
        for i, key in enumerate(BUYERS):
            assert coins(state, key, token) == model.balance(i, token), (key, token)
        assert coins(state, TILL, token) == model.balance(TILL, token)
    for invoice_id, record in model.records.items():
        info = ask(state, "invoice", "invoice", id=invoice_id)
        status = "voided" if record.voided else "reimbursed" if record.claimed else "paid"
        assert (info.status, info.height, info.total) == (
            status, record.height, record.amount + record.tax)
    high = low + span
    for seller, _, _ in SELLERS[:2]:
        in_period = [i for i in model.order if model.records[i].seller == seller
                     and low <= model.records[i].height <= high]
        assert walk_seller(state, seller, low, high) == in_period
        for token in TOKENS:
            paid = [model.records[i] for i in in_period
                    if not model.records[i].voided and model.records[i].token == token]
            totals = ask(state, "invoice", "totals", seller=seller, token=token,
                         from_height=low, to_height=high)
            assert (totals.invoices, totals.amount, totals.tax) == (
                len(paid), sum(r.amount for r in paid), sum(r.tax for r in paid))
