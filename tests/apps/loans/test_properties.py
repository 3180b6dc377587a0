"""Properties of the loans module (hypothesis) against a simple model: under any sequence of
agreements (signed by both or not, either party sending), offers, acceptances, withdrawals,
repayments, forgiveness, defaults, claims and waits, every outcome code is the model's; every
balance of every party and of the escrow, in the native coin and a token, and the pledged
asset's owner are the model's; what each loan owes (the `outstanding` query) is the model's,
computed with exact fractions, and never negative; no supply changes; and the commit
invariants (apps/loans/invariants.py) hold after every block (the ledger asserts them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.loans import (
    Accept,
    AssetCollateral,
    ClaimCollateral,
    Create,
    DeclareDefault,
    Forgive,
    Instalment,
    Offer,
    Repay,
    RepayInFull,
    TokenCollateral,
    WithdrawOffer,
)
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.loans.helpers import (
    BALANCES,
    ESCROW,
    TITLE,
    TOKEN,
    TOKEN_BALANCES,
    asset_owner,
    make_ledger,
    signed_by,
    token_balance,
)
from tests.support import ALICE, BOB, CAROL, ask, run_block, supply_of

PARTIES = [ALICE, BOB, CAROL]
OPEN_BLOCKS = 30


@dataclass
class ModelLoan:
    lender: int
    borrower: int
    token: str
    principal: int
    rate: int
    period: int
    dues: list[tuple[int, int]]
    """(due height, principal), absolute."""
    grace: int
    collateral: Any
    height: int
    status: str = "active"
    principal_out: int = 0
    interest: Fraction = Fraction(0)
    accrued: int = 0
    escrowed: bool = False

    def accrue_to(self, height: int) -> None:
        if self.status == "active":
            exact = self.interest + Fraction(
                self.principal_out * self.rate * (height - self.accrued), 10_000 * self.period
            )
            self.interest = min(exact, Fraction(self.principal_out))
            self.accrued = height

    def owed(self) -> int:
        return self.principal_out + int(self.interest)

    def default_height(self) -> int:
        settled = self.principal - self.principal_out
        cumulative = 0
        for due, part in self.dues:
            cumulative += part
            if cumulative > settled:
                return due + self.grace + 1
        raise AssertionError("an active loan met every instalment")


@dataclass
class ModelOffer:
    lender: int
    borrower: int
    terms: dict[str, Any]
    expires: int
    status: str = "open"


@dataclass
class Model:
    native: dict[bytes, int] = field(default_factory=lambda: dict(BALANCES))
    tokens: dict[bytes, int] = field(default_factory=lambda: dict(TOKEN_BALANCES))
    owner: bytes = BOB.address
    loans: dict[str, ModelLoan] = field(default_factory=dict)
    offers: dict[str, ModelOffer] = field(default_factory=dict)

    def book(self, token: str) -> dict[bytes, int]:
        return self.native if token == "" else self.tokens

    def held(self, who: bytes, token: str) -> int:
        return self.book(token).get(who, 0)

    def move(self, source: bytes, to: bytes, token: str, amount: int) -> None:
        book = self.book(token)
        assert book.get(source, 0) >= amount
        book[source] = book.get(source, 0) - amount
        book[to] = book.get(to, 0) + amount

    def collateral_ok(self, borrower: bytes, collateral: Any) -> str:
        if isinstance(collateral, TokenCollateral):
            if self.held(borrower, collateral.token) < collateral.amount:
                return "loans.insufficient_funds"
        elif isinstance(collateral, AssetCollateral) and self.owner != borrower:
            return "loans.invalid_collateral"
        return ""

    def open_loan(self, loan_id: str, lender: int, borrower: int, terms: dict[str, Any],
                  source: bytes, height: int) -> None:
        lender_a, borrower_a = PARTIES[lender].address, PARTIES[borrower].address
        collateral = terms["collateral"]
        if isinstance(collateral, TokenCollateral):
            self.move(borrower_a, ESCROW, collateral.token, collateral.amount)
        elif isinstance(collateral, AssetCollateral):
            self.owner = ESCROW
        self.move(source, borrower_a, terms["token"], terms["principal"])
        dues = [(height + i.due_blocks, i.principal) for i in terms["instalments"]]
        self.loans[loan_id] = ModelLoan(
            lender, borrower, terms["token"], terms["principal"], terms["rate_bps"],
            terms["period_blocks"], dues, terms["grace_blocks"], collateral, height,
            principal_out=terms["principal"], accrued=height, escrowed=collateral is not None,
        )  # fmt: skip
        _ = lender_a

    def release(self, loan: ModelLoan, to: bytes) -> None:
        if isinstance(loan.collateral, TokenCollateral):
            self.move(ESCROW, to, loan.collateral.token, loan.collateral.amount)
        elif isinstance(loan.collateral, AssetCollateral):
            self.owner = to
        loan.escrowed = False

    def settle(self, loan: ModelLoan, amount: int, payer: bytes | None, height: int) -> None:
        to_interest = min(amount, int(loan.interest))
        loan.interest -= to_interest
        loan.principal_out -= amount - to_interest
        if payer is not None:
            self.move(payer, PARTIES[loan.lender].address, loan.token, amount)
        if loan.principal_out == 0:
            loan.status = "repaid" if payer is not None else "forgiven"
            loan.interest = Fraction(0)
            if loan.escrowed:
                self.release(loan, PARTIES[loan.borrower].address)

    def apply(self, op: tuple[Any, ...], height: int) -> tuple[list[PrivateKey], Any, str]:
        """The op's signers, action and expected code ("" for success), applied if it succeeds."""
        kind = op[0]
        if kind == "create":
            _, loan_id, lender, borrower, who, terms = op
            keys = {"lender": [lender, borrower], "borrower": [borrower, lender],
                    "lender alone": [lender], "borrower alone": [borrower]}[who]
            action = Create(loan_id, PARTIES[lender].address, PARTIES[borrower].address,
                            **terms)
            signers = [PARTIES[k] for k in dict.fromkeys(keys)]
            sender = signers[0].address
            code = self._create_code(loan_id, lender, borrower, terms, [s.address for s in signers])
            if not code:
                self.open_loan(loan_id, lender, borrower, terms, PARTIES[lender].address, height)
            return signers, action, code
        if kind == "offer":
            _, loan_id, lender, borrower, terms = op
            action = Offer(loan_id, PARTIES[borrower].address, open_blocks=OPEN_BLOCKS, **terms)
            code = ""
            if lender == borrower:
                code = "loans.invalid_party"
            elif loan_id in self.loans or loan_id in self.offers:
                code = "loans.loan_exists"
            elif self.held(PARTIES[lender].address, terms["token"]) < terms["principal"]:
                code = "loans.insufficient_funds"
            if not code:
                self.move(PARTIES[lender].address, ESCROW, terms["token"], terms["principal"])
                self.offers[loan_id] = ModelOffer(lender, borrower, terms, height + OPEN_BLOCKS)
            return [PARTIES[lender]], action, code
        if kind in ("accept", "withdraw"):
            _, slot, role = op
            loan_id = self.pick(sorted(self.offers), slot)
            offer_ = self.offers.get(loan_id)
            signer = self.resolve(role, offer_.lender, offer_.borrower) if offer_ else 1
            action = Accept(loan_id) if kind == "accept" else WithdrawOffer(loan_id)
            offer = self.offers.get(loan_id)
            if offer is None:
                return [PARTIES[signer]], action, "loans.unknown_offer"
            if offer.status != "open":
                return [PARTIES[signer]], action, "loans.offer_closed"
            if kind == "withdraw":
                if signer != offer.lender:
                    return [PARTIES[signer]], action, "loans.not_lender"
                offer.status = "withdrawn"
                terms = offer.terms
                self.move(ESCROW, PARTIES[offer.lender].address, terms["token"], terms["principal"])
                return [PARTIES[signer]], action, ""
            if height > offer.expires:
                return [PARTIES[signer]], action, "loans.offer_closed"
            if signer != offer.borrower:
                return [PARTIES[signer]], action, "loans.not_borrower"
            code = self.collateral_ok(PARTIES[signer].address, offer.terms["collateral"])
            if not code:
                offer.status = "accepted"
                self.open_loan(loan_id, offer.lender, offer.borrower, offer.terms, ESCROW, height)
            return [PARTIES[signer]], action, code
        _, slot, role, amount = op
        defaulted = sorted(i for i, x in self.loans.items() if x.status == "defaulted")
        loan_id = self.pick(defaulted if kind == "claim" and defaulted else sorted(self.loans),
                            slot)
        loan_ = self.loans.get(loan_id)
        signer = self.resolve(role, loan_.lender, loan_.borrower) if loan_ else 1
        sender = PARTIES[signer].address
        action = {
            "repay": lambda: Repay(loan_id, amount),
            "repay_in_full": lambda: RepayInFull(loan_id, amount),
            "forgive": lambda: Forgive(loan_id, amount),
            "default": lambda: DeclareDefault(loan_id),
            "claim": lambda: ClaimCollateral(loan_id),
        }[kind]()
        loan = self.loans.get(loan_id)
        if loan is None:
            return [PARTIES[signer]], action, "loans.unknown_loan"
        loan.accrue_to(height)
        return [PARTIES[signer]], action, self._settle_code(kind, loan, signer, sender, amount,
                                                            height)

    @staticmethod
    def pick(ids: list[str], slot: int) -> str:
        """The id a step acts on: one that exists, by slot, or (slot 0) one that does not."""
        return "zz" if slot == 0 or not ids else ids[slot % len(ids)]

    @staticmethod
    def resolve(role: str, lender: int, borrower: int) -> int:
        if role == "lender":
            return lender
        if role == "borrower":
            return borrower
        return next(i for i in range(3) if i not in (lender, borrower)) if lender != borrower \
            else (lender + 1) % 3

    def _create_code(self, loan_id: str, lender: int, borrower: int, terms: dict[str, Any],
                     signers: list[bytes]) -> str:
        lender_a, borrower_a = PARTIES[lender].address, PARTIES[borrower].address
        collateral = terms["collateral"]
        if lender == borrower:
            return "loans.invalid_party"
        if lender_a not in signers or borrower_a not in signers:
            return "loans.not_signed"
        if terms["token"] == "" and lender_a != signers[0]:
            return "loans.payer_not_sender"
        native_collateral = isinstance(collateral, TokenCollateral) and collateral.token == ""
        if native_collateral and borrower_a != signers[0]:
            return "loans.payer_not_sender"
        if loan_id in self.loans or loan_id in self.offers:
            return "loans.loan_exists"
        code = self.collateral_ok(borrower_a, collateral)
        if code:
            return code
        if self.held(lender_a, terms["token"]) < terms["principal"]:
            return "loans.insufficient_funds"
        return ""

    def _settle_code(self, kind: str, loan: ModelLoan, signer: int, sender: bytes,
                     amount: int | None, height: int) -> str:
        if kind == "claim":
            if signer != loan.lender:
                return "loans.not_lender"
            if loan.status != "defaulted":
                return "loans.not_defaulted"
            if not loan.escrowed:
                return "loans.no_collateral"
            self.release(loan, PARTIES[loan.lender].address)
            return ""
        if loan.status != "active":
            return "loans.loan_closed"
        if kind in ("repay", "repay_in_full"):
            assert amount is not None
            if amount < 1:
                return "loans.invalid_amount"
            if signer == loan.lender:
                return "loans.invalid_party"
            if kind == "repay" and amount > loan.owed():
                return "loans.overpayment"
            paid = amount if kind == "repay" else loan.owed()
            if kind == "repay_in_full" and paid > amount:
                return "loans.invalid_amount"
            if self.held(sender, loan.token) < paid:
                return "loans.insufficient_funds"
            self.settle(loan, paid, sender, height)
            return ""
        if signer != loan.lender:
            return "loans.not_lender"
        if kind == "forgive":
            forgiven = loan.owed() if amount is None else amount
            if forgiven < 1:
                return "loans.invalid_amount"
            if forgiven > loan.owed():
                return "loans.overpayment"
            self.settle(loan, forgiven, None, height)
            return ""
        if height < loan.default_height():
            return "loans.grace_running"
        loan.status = "defaulted"
        return ""


