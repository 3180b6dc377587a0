"""A benchmark step of mixed module actions: the money modules' paths beside the bank's.

`chainbook bench run --mix bank=4,assets=3` replaces the step's bank transfers with this mix:
transaction k is of component `cycle[k % len(cycle)]`, the cycle holding each component as many
times as its weight (interleaved, so every stretch of the schedule has the mix). Rules kept, as
in bench/workload.py: deterministic keys, every transaction signed before the clock starts,
sender = slice[k % accounts], nonce = k // accounts (a co-signer's nonce does not move).

A component (`MixComponent`) says what the genesis must hold for its actions to succeed
(a token with balances, a registered work, a taxpayer) and signs transaction k. A refused
action is committed too, so the step then reads the receipts of a sample of its committed
transactions and the report gives the share that succeeded per module: a mix whose swaps all
failed would otherwise pass for throughput.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
import msgspec

from chainbook.apps.assets import Transfer as TokenTransfer
from chainbook.apps.assets.genesis import AssetsGenesis, GenesisBalance, GenesisToken
from chainbook.apps.bank import Transfer
from chainbook.apps.governance.genesis import GenesisInstitution, GovernanceGenesis
from chainbook.apps.invoice.actions import Line, Offer
from chainbook.apps.invoice.actions import Pay as InvoicePay
from chainbook.apps.invoice.offer import sign_offer
from chainbook.apps.royalty import GenesisPrice, GenesisShare, GenesisWork, Pay, RoyaltyGenesis
from chainbook.apps.settlement import Swap
from chainbook.apps.tokens import NATIVE_TOKEN
from chainbook.bench.workload import SignedBatch, bench_key, choose_recipient
from chainbook.chain.genesis import Genesis
from chainbook.chain.tx import sign_tx, sign_tx_by, tx_hash
from chainbook.crypto import PrivateKey

BENCH_TOKEN = "BENCHT"
ISSUER_ID = "bench-issuer"
TOKEN_BALANCE = 10**12
RECEIPT_SAMPLE_MAX = 400
"""Committed transactions whose receipts the step reads (spread over the whole schedule)."""


def issuer_key() -> PrivateKey:
    return PrivateKey.from_label(ISSUER_ID)


@dataclass(frozen=True)
class TxSlot:
    """Who signs transaction k of a step, and with which nonce."""

    k: int
    sender: int
    """The sender's bench account index."""
    nonce: int
    accounts_total: int

    @property
    def key(self) -> PrivateKey:
        return bench_key(self.sender)

    @property
    def counterparty(self) -> int:
        """Another funded account, spread over the population (a recipient or co-signer)."""
        return choose_recipient(self.sender, self.k, self.accounts_total)


@dataclass(frozen=True)
class MixComponent:
    module: str
    extend_genesis: Callable[[Genesis, int], Genesis]
    """(genesis, accounts_total) -> the genesis with what this component's actions need."""
    sign: Callable[[str, TxSlot], bytes]
    """(chain_id, slot) -> the signed transaction."""


def _no_genesis(genesis: Genesis, accounts_total: int) -> Genesis:
    return genesis


def _sign_transfer(chain_id: str, slot: TxSlot) -> bytes:
    to = bench_key(slot.counterparty).address
    return sign_tx(slot.key, chain_id, slot.nonce, Transfer(to=to, amount=1))


def replace_section(genesis: Genesis, module: str, section: msgspec.Struct) -> Genesis:
    return msgspec.structs.replace(genesis, app_state={**genesis.app_state, module: section})


def register_institution(genesis: Genesis, id_: str, roles: list[str], key: PrivateKey) -> Genesis:
    """The genesis with `id_` in governance's registry (once, whatever the callers)."""
    governance: GovernanceGenesis = genesis.app_state["governance"]
    if any(i.id == id_ for i in governance.institutions):
        return genesis
    entry = GenesisInstitution(id=id_, name=id_, roles=roles,
                               public_keys=[key.public_key.hex()])
    section = msgspec.structs.replace(governance,
                                      institutions=[*governance.institutions, entry])
    return replace_section(genesis, "governance", section)


