"""A PvP swap, an offer acceptance and an HTLC claim are all-or-nothing under crash/restart in
the simulator.

Seeded runs of 4 validators under crashes (half of them torn: a node dies in the middle of
carrying out a step's effects, e.g. between saving a block and applying it) with settlement as
the only module that moves the simulated accounts' funds (the bank and assets workloads only
fund them at genesis). After each run a model replays the agreed chain from its blocks and
receipts alone: an ok settlement receipt moves exactly its legs, a refused one nothing. Every
honest node's state, the crashed and restarted ones included, must hold exactly the model's
balances (every account and the module's account, every token), the model's record statuses,
and escrow == the module account's balance == the open records' sum. A half-applied swap,
accept or claim on any node (one leg kept, the other lost, by a crash or by the ledger) would
show as a balance the model does not have.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import pytest

from chainbook.apps import assets, bank, governance, settlement
from chainbook.apps.assets.state import get_balance as token_balance
from chainbook.apps.assets.workload import ACCOUNT_TOKENS, AssetsWorkload
from chainbook.apps.bank.process import get_balance as coin_balance
from chainbook.apps.bank.workload import ACCOUNT_FUNDS, BankWorkload
from chainbook.apps.base import ModuleWorkload, PrefixedReader, Rng
from chainbook.apps.registry import Registry
from chainbook.apps.settlement import (
    ESCROW,
    Accept,
    Cancel,
    Claim,
    MakeLock,
    MakeOffer,
    Reclaim,
    Refund,
    Swap,
)
from chainbook.apps.settlement.queries import EscrowRequest, LockRequest, OfferRequest
from chainbook.apps.settlement.workload import SettlementWorkload
from chainbook.chain.tx import decode_tx
from chainbook.ledger.queries import run_query
from chainbook.sim import FaultKind, SimConfig
from chainbook.sim.node import SimNode
from chainbook.sim.simulator import Simulation
from chainbook.types import Address

TOKENS = ("", "SIMA", "SIMB")


class FundOnly:
    """A module's workload that funds the simulated accounts at genesis and sends nothing."""

    def __init__(self, inner: ModuleWorkload) -> None:
        self.inner = inner

    def genesis_section(self, accounts: Sequence[Address]) -> msgspec.Struct | None:
        return self.inner.genesis_section(accounts)

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        return None

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        pass


SETTLEMENT_ONLY = Registry([
    dataclasses.replace(bank.MODULE, workload=lambda: FundOnly(BankWorkload())),
    governance.MODULE,
    dataclasses.replace(assets.MODULE, workload=lambda: FundOnly(AssetsWorkload())),
    settlement.MODULE,
])
CONFIG = SimConfig(
    validators=4,
    registry=SETTLEMENT_ONLY,
    fault_kinds=frozenset({FaultKind.CRASH}),
    torn_crash_chance=0.5,
    tx_interval_ms_min=2,
    tx_interval_ms_max=10,
    validator_changes=False,
    accounts=6,
    target_height_min=20,
)


@dataclass
class Record:
    owner: Address
    other: Address
    token: str
    amount: int
    want_token: str = ""
    want_amount: int = 0
    status: str = "open"


class ChainModel:
    """Balances and records from the chain's settlement receipts alone."""

    def __init__(self, accounts: Sequence[Address]) -> None:
        self.balances: Counter[tuple[str, Address]] = Counter()
        for address in accounts:
            self.balances[("", address)] = ACCOUNT_FUNDS
            self.balances[("SIMA", address)] = ACCOUNT_TOKENS
            self.balances[("SIMB", address)] = ACCOUNT_TOKENS
        self.offers: dict[int, Record] = {}
        self.locks: dict[int, Record] = {}
        self.ok: Counter[str] = Counter()

    def move(self, token: str, source: Address, to: Address, amount: int) -> None:
        self.balances[(token, source)] -= amount
        self.balances[(token, to)] += amount
        assert self.balances[(token, source)] >= 0, "the chain moved funds nobody held"

    def apply(self, sender: Address, action: msgspec.Struct) -> None:
        """One ok settlement receipt: its legs, as the rules say."""
        self.ok[type(action).__name__] += 1
        match action:
            case Swap():
                self.move(action.give_token, sender, action.counterparty, action.give_amount)
                self.move(action.get_token, action.counterparty, sender, action.get_amount)
            case MakeOffer():
                self.move(action.give_token, sender, ESCROW, action.give_amount)
                self.offers[len(self.offers) + 1] = Record(
                    sender, action.taker, action.give_token, action.give_amount,
                    action.want_token, action.want_amount)
            case Accept():
                offer = self.offers[action.offer_id]
                self.move(offer.want_token, sender, offer.owner, offer.want_amount)
                self.move(offer.token, ESCROW, sender, offer.amount)
                offer.status = "accepted"
            case Cancel() | Reclaim():
                offer = self.offers[action.offer_id]
                self.move(offer.token, ESCROW, offer.owner, offer.amount)
                offer.status = "cancelled" if isinstance(action, Cancel) else "reclaimed"
            case MakeLock():
                self.move(action.token, sender, ESCROW, action.amount)
                self.locks[len(self.locks) + 1] = Record(sender, action.recipient, action.token,
                                                         action.amount)
            case Claim() | Refund():
                lock = self.locks[action.lock_id]
                to = lock.other if isinstance(action, Claim) else lock.owner
                self.move(lock.token, ESCROW, to, lock.amount)
                lock.status = "claimed" if isinstance(action, Claim) else "refunded"

    def escrow(self, token: str) -> int:
        return sum(r.amount for r in [*self.offers.values(), *self.locks.values()]
                   if r.status == "open" and r.token == token)