lenders = st.sampled_from([0, 0, 0, 2])
borrowers = st.sampled_from([1, 1, 1, 2, 0])
signings = st.sampled_from(
    ["lender", "lender", "lender", "borrower", "borrower", "lender alone", "borrower alone"]
)
loan_ids = st.sampled_from(["a", "a", "b", "b", "c"])
collaterals = st.one_of(
    st.none(),
    st.none(),
    st.builds(TokenCollateral, st.sampled_from(["", TOKEN]), st.integers(1, 30_000)),
    st.just(AssetCollateral(TITLE)),
)


@st.composite
def terms(draw: st.DrawFn) -> dict[str, Any]:
    principal = draw(st.integers(2, 60_000))
    first = draw(st.integers(1, principal - 1))
    due = draw(st.integers(1, 6))
    instalments = draw(st.sampled_from([
        [Instalment(due, principal)],
        [Instalment(due, first), Instalment(due + draw(st.integers(1, 6)), principal - first)],
    ]))  # fmt: skip
    return {
        "token": draw(st.sampled_from(["", TOKEN])),
        "principal": principal,
        "rate_bps": draw(st.sampled_from([0, 7, 100, 2_500, 10_000])),
        "period_blocks": draw(st.integers(1, 7)),
        "instalments": instalments,
        "grace_blocks": draw(st.integers(0, 3)),
        "collateral": draw(collaterals),
    }


