"""What the chaos suite holds a network to, once the faults have healed.

    agreement     every node has the same block (hash and app hash) at every height they share
    durability    every transaction acknowledged as committed is in every node's book, at the
                  height and index the acknowledgement named
    no phantom    every transaction in the book is one a client sent (nothing invented, nothing
                  replayed from elsewhere)
    balances      each node's balances and supply equal a model: the genesis allocation, the
                  committed transfers applied in book order (the sender must hold the amount),
                  and the issuance schedule paid to each block's proposer; the model is written
                  here from the genesis file, not taken from apps/bank
    liveness      heights advance again on every node

Balances are read at a known height: a node's height is read before and after its balances
and only an unchanged pair is taken (a node applies blocks and answers the API on one event
loop, so equal heights mean no block was applied in between).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chainbook.api.views import BlockView
from chainbook.client.http import ClientError
from chainbook.testnet.layout import Testnet
from tests.chaos.workload import History

POLL_S = 0.25
SNAPSHOT_TRIES_MAX = 40


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


# ------------------------------------------------------------------ the model


@dataclass(frozen=True)
class Issuance:
    block_reward: int
    halving_interval_blocks: int
    supply_max: int

    def mint(self, height: int, supply: int) -> int:
        reward = self.block_reward
        if self.halving_interval_blocks:
            reward >>= (height - 1) // self.halving_interval_blocks
        return max(0, min(reward, self.supply_max - supply)) if self.supply_max else reward


@dataclass
class BankModel:
    """Balances by address (hex), the supply, and what the model refused (overdrafts)."""

    balances: dict[str, int]
    supply: int
    issuance: Issuance
    failed: int = 0

    @classmethod
    def from_genesis(cls, genesis_path: Path) -> BankModel:
        bank = json.loads(genesis_path.read_text())["app_state"]["bank"]
        issuance = bank.get("issuance", {})
        balances = {a["address"].lower(): int(a["amount"]) for a in bank.get("accounts", [])}
        return cls(
            balances=balances,
            supply=sum(balances.values()),
            issuance=Issuance(
                int(issuance.get("block_reward", 0)),
                int(issuance.get("halving_interval_blocks", 0)),
                int(issuance.get("supply_max", 0)),
            ),
        )

    def apply_block(self, block: BlockView, history: History) -> None:
        height = block.header.height
        minted = self.issuance.mint(height, self.supply)
        proposer = block.header.proposer.lower()
        self.balances[proposer] = self.balances.get(proposer, 0) + minted
        self.supply += minted
        for hash_ in block.tx_hashes:
            tx = history.sent[hash_]
            sender, recipient = tx.sender.hex(), tx.recipient.hex()
            if self.balances.get(sender, 0) < tx.amount:
                self.failed += 1
                continue
            self.balances[sender] -= tx.amount
            self.balances[recipient] = self.balances.get(recipient, 0) + tx.amount


def compute_model(genesis_path: Path, blocks: list[BlockView], history: History) -> BankModel:
    model = BankModel.from_genesis(genesis_path)
    for block in blocks:
        model.apply_block(block, history)
    return model


# ------------------------------------------------------------------ reading the network


@dataclass(frozen=True)
class Snapshot:
    height: int
    balances: dict[str, int]
    supply: int


def read_snapshot(net: Testnet, name: str, addresses: Iterable[str]) -> Snapshot:
    """The node's balances of `addresses` and its supply, all at one height."""
    addresses = list(addresses)
    with net.client(name) as client:
        for _ in range(SNAPSHOT_TRIES_MAX):
            before = client.status().height
            balances = {a: client.apps.bank.balance(address=a).balance for a in addresses}
            supply = client.apps.bank.supply().total
            if client.status().height == before:
                return Snapshot(before, balances, supply)
    raise RuntimeError(f"{name}: its height moved during every one of {SNAPSHOT_TRIES_MAX} reads")


def read_blocks(net: Testnet, name: str, height_max: int) -> list[BlockView]:
    with net.client(name) as client:
        return [client.get_block(h) for h in range(1, height_max + 1)]


def get_heights(net: Testnet, names: Iterable[str]) -> dict[str, int | None]:
    heights: dict[str, int | None] = {}
    for name in names:
        try:
            with net.client(name, timeout_s=2.0) as client:
                heights[name] = client.status().height
        except ClientError:
            heights[name] = None
    return heights


def wait_for_heights(
    net: Testnet, names: list[str], is_done: object, timeout_s: float, what: str
) -> dict[str, int | None]:
    deadline = time.monotonic() + timeout_s
    while True:
        heights = get_heights(net, names)
        if all(h is not None for h in heights.values()) and is_done(heights):  # type: ignore[operator]
            return heights
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:g}s; heights {heights}")
        time.sleep(POLL_S)