def replay_chain(node: SimNode, accounts: Sequence[Address]) -> ChainModel:
    """The model of the agreed chain, from `node`'s stored blocks and receipts."""
    model = ChainModel(accounts)
    for height in range(1, node.store.latest_height() + 1):
        block = node.store.load_block(height)
        receipts = node.store.load_receipts(height)
        assert block is not None and receipts is not None, height
        for tx_bytes, receipt in zip(block.txs, receipts, strict=True):
            decoded = decode_tx(tx_bytes)
            action = SETTLEMENT_ONLY.decode_action(decoded.action_bytes)
            if receipt.ok and SETTLEMENT_ONLY.module_for(action).name == "settlement":
                model.apply(decoded.sender, action)
    return model


def assert_node_matches(node: SimNode, model: ChainModel, accounts: Sequence[Address]) -> None:
    assert node.core is not None
    state = node.core.ledger.state
    bank_view = PrefixedReader(state.kv, b"bank/")
    assets_view = PrefixedReader(state.kv, b"assets/")
    for address in [*accounts, ESCROW]:
        for token in TOKENS:
            if token == "":
                held = coin_balance(bank_view, address) or 0
            else:
                held = token_balance(assets_view, token, address) or 0
            assert held == model.balances[(token, address)], (
                f"{node.name}: {address.hex()[:8]} holds {held} of {token!r}, the chain's "
                f"receipts say {model.balances[(token, address)]}"
            )
    for token in TOKENS:
        escrow = run_query(state, "settlement", "escrow", EscrowRequest(token))
        assert escrow.amount == model.escrow(token) == model.balances[(token, ESCROW)], node.name
    for number, record in model.offers.items():
        info = run_query(state, "settlement", "offer", OfferRequest(number))
        assert info.status == record.status, (node.name, number, info.status, record.status)
    for number, record in model.locks.items():
        info = run_query(state, "settlement", "lock", LockRequest(number))
        assert info.status == record.status, (node.name, number, info.status, record.status)


SEEDS = range(4)


@pytest.fixture(scope="module")
def runs() -> list[tuple[Simulation, ChainModel]]:
    done = []
    for seed in SEEDS:
        simulation = Simulation(seed, CONFIG)
        simulation.run()
        done.append((simulation, replay_chain(simulation.nodes[0], simulation.workload.addresses)))
    return done


def test_every_node_holds_what_the_chain_receipts_say_after_crashes(
    runs: list[tuple[Simulation, ChainModel]],
) -> None:
    for simulation, model in runs:
        for node in simulation.honest_nodes():
            assert_node_matches(node, model, simulation.workload.addresses)


def test_the_runs_crash_nodes_mid_step_and_settle_all_three_kinds(
    runs: list[tuple[Simulation, ChainModel]],
) -> None:
    """What makes the check above mean something: nodes crashed (torn too) and restarted, and
    swaps, accepts and claims committed, beside refusals of each kind of action."""
    faults: Counter[str] = Counter()
    settled: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    restarted = 0
    for simulation, model in runs:
        faults.update(simulation.faults)
        settled.update(model.ok)
        restarted += sum(node.boots > 1 for node in simulation.honest_nodes())
        workload = simulation.workload.modules["settlement"]
        assert isinstance(workload, SettlementWorkload)
        refused.update(k for k, n in workload.outcomes.items() for _ in range(n)
                       if k.endswith("refused"))
    assert faults["crash_torn"] >= 2 and restarted >= len(SEEDS), (faults, restarted)
    assert settled["Swap"] >= 15 and settled["Accept"] >= 3 and settled["Claim"] >= 2, settled
    assert refused, "no committed refusal: the runs never checked that one changes nothing"