slots = st.integers(0, 5)
"""Which existing offer or loan a step acts on (0: an id that names none)."""
roles = st.sampled_from(["lender", "lender", "borrower", "other"])
amounts = st.one_of(st.integers(0, 3_000), st.integers(0, 70_000), st.just(10**9))
creates = st.tuples(st.just("create"), loan_ids, lenders, borrowers, signings, terms())
offers = st.tuples(st.just("offer"), loan_ids, lenders, borrowers, terms())
ops = st.one_of(
    creates,
    creates,
    offers,
    st.tuples(st.sampled_from(["accept", "withdraw"]), slots, roles),
    st.tuples(st.sampled_from(["repay", "repay", "repay_in_full"]), slots,
              st.sampled_from(["borrower", "borrower", "other", "lender"]), amounts),
    st.tuples(st.just("forgive"), slots, roles, st.one_of(st.none(), amounts)),
    st.tuples(st.sampled_from(["default", "claim"]), slots, roles, st.none()),
    st.tuples(st.sampled_from(["default", "claim"]), slots, st.just("lender"), st.none()),
    st.tuples(st.just("wait"), st.integers(1, 12)),
)  # fmt: skip


def check(state: LedgerState, model: Model, supplies: tuple[int, int]) -> None:
    for who in [*(p.address for p in PARTIES), ESCROW]:
        assert token_balance(state, who, "") == model.native.get(who, 0), who.hex()
        assert token_balance(state, who, TOKEN) == model.tokens.get(who, 0), who.hex()
    assert asset_owner(state) == model.owner
    token_supply = int(ask(state, "assets", "token", token=TOKEN).supply)
    assert (supply_of(state), token_supply) == supplies, "lending changed a supply"
    for loan_id, loan in model.loans.items():
        figures = ask(state, "loans", "outstanding", loan_id=loan_id)
        loan.accrue_to(state.height)
        assert figures.status in ("active", "overdue") or figures.status == loan.status
        assert (figures.principal, figures.interest) == (loan.principal_out, int(loan.interest))
        assert figures.principal >= 0 and figures.interest >= 0


