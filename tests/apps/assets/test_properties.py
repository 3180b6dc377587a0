"""Properties of the assets module (hypothesis): under any sequence of token and asset actions
by any signers (issuers and not, within and past caps, frozen or not), every outcome, every
balance, every supply and every owner is that of a simple model, the supply of each token
changes only by mint and burn and equals the sum of its balances, and the commit invariants
(process.assert_invariants) hold after every block."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.assets import (
    Burn,
    CreateToken,
    Freeze,
    Mint,
    RegisterAsset,
    Transfer,
    TransferAsset,
    Unfreeze,
)
from chainbook.crypto import PrivateKey
from tests.apps.assets.helpers import BANK_A, BANK_B, balance, make_ledger, nonce
from tests.support import ALICE, BOB, ask, run_block, tx

SIGNERS = [BANK_A, BANK_B, ALICE, BOB]
CAP = {"AAA": 500, "BBB": 0}
FREEZABLE = {"AAA": True, "BBB": False}
IDS = ["a1", "a2"]
UNCAPPED = 2**64 - 1


@dataclass
class Model:
    created: set[str] = field(default_factory=set)
    balances: dict[tuple[str, int], int] = field(default_factory=dict)
    supply: dict[str, int] = field(default_factory=dict)
    minted: dict[str, int] = field(default_factory=dict)
    frozen: set[tuple[str, int]] = field(default_factory=set)
    owners: dict[str, int] = field(default_factory=dict)
    issuer: dict[str, int] = field(default_factory=dict)

    def bal(self, token: str, who: int) -> int:
        return self.balances.get((token, who), 0)

    def expect(self, kind: str, signer: int, token: str, party: int, amount: int) -> str:
        """The code the action should get ("" for success), applying it if it succeeds."""
        if kind == "create":
            if token in self.created:
                return "assets.symbol_taken"
            if signer not in (0, 1):  # the banks are issuers; Alice and Bob are not
                return "assets.not_an_issuer"
            self.issuer[token] = signer  # either bank may take either symbol first
            self.created.add(token)
            self.supply[token] = self.minted[token] = 0
            return ""
        if kind in ("register", "move"):
            asset = IDS[amount % 2]
            if kind == "register":
                if asset in self.owners:
                    return "assets.asset_exists"
                self.owners[asset] = party
                return ""
            if asset not in self.owners:
                return "assets.unknown_asset"
            if self.owners[asset] != signer:
                return "assets.not_owner"
            if party == signer:
                return "assets.invalid_party"
            self.owners[asset] = party
            return ""
        if token not in self.created:
            return "assets.unknown_token"
        issuer = self.issuer[token]
        if kind == "transfer":
            if (token, signer) in self.frozen:
                return "assets.account_frozen"
            if (token, party) in self.frozen:
                return "assets.account_frozen"
            if self.bal(token, signer) < amount:
                return "assets.insufficient_balance"
            self.balances[(token, signer)] = self.bal(token, signer) - amount
            self.balances[(token, party)] = self.bal(token, party) + amount
            return ""
        if kind in ("freeze", "unfreeze"):
            if not FREEZABLE[token]:
                return "assets.not_freezable"
            if signer != issuer:
                return "assets.not_an_issuer"
            if kind == "freeze" and party == issuer:
                return "assets.invalid_party"
            if ((token, party) in self.frozen) == (kind == "freeze"):
                return "assets.invalid_party"
            (self.frozen.add if kind == "freeze" else self.frozen.discard)((token, party))
            return ""
        if signer != issuer:
            return "assets.not_an_issuer"
        if kind == "mint":
            if self.supply[token] + amount > (CAP[token] or UNCAPPED):
                return "assets.cap_exceeded"
            if (token, party) in self.frozen:
                return "assets.account_frozen"
            self.supply[token] += amount
            self.minted[token] += amount
            self.balances[(token, party)] = self.bal(token, party) + amount
            return ""
        assert kind == "burn"
        if self.bal(token, signer) < amount:
            return "assets.insufficient_balance"
        self.balances[(token, signer)] -= amount
        self.supply[token] -= amount
        return ""


ACTION = st.tuples(
    st.sampled_from(
        ["create", "mint", "mint", "burn", "transfer", "transfer", "freeze", "unfreeze",
         "register", "move"]
    ),
    st.integers(0, 3),
    st.sampled_from(["AAA", "BBB"]),
    st.integers(0, 3),
    st.integers(1, 300),
)


def build(kind: str, token: str, party: int, amount: int, signer: int) -> object:
    to = SIGNERS[party].address
    if kind == "create":
        return CreateToken(token, token.lower(), 2, CAP[token], FREEZABLE[token])
    if kind == "mint":
        return Mint(token, to, amount)
    if kind == "burn":
        return Burn(token, amount)
    if kind == "transfer":
        return Transfer(token, to, amount)
    if kind == "freeze":
        return Freeze(token, to)
    if kind == "unfreeze":
        return Unfreeze(token, to)
    if kind == "register":
        return RegisterAsset(IDS[amount % 2], b"\x07" * 32, to)
    return TransferAsset(IDS[amount % 2], to)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(ACTION, min_size=1, max_size=4), min_size=1, max_size=10))
def test_outcomes_balances_supplies_and_owners_follow_the_model(
    blocks: list[list[tuple[str, int, str, int, int]]],
) -> None:
    state = make_ledger()
    model = Model()
    for block in blocks:
        nonces: dict[PrivateKey, int] = {}
        txs, expected = [], []
        for kind, signer, token, party, amount in block:
            key = SIGNERS[signer]
            n = nonces.get(key, nonce(state, key))
            nonces[key] = n + 1
            txs.append(tx(key, n, build(kind, token, party, amount, signer)))  # type: ignore[arg-type]
            expected.append(model.expect(kind, signer, token, party, amount))
        result = run_block(state, txs)  # asserts the commit invariants of every module
        assert [r.code for r in result.receipts] == expected, [r.error for r in result.receipts]
    for token in model.created:
        info = ask(state, "assets", "token", token=token)
        assert info.supply == model.supply[token] and info.minted == model.minted[token]
        assert info.supply == info.minted - info.burned
        total = 0
        for who, key in enumerate(SIGNERS):
            held = balance(state, token, key)
            assert held == model.bal(token, who) and held >= 0
            total += held
        assert total == info.supply, "the supply is the sum of the balances"
    for asset_id, owner in model.owners.items():
        assert ask(state, "assets", "asset", asset_id=asset_id).owner == SIGNERS[owner].address