def wait_for_progress(
    net: Testnet, names: list[str], blocks: int, timeout_s: float
) -> tuple[float, dict[str, int | None]]:
    """Wait until every node in `names` is `blocks` above the highest height any of them had
    at the start; returns (seconds it took, heights)."""
    started = time.monotonic()
    start = get_heights(net, names)
    target = max((h or 0) for h in start.values()) + blocks
    heights = wait_for_heights(
        net,
        names,
        lambda hs: all((h or 0) >= target for h in hs.values()),
        timeout_s,
        f"liveness: every node at height {target}",
    )
    return time.monotonic() - started, heights


# ------------------------------------------------------------------ the checks


def check_agreement(chains: dict[str, list[BlockView]], verdict: Verdict) -> None:
    names = list(chains)
    common = min(len(c) for c in chains.values())
    for index in range(common):
        seen = {(chains[n][index].hash, chains[n][index].header.app_hash) for n in names}
        if len(seen) != 1:
            verdict.problems.append(f"fork at height {index + 1}: {seen}")
    verdict.facts["heights_compared"] = common


def check_acked(history: History, chains: dict[str, list[BlockView]], verdict: Verdict) -> None:
    for name, chain in chains.items():
        lost = 0
        for ack in history.acked:
            block = chain[ack.height - 1] if ack.height <= len(chain) else None
            if block is None or ack.index >= len(block.tx_hashes):
                lost += 1
                if lost <= 5:
                    verdict.problems.append(f"{name}: acked {ack} is beyond its book")
                continue
            if block.tx_hashes[ack.index] != ack.hash:
                lost += 1
                if lost <= 5:
                    verdict.problems.append(
                        f"{name}: acked {ack.hash[:16]} not at {ack.height}/{ack.index} "
                        f"(found {block.tx_hashes[ack.index][:16]})"
                    )
        if lost:
            verdict.problems.append(f"{name}: {lost} of {len(history.acked)} acked txs missing")
    verdict.facts["acked"] = len(history.acked)


def check_no_phantom(history: History, chain: list[BlockView], verdict: Verdict) -> None:
    committed = [h for block in chain for h in block.tx_hashes]
    phantom = [h for h in committed if h not in history.sent]
    if phantom:
        verdict.problems.append(f"{len(phantom)} committed txs nobody sent, e.g. {phantom[0]}")
    if len(set(committed)) != len(committed):
        verdict.problems.append("a transaction is committed twice")
    verdict.facts["committed"] = len(committed)
    verdict.facts["sent"] = len(history.sent)


def check_balances(
    genesis_path: Path,
    chain: list[BlockView],
    history: History,
    snapshots: dict[str, Snapshot],
    verdict: Verdict,
) -> None:
    for name, snapshot in snapshots.items():
        model = compute_model(genesis_path, chain[: snapshot.height], history)
        wrong = {
            address: (balance, model.balances.get(address, 0))
            for address, balance in snapshot.balances.items()
            if balance != model.balances.get(address, 0)
        }
        if wrong:
            verdict.problems.append(f"{name} at {snapshot.height}: balances != model: {wrong}")
        if snapshot.supply != model.supply:
            verdict.problems.append(
                f"{name} at {snapshot.height}: supply {snapshot.supply} != model {model.supply}"
            )
        verdict.facts["model_overdrafts"] = model.failed


def check_network(
    net: Testnet, names: list[str], history: History, progress_timeout_s: float
) -> Verdict:
    """Every check of the module docstring, on a network whose faults have healed."""
    verdict = Verdict()
    try:
        seconds, _ = wait_for_progress(net, names, 2, progress_timeout_s)
        verdict.facts["liveness_s"] = round(seconds, 1)
    except TimeoutError as exc:
        verdict.problems.append(str(exc))
        return verdict
    addresses = sorted({a.address.lower() for a in net.accounts} | {n.address for n in net.nodes})
    snapshots = {name: read_snapshot(net, name, addresses) for name in names}
    top = max(s.height for s in snapshots.values())
    wait_for_heights(
        net, names, lambda hs: min(hs.values()) >= top, progress_timeout_s, f"height {top}"
    )
    chains = {name: read_blocks(net, name, top) for name in names}
    check_agreement(chains, verdict)
    check_acked(history, chains, verdict)
    check_no_phantom(history, chains[names[0]], verdict)
    check_balances(Path(net.root) / "genesis.json", chains[names[0]], history, snapshots, verdict)
    verdict.facts["height"] = top
    return verdict


__all__ = ["BankModel", "Snapshot", "Verdict", "check_network", "compute_model"]