openings = st.tuples(
    st.tuples(st.just("create"), st.just("a"), st.just(0), st.just(1), st.just("lender"), terms()),
    st.tuples(st.just("offer"), st.just("b"), st.just(0), st.just(1), terms()),
    st.tuples(st.just("wait"), st.sampled_from([1, 1, 16])),
)
"""Every sequence starts with a loan Alice and Bob both signed and an offer to Bob (which
may still fail: a collateral Bob cannot give), then at times a wait past their due heights,
so the later steps have something to act on, on time or late."""


@settings(max_examples=60, deadline=None)
@given(openings, st.lists(ops, min_size=4, max_size=25))
def test_every_outcome_balance_and_figure_is_the_model_s(
    opening: tuple[Any, ...], steps: list[tuple[Any, ...]]
) -> None:
    sequence = [*opening, *steps]
    state = make_ledger()
    model = Model()
    supplies = (supply_of(state), int(ask(state, "assets", "token", token=TOKEN).supply))
    for op in sequence:
        if op[0] == "wait":
            for _ in range(op[1]):
                run_block(state, [])
            continue
        signers, action, code = model.apply(op, state.height + 1)
        (receipt,) = run_block(state, [signed_by(state, signers, action)]).receipts
        assert (receipt.code, receipt.ok) == (code, not code), (op, receipt.error)
        check(state, model, supplies)
