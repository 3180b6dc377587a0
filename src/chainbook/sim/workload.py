"""The simulated clients: a seeded stream of signed transactions mixing every module's workload.

Rules kept:
- Each account is one client with a deterministic key (PrivateKey.from_label). Every module of
  the registry that declares a workload (apps/<module>, `Module.workload`) contributes its
  genesis section for these accounts (the bank funds them) and the actions they send; the
  module of each new transaction is drawn from the seeded rng, so a seed mixes them all.
- A client keeps at most `in_flight_max` transactions that are not yet committed, with
  consecutive nonces, as a real wallet does.
- A transaction not committed `resubmit_after_ms` after it was last submitted is submitted
  again, the same bytes, to another node: mempools are volatile (a crash loses them) and
  gossip is lossy, so a real client retries too. The same bytes can never commit twice (the
  ledger refuses a used nonce), which the no_lost_tx checker would notice.
- The workload learns commits from the agreed chain (`on_committed`), never from one node;
  each module's workload learns the outcome of its actions (`on_outcome`).
- A transaction a node refuses at admission because its action would fail there, or because
  its nonce was used already, will never commit from that submission, so the client
  re-synchronises (`on_refused`): it drops the refused transaction and renumbers the ones it
  still waits for from its committed nonce, as a wallet re-signs after a refusal. A copy
  still travelling may commit first; the renumbered one is then refused in turn, and the
  client converges on the chain. A nonce ahead of the node's (its earlier transactions have
  not reached that node yet) is not a refusal of the transaction: it is resubmitted later.
- Other signers (the validators, whose keys the governance driver holds: sim/governance.py)
  submit through `submit_as`, with the same nonces, in-flight bound and resubmission.
- Institutions (sim/institutions.py): the module workloads that act as registered institutions
  get a roster of simulated accounts that sign as them (`institutions`); the registry's
  workload registers those the plan keeps for the genesis (`register_at_genesis`).
- Outcomes are counted per action tag (`outcomes`: ok, failed in a block, refused at
  admission) with the refusal codes (`refusals`), for every transaction of the workload
  (validators' included); the transactions of an institution after the registry revoked it,
  and of a late institution before and after its registration (learnt from the agreed chain,
  `on_registry_change`), are counted apart too (`registry_outcomes`), so a test can see that
  the chain refused what the registry no longer allowed.
- A client's transaction is signed by the keys the module workloads that shape signing ask
  (apps/base.py SigningWorkload: the accounts module's policies; its own key without one), and pays
  the fee per byte the fee workload asks (FeeWorkload), the least fee that covers its size. The
  other signers (validators) pay no fee: they hold no coins.
- A transaction whose action needs co-signers (CosigningWorkload: a settlement swap) acts for
  the client's account and theirs, and each co-signer adds its own key (a co-signer whose
  account policy no longer lists that key makes it refused at admission, as a real wallet's
  would be).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from chainbook.apps.base import (
    CosigningWorkload,
    FeeWorkload,
    InstitutionWorkload,
    ModuleWorkload,
    RegistryWorkload,
    SigningWorkload,
    SimInstitution,
    get_action_tag,
)
from chainbook.apps.registry import Registry
from chainbook.chain.tx import fit_fee, sign_tx, sign_tx_by, tx_hash
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidInput, InvalidNonce
from chainbook.sim.institutions import build_roster
from chainbook.types import Address, Hash, Nonce, TimeMs

OUTCOMES = ("ok", "failed", "refused")
"""ok: committed with an ok receipt; failed: committed with a failed receipt (the nonce
advanced, nothing else changed); refused: refused at admission by a node (never committed
from that submission)."""
Outcomes = dict[str, dict[str, int]]
"""Action tag -> outcome (OUTCOMES) -> count."""


def count_outcome(outcomes: Outcomes, tag: str, outcome: str, count: int = 1) -> None:
    by_outcome = outcomes.setdefault(tag, dict.fromkeys(OUTCOMES, 0))
    by_outcome[outcome] += count


@dataclass(slots=True)
class PendingTx:
    nonce: Nonce
    tx: bytes
    hash: Hash
    submitted_ms: TimeMs
    module: str
    action: msgspec.Struct


class Client:
    __slots__ = ("key", "next_nonce", "pending")

    def __init__(self, key: PrivateKey) -> None:
        self.key = key
        self.next_nonce: Nonce = 0
        self.pending: list[PendingTx] = []
        """Submitted, not yet seen committed; nonces consecutive and increasing."""


def account_key(index: int) -> PrivateKey:
    return PrivateKey.from_label(f"sim-account-{index}")


class Workload:
    def __init__(
        self,
        chain_id: str,
        registry: Registry,
        accounts: int,
        in_flight_max: int,
        resubmit_after_ms: int,
    ) -> None:
        self.chain_id = chain_id
        self.clients = [Client(account_key(i)) for i in range(accounts)]
        self.addresses: list[Address] = [c.key.address for c in self.clients]
        self.addresses_set = frozenset(self.addresses)
        self.modules: dict[str, ModuleWorkload] = {
            m.name: m.workload() for m in registry.modules if m.workload is not None
        }
        self.acting = sorted(m.name for m in registry.modules if m.workload and m.actions)
        """Modules a new transaction is drawn from (a module without actions, such as the
        fees module, shapes the others' transactions but sends none of its own)."""
        self.signing = [w for w in self.modules.values() if isinstance(w, SigningWorkload)]
        """Module workloads that add signing keys to a client's transactions (accounts)."""
        self.cosigning = [w for w in self.modules.values() if isinstance(w, CosigningWorkload)]
        """Module workloads whose actions need co-signers (settlement swaps)."""
        self.keys_by_address = {c.key.address: c.key for c in self.clients}
        self.fee_per_byte = max(
            (w.fee_per_byte() for w in self.modules.values() if isinstance(w, FeeWorkload)),
            default=0,
        )
        self.in_flight_max = in_flight_max
        self.resubmit_after_ms = resubmit_after_ms
        self.by_hash: dict[Hash, tuple[Client, PendingTx]] = {}
        self.submitted = 0
        self.resubmitted = 0
        self.refused = 0
        self.committed = 0
        self.per_module: dict[str, int] = dict.fromkeys(self.modules, 0)
        self.signers: dict[bytes, Client] = {}
        """Clients of keys outside the simulated accounts (validators), by address."""
        self.institutions: list[SimInstitution] = build_roster(
            self.modules, [c.key for c in self.clients]
        )
        """The simulated institutions, each a simulated account (sim/institutions.py)."""
        for workload in self.modules.values():
            if isinstance(workload, InstitutionWorkload):
                workload.on_institutions(self.institutions)
        self.outcomes: Outcomes = {}
        self.refusals: dict[str, int] = {}
        """Refusal code -> count, failed receipts and admission refusals alike."""
        self.registry_outcomes: dict[str, Outcomes] = {}
        """"revoked" (an institution's transactions once its revocation took effect),
        "before_registration" and "after_registration" (the late institution's) -> outcomes."""
        self._revoked: set[Address] = set()
        self._unregistered: set[Address] = set()
        self._registered_late: set[Address] = set()

    def register_at_genesis(self, institutions: Sequence[SimInstitution]) -> None:
        """The institutions the genesis registers (the others of the roster are registered
        later by a proposal, or never): told to the registry's workload."""
        at_genesis = {entry.address for entry in institutions}
        self._unregistered = {e.address for e in self.institutions if e.address not in at_genesis}
        for workload in self.modules.values():
            if isinstance(workload, RegistryWorkload):
                workload.register_at_genesis(institutions)

    def on_registry_change(self, address: Address, registered: bool) -> None:
        """The agreed chain registered (True) or revoked (False) the institution of `address`
        at the height whose receipts come next."""
        if registered:
            self._unregistered.discard(address)
            self._registered_late.add(address)
        else:
            self._revoked.add(address)

    def genesis_sections(self) -> dict[str, Any]:
        """Each module's genesis section for the simulated accounts (where it has one)."""
        sections = {}
        for name, workload in self.modules.items():
            section = workload.genesis_section(self.addresses)
            if section is not None:
                sections[name] = section
        return sections

    def next_transaction(self, rng: random.Random, now_ms: TimeMs) -> bytes | None:
        """A stale transaction to submit again, else a new one, else None (all busy)."""
        client = rng.choice(self.clients)
        stale = self._stale(client, now_ms)
        if stale is not None:
            stale.submitted_ms = now_ms
            self.resubmitted += 1
            return stale.tx
        if len(client.pending) >= self.in_flight_max or not self.acting:
            return None
        name = rng.choice(self.acting)
        action = self.modules[name].next_action(rng, client.key.address, self.addresses)
        if action is None:
            return None
        return self._sign(client, name, action, now_ms)

    def submit_as(
        self, key: PrivateKey, module: str, action: msgspec.Struct, now_ms: TimeMs
    ) -> bytes | None:
        """A transaction of `key` (not a simulated account), or None while it has
        in_flight_max pending ones."""
        client = self.signers.setdefault(key.address, Client(key))
        if len(client.pending) >= self.in_flight_max:
            return None
        return self._sign(client, module, action, now_ms)

    def stale_of_signers(self, now_ms: TimeMs) -> list[bytes]:
        """The signers' transactions due for resubmission (their submission time is reset)."""
        stale = []
        for client in self.signers.values():
            pending = self._stale(client, now_ms)
            if pending is not None:
                pending.submitted_ms = now_ms
                self.resubmitted += 1
                stale.append(pending.tx)
        return stale

    def on_committed(self, tx_hash_: Hash, ok: bool, code: str = "") -> None:
        entry = self.by_hash.pop(tx_hash_, None)
        if entry is None:
            return
        client, pending = entry
        client.pending = [p for p in client.pending if p.hash != tx_hash_]
        self.committed += 1
        self._count(client.key.address, pending.action, "ok" if ok else "failed", code)
        self.per_module[pending.module] = self.per_module.get(pending.module, 0) + 1
        workload = self.modules.get(pending.module)
        if workload is not None and client.key.address in self.addresses_set:
            workload.on_outcome(client.key.address, pending.action, ok)

    def on_refused(
        self, tx_hash_: Hash, error: InvalidInput, chain_nonce: Callable[[Address], Nonce]
    ) -> tuple[Address, msgspec.Struct] | None:
        """A node refused this transaction at admission (see the module docstring); returns
        the signer and the action it dropped, when the action itself was refused (not when
        the nonce was used: the transaction, or one renumbered onto its nonce, committed)."""
        if isinstance(error, InvalidNonce) and error.got > error.expected:
            return None  # the node lacks this client's earlier transactions: resubmit later
        entry = self.by_hash.pop(tx_hash_, None)
        if entry is None:
            return None
        client, refused = entry
        self.refused += 1
        if not isinstance(error, InvalidNonce):
            code = getattr(error, "code", type(error).__name__)
            self._count(client.key.address, refused.action, "refused", code)
        first = chain_nonce(client.key.address)
        keep = sorted(
            (p for p in client.pending if p is not refused and p.nonce >= first),
            key=lambda p: p.nonce,
        )
        for pending in client.pending:
            if pending is not refused and pending not in keep:
                self.by_hash.pop(pending.hash, None)
        client.pending = []
        client.next_nonce = first
        for pending in keep:
            if pending.nonce == client.next_nonce:
                client.pending.append(pending)
                client.next_nonce += 1
                continue
            self.by_hash.pop(pending.hash, None)
            self._sign(client, pending.module, pending.action, -self.resubmit_after_ms)
        if isinstance(error, InvalidNonce):
            return None
        return client.key.address, refused.action

    def sign_for(self, client: Client, action: msgspec.Struct) -> bytes:
        """The client's next transaction: signed by the keys the signing workloads ask (an
        account policy's; the client's key alone without one), paying the fee per byte the
        fee workload asks."""
        keys: Sequence[PrivateKey] | None = None
        for workload in self.signing:
            keys = workload.signing_keys(client.key, client.next_nonce, action) or keys
        nonce = client.next_nonce
        fee_per_byte = self.fee_per_byte if client.key.address in self.addresses_set else 0
        cosigners = [a for w in self.cosigning for a in w.cosigners(client.key.address, action)]
        if keys is None and not cosigners:
            return fit_fee(
                lambda fee: sign_tx(client.key, self.chain_id, nonce, action, fee=fee),
                fee_per_byte,
            )
        chosen = list(keys or [client.key])
        chosen += [self.keys_by_address[a] for a in cosigners]
        accounts = [client.key.address, *cosigners]
        return fit_fee(
            lambda fee: sign_tx_by(
                chosen, self.chain_id, nonce, action, fee=fee, accounts=accounts
            ),
            fee_per_byte,
        )

    def _count(self, sender: Address, action: msgspec.Struct, outcome: str, code: str) -> None:
        tag = get_action_tag(type(action))
        count_outcome(self.outcomes, tag, outcome)
        if outcome != "ok":
            self.refusals[code] = self.refusals.get(code, 0) + 1
        phase = None
        if sender in self._revoked:
            phase = "revoked"
        elif sender in self._unregistered:
            phase = "before_registration"
        elif sender in self._registered_late:
            phase = "after_registration"
        if phase is not None:
            count_outcome(self.registry_outcomes.setdefault(phase, {}), tag, outcome)

    def _stale(self, client: Client, now_ms: TimeMs) -> PendingTx | None:
        for pending in client.pending:
            if now_ms - pending.submitted_ms >= self.resubmit_after_ms:
                return pending
        return None

    def _sign(self, client: Client, module: str, action: msgspec.Struct, now_ms: TimeMs) -> bytes:
        tx = self.sign_for(client, action)
        pending = PendingTx(client.next_nonce, tx, tx_hash(tx), now_ms, module, action)
        client.next_nonce += 1
        client.pending.append(pending)
        self.by_hash[pending.hash] = (client, pending)
        self.submitted += 1
        return tx


__all__ = ["OUTCOMES", "Outcomes", "Workload", "account_key", "count_outcome"]