def _token_genesis(genesis: Genesis, accounts_total: int) -> Genesis:
    """BENCH_TOKEN with a balance for every account (once, whatever the components)."""
    genesis = register_institution(genesis, ISSUER_ID, ["issuer"], issuer_key())
    assets: AssetsGenesis = genesis.app_state["assets"]
    if any(t.token == BENCH_TOKEN for t in assets.tokens):
        return genesis
    balances = [GenesisBalance(address=bench_key(i).address.hex(), amount=TOKEN_BALANCE)
                for i in range(accounts_total)]
    token = GenesisToken(token=BENCH_TOKEN, name="bench token", decimals=2,
                         institution=ISSUER_ID, balances=balances)
    return replace_section(genesis, "assets",
                           msgspec.structs.replace(assets, tokens=[*assets.tokens, token]))


def _sign_token_transfer(chain_id: str, slot: TxSlot) -> bytes:
    to = bench_key(slot.counterparty).address
    action = TokenTransfer(token=BENCH_TOKEN, to=to, amount=1)
    return sign_tx(slot.key, chain_id, slot.nonce, action)


BENCH_WORK = "BENCH-WORK"
WORK_PRICE = 100


def _work_genesis(genesis: Genesis, accounts_total: int) -> Genesis:
    """A work in the native coin split 50/30/20 between three accounts spread over them."""
    holders = sorted({0, accounts_total // 3, 2 * accounts_total // 3})
    shares = [5_000, 3_000, 2_000][: len(holders)]
    shares[0] += 10_000 - sum(shares)
    work = GenesisWork(
        work=BENCH_WORK, title="bench work", metadata_hash="00" * 32, institution="bench-label",
        prices=[GenesisPrice("download", WORK_PRICE)],
        split=[GenesisShare(bench_key(i).address.hex(), share)
               for i, share in zip(holders, shares, strict=True)],
    )
    royalty: RoyaltyGenesis = genesis.app_state["royalty"]
    return replace_section(genesis, "royalty",
                           msgspec.structs.replace(royalty, works=[*royalty.works, work]))


def _sign_royalty_payment(chain_id: str, slot: TxSlot) -> bytes:
    """One download, split to the work's three holders in the same transaction."""
    action = Pay(BENCH_WORK, "download", 1, WORK_PRICE)
    return sign_tx(slot.key, chain_id, slot.nonce, action)


def _sign_swap(chain_id: str, slot: TxSlot) -> bytes:
    """Payment versus payment: 1 unit of the native coin for 1 BENCH_TOKEN, both legs in one
    transaction signed by both parties (the co-signer's nonce does not move)."""
    other = bench_key(slot.counterparty)
    action = Swap(counterparty=other.address, give_token=NATIVE_TOKEN, give_amount=1,
                  get_token=BENCH_TOKEN, get_amount=1)
    return sign_tx_by([slot.key, other], chain_id, slot.nonce, action,
                      accounts=[slot.key.address, other.address])


SHOP_ID = "bench-shop"
INVOICE_VALID_UNTIL = 2**40


def shop_key() -> PrivateKey:
    return PrivateKey.from_label(SHOP_ID)


def _shop_genesis(genesis: Genesis, accounts_total: int) -> Genesis:
    return register_institution(genesis, SHOP_ID, ["taxpayer"], shop_key())


def _sign_invoice_payment(chain_id: str, slot: TxSlot) -> bytes:
    """The buyer pays a shop's signed offer (one line, 9 % tax): invoice and payment in one
    transaction. The number names the sender and nonce: unique across the whole run."""
    shop = shop_key()
    offer = Offer(SHOP_ID, f"B{slot.sender}-{slot.nonce}", shop.public_key, slot.key.address,
                  shop.address, NATIVE_TOKEN, [Line("bench item", 1, 100, 900)],
                  INVOICE_VALID_UNTIL)
    action = InvoicePay(offer, sign_offer(shop, chain_id, offer))
    return sign_tx(slot.key, chain_id, slot.nonce, action)


COMPONENTS: dict[str, MixComponent] = {
    "bank": MixComponent("bank", _no_genesis, _sign_transfer),
    "assets": MixComponent("assets", _token_genesis, _sign_token_transfer),
    "royalty": MixComponent("royalty", _work_genesis, _sign_royalty_payment),
    "settlement": MixComponent("settlement", _token_genesis, _sign_swap),
    "invoice": MixComponent("invoice", _shop_genesis, _sign_invoice_payment),
}
"""Every mix component by name (`--mix NAME=WEIGHT,...`)."""


def parse_mix(text: str) -> tuple[tuple[str, int], ...]:
    """"bank=4,assets=3" -> (("bank", 4), ("assets", 3)); ValueError naming what is wrong."""
    mix: list[tuple[str, int]] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, weight = part.partition("=")
        if name not in COMPONENTS:
            raise ValueError(f"mix: unknown component {name!r}; known: {', '.join(COMPONENTS)}")
        if not weight.isdigit() or not 1 <= int(weight) <= 100:
            raise ValueError(f"mix: {name}'s weight must be an integer 1 to 100, got {weight!r}")
        if any(n == name for n, _ in mix):
            raise ValueError(f"mix: {name} is named twice")
        mix.append((name, int(weight)))
    if not mix:
        raise ValueError(f"mix: at least one NAME=WEIGHT, got {text!r}")
    return tuple(mix)


def build_cycle(mix: Sequence[tuple[str, int]]) -> list[str]:
    """Each component `weight` times, interleaved (largest remaining weight first)."""
    left = dict(mix)
    cycle: list[str] = []
    while any(left.values()):
        for name, _ in mix:
            if left[name]:
                cycle.append(name)
                left[name] -= 1
    return cycle


def extend_genesis(genesis: Genesis, mix: Sequence[tuple[str, int]], accounts_total: int
                   ) -> Genesis:
    for name, _ in mix:
        genesis = COMPONENTS[name].extend_genesis(genesis, accounts_total)
    return genesis


def slot_of(k: int, first_account: int, accounts: int, accounts_total: int) -> TxSlot:
    return TxSlot(k=k, sender=first_account + k % accounts, nonce=k // accounts,
                  accounts_total=accounts_total)


def sign_mix(chain_id: str, mix: Sequence[tuple[str, int]], count: int, first_account: int,
             accounts: int, accounts_total: int) -> SignedBatch:
    """`count` transactions of the mix from accounts [first_account, first_account + accounts)."""
    cycle = build_cycle(mix)
    senders_count = min(accounts, count) or 1
    txs, hashes, senders = [], [], []
    for k in range(count):
        slot = slot_of(k, first_account, senders_count, accounts_total)
        tx = COMPONENTS[cycle[k % len(cycle)]].sign(chain_id, slot)
        txs.append(tx)
        hashes.append(tx_hash(tx).hex())
        senders.append(slot.sender)
    return SignedBatch(txs=txs, hashes_hex=hashes, senders=senders)


class _Receipt(msgspec.Struct):
    ok: bool
    code: str


class _Decoded(msgspec.Struct):
    module: str


class _TxAnswer(msgspec.Struct):
    receipt: _Receipt
    decoded: _Decoded | None = None


@dataclass
class ModuleOutcome:
    read: int = 0
    ok: int = 0
    refused_codes: dict[str, int] = field(default_factory=dict)


def read_receipt_outcomes(api_url: str, hashes: Sequence[str], heights: Sequence[int]
                          ) -> dict[str, ModuleOutcome]:
    """Per module: receipts read, how many ok, and the refusal codes seen, over a seeded
    random sample of the committed transactions (height > 0). Random, not every n-th: a
    stride would alias with the mix's cycle and read one component only."""
    committed = [h for h, height in zip(hashes, heights, strict=True) if height > 0]
    sample = random.Random(0).sample(committed, min(RECEIPT_SAMPLE_MAX, len(committed)))
    outcomes: dict[str, ModuleOutcome] = {}
    with httpx.Client(base_url=api_url, timeout=10.0) as http:
        for hash_hex in sample:
            answer = msgspec.json.decode(http.get(f"/txs/{hash_hex}").content, type=_TxAnswer)
            row = outcomes.setdefault(answer.decoded.module if answer.decoded else "?",
                                      ModuleOutcome())
            row.read += 1
            if answer.receipt.ok:
                row.ok += 1
            else:
                code = answer.receipt.code
                row.refused_codes[code] = row.refused_codes.get(code, 0) + 1
    return outcomes


__all__ = [
    "COMPONENTS",
    "MixComponent",
    "ModuleOutcome",
    "TxSlot",
    "build_cycle",
    "extend_genesis",
    "parse_mix",
    "read_receipt_outcomes",
    "register_institution",
    "sign_mix",
]
