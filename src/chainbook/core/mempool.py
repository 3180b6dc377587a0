"""The mempool: transactions admitted once, waiting for a block.

Rules kept:
- Admission runs once per transaction, cheapest refusal first: size (TooLarge), duplicate hash,
  capacity (MempoolFull naming the limit), decode + chain id + signature (chain.tx.verify_tx),
  action decoding (apps.registry), the sender's queue limit, the nonce, and finally the action
  itself on the sender's speculative state. After admission nothing re-checks the signature:
  `get(hash)` hands block validation the DecodedTx (verify each signature once). A caller that
  already ran verify_tx (the node does, in worker processes) passes its result as `verified`, and
  admission skips that step only.
- A duplicate (same hash already pending) is an explicit, counted no-op: `add` returns
  AddResult(duplicate=True) with the pending transaction. Gossip delivers every transaction
  from several peers; raising for that would be noise.
- Per sender, pending transactions have consecutive nonces starting at the committed nonce:
  a new one must carry committed nonce + number pending (InvalidNonce(expected, got)).
- Speculative state: each sender has a TrackedView over the committed state with its own
  pending transactions applied in order. A new transaction must succeed on it, so an overdraft
  is refused at admission even when it only appears after several pending transfers. Incoming
  transfers that are not yet committed are not counted (conservative: they might not land).
- After a commit (update_after_commit) committed transactions leave, and a sender whose
  speculative state read a *guard* key that changed is re-executed against the new state:
  stale nonces and transactions that now fail are dropped (with every later one of that
  sender, whose nonces would leave a gap), and counted. Senders untouched by the block cost
  nothing, and so do senders whose only changed reads were update reads.
- Guards (the re-check rule). A module reads a key with `get` when the value may decide the
  outcome, and with `get_to_update` when it only computes that same key's new value
  (apps/base.py; the bank's credit to a recipient). The nonce is read with `get`. Only
  guard reads are indexed and compared after a commit. Why that is sound: a pending
  transaction's outcome on its sender's speculative state is a function of the values its
  guards read (by the contract, an update read decides nothing), so if no guard value
  changed, re-running it would take the same decisions and succeed again; its nonce is a
  guard, so nonces are always exact. What may go stale is the view's own write of an
  update-read key (a recipient's balance), which no decision reads; a later `get` of such a
  key marks the view outdated (ledger/state.py TrackedView) and admission then rebuilds it
  from the committed state before deciding. So "a credit can never invalidate a pending
  payment" costs no re-check. Execution re-checks everything anyway: admission only keeps
  blocks free of transactions that would fail.
- Speculative admission runs exactly the ledger's steps for a transaction (ledger/execute.py):
  the nonce, the sender's authorization, the fee (at the minimum fee per byte the next block
  will apply, read from the committed state), the co-signers' authorization and the action.
  A transaction that would fail any of them is refused, so a sender who cannot pay its fee
  never enters, and a refused transaction changes nothing. When a commit changes the minimum
  fee every sender is re-checked, so no pending transaction falls below the minimum of the
  block it could go into.
- Fee per byte (`_Entry.rate`, the fee over the signed bytes, scaled to an integer) orders
  everything a full mempool or a block must choose between:
  * reap: repeatedly the sender whose next transaction pays the most per byte; at equal fee per
    byte, round-robin across senders in order of arrival (the sender that has given the fewest
    transactions to this block goes first). Each sender stays in nonce order. So a flood from
    one account at the minimum fee takes its turn with everyone else paying the minimum, and
    it holds at most txs_per_sender_max places in the pool.
  * when full (txs_max or bytes_max), a newcomer paying strictly more per byte than the
    cheapest pending transaction that is the last of its sender's queue evicts it (and as many
    more as it needs room for, cheapest first); otherwise it is refused (MempoolFull naming the
    fee per byte it would have to beat). Only last transactions are evicted, so no sender's
    queue is left with a nonce gap; the newcomer's own sender is never evicted for it. An
    evicted sender's speculative state is rebuilt from the committed state before it next
    decides anything (`_SenderQueue.view_outdated`).
- reap does not remove anything (only a commit or an eviction does).
- Bounds: txs_max, bytes_max, txs_per_sender_max, tx_bytes_max (chainbook.limits); the heap of
  eviction candidates is compacted when it outgrows twice the pending transactions.
Pure: no clock, no IO; the node calls it from its event loop.

One file (past 550 lines) because admission, eviction, reap and the re-check after a commit
all keep the same invariants over the same sender queues (consecutive nonces from the
committed one, a speculative view per sender whose guards are indexed); split apart, each
part would reach into the others' state.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter, deque
from collections.abc import Collection, Iterable, Iterator

import msgspec

from chainbook import limits
from chainbook.chain.tx import DecodedTx, decode_tx, tx_hash, verify_tx
from chainbook.errors import InvalidInput, InvalidNonce, InvalidTransaction, MempoolFull, TooLarge
from chainbook.ledger.authorization import Authorizer
from chainbook.ledger.execute import (
    get_min_fee_per_byte,
    make_tx_context,
    process_action,
    process_fee,
)
from chainbook.ledger.state import LedgerState, TrackedView, get_nonce, process_nonce_increment
from chainbook.types import Address, Amount, Hash, Nonce

RATE_SCALE_BITS = 32
"""Fee per byte is kept as (fee << RATE_SCALE_BITS) // bytes: an exact integer order (no floats)
fine enough to tell apart fees that differ by one unit on the largest transaction."""
EVICTION_HEAP_SLACK = 1_024


def compute_rate(fee: Amount, size: int) -> int:
    """The fee per byte of a transaction, scaled (RATE_SCALE_BITS)."""
    return (fee << RATE_SCALE_BITS) // size


def format_rate(rate: int) -> str:
    """A scaled fee per byte for people (the refusal message)."""
    return f"{rate / (1 << RATE_SCALE_BITS):.4f}"


class AddResult(msgspec.Struct, frozen=True):
    tx: DecodedTx
    duplicate: bool
    """True when the transaction was already pending (nothing changed)."""


class MempoolStats(msgspec.Struct, frozen=True):
    txs: int
    bytes: int
    senders: int
    admitted: int
    duplicates: int
    removed_committed: int
    dropped_invalid: int
    """Dropped after a commit: stale nonce or the action now fails."""
    refused: dict[str, int]
    """Refusals at admission by error code."""
    evicted: int = 0
    """Pending transactions pushed out of a full mempool by better-paying ones."""


class _Entry:
    __slots__ = ("action", "rate", "size", "tx")

    def __init__(self, tx: DecodedTx, action: msgspec.Struct) -> None:
        self.tx = tx
        self.action = action
        """Decoded once at admission; re-execution after a commit reuses it."""
        self.size = len(tx.tx_bytes)
        self.rate = (tx.fee << RATE_SCALE_BITS) // self.size  # compute_rate, inlined
        """Fee per byte, scaled (compute_rate)."""


class _SpeculativeView:
    """A sender's speculative state and the authorization checks over it (built together:
    an Authorizer per view, not per transaction)."""

    __slots__ = ("authorizer", "view")

    def __init__(self, state: LedgerState) -> None:
        self.view = TrackedView(state.kv)
        self.authorizer = Authorizer(state.registry, self.view)


class _SenderQueue:
    __slots__ = ("entries", "speculative", "view_outdated")

    def __init__(self, entries: deque[_Entry], speculative: _SpeculativeView) -> None:
        self.entries = entries
        """Consecutive nonces, the first equal to the committed nonce."""
        self.speculative = speculative
        """Committed state + every entry applied in order (its view's reads are indexed)."""
        self.view_outdated = False
        """True after an eviction took entries off the end: the view still has their effects
        and must be rebuilt from the committed state before it decides anything."""


class Mempool:
    def __init__(
        self,
        chain_id: str,
        state: LedgerState,
        *,
        txs_max: int = limits.mempool_txs_max,
        bytes_max: int = limits.mempool_bytes_max,
        txs_per_sender_max: int = limits.mempool_txs_per_sender_max,
        tx_bytes_max: int = limits.tx_bytes_max,
    ) -> None:
        self.chain_id = chain_id
        self.txs_max = txs_max
        self.bytes_max = bytes_max
        self.txs_per_sender_max = txs_per_sender_max
        self.tx_bytes_max = tx_bytes_max
        self._state = state
        self._by_hash: dict[Hash, _Entry] = {}
        self._senders: dict[Address, _SenderQueue] = {}
        """In order of arrival of each sender's oldest pending transaction (reap fairness)."""
        self._readers: dict[bytes, set[Address]] = {}
        """Guard key -> senders whose speculative state read it as a guard (TrackedView.reads)."""
        self._tails: list[tuple[int, int, _Entry]] | None = None
        """Eviction candidates: a min-heap of (rate, -arrival, entry), pushed whenever an
        entry becomes the last of its sender's queue; an item whose entry is no longer that
        (committed, dropped, evicted, or followed by a newer one) is skipped when popped.
        Kept only while the pool is near full (None otherwise): built from the queues when
        the pool first needs room, dropped once a commit leaves it half empty."""
        self._rates: dict[int, int] = {}
        """Pending transactions by fee per byte: one rate only (every fee 0, or all at the
        minimum) lets reap take its round-robin fast path."""
        self._arrivals = itertools.count()
        self._outdated: set[Address] = set()
        """Senders whose view an eviction left outdated (re-checked at the next commit)."""
        self._min_fee_per_byte: Amount = get_min_fee_per_byte(
            state.registry, state.kv, state.height + 1
        )
        """The minimum of the next block, read from the committed state (as execution does)."""
        self._bytes = 0
        self._evicted = 0
        self._admitted = 0
        self._duplicates = 0
        self._removed_committed = 0
        self._dropped_invalid = 0
        self._refused: Counter[str] = Counter()

    # --- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, tx_hash_: object) -> bool:
        return tx_hash_ in self._by_hash

    def contains_hash(self, tx_hash_: Hash, /) -> bool:
        """True when a transaction with this hash is pending: a caller may skip verifying a
        duplicate (add would only count it)."""
        return tx_hash_ in self._by_hash

    def get(self, tx_hash_: Hash, /) -> DecodedTx | None:
        entry = self._by_hash.get(tx_hash_)
        return None if entry is None else entry.tx

    def get_pending_nonce(self, sender: Address) -> Nonce:
        """The nonce the sender's next transaction must carry (committed + pending)."""
        queue = self._senders.get(sender)
        if queue is None:
            return get_nonce(self._state.kv, sender)
        return get_nonce(self._state.kv, sender) + len(queue.entries)

    @property
    def min_fee_per_byte(self) -> Amount:
        """The minimum fee per byte a transaction admitted now must pay."""
        return self._min_fee_per_byte

    def stats(self) -> MempoolStats:
        return MempoolStats(
            txs=len(self._by_hash),
            bytes=self._bytes,
            senders=len(self._senders),
            admitted=self._admitted,
            duplicates=self._duplicates,
            removed_committed=self._removed_committed,
            dropped_invalid=self._dropped_invalid,
            refused=dict(sorted(self._refused.items())),
            evicted=self._evicted,
        )

    # --- admission --------------------------------------------------------------------------

    def add(self, tx_bytes: bytes, verified: DecodedTx | None = None) -> AddResult:
        """Admit a transaction, or raise the InvalidInput subclass that says why not.

        `verified`, when given, must be the DecodedTx that chain.tx.verify_tx(self.chain_id,
        tx_bytes) returned: decoding, the chain id and the signature are then taken as checked
        (the node verifies signatures in worker processes, off its event loop). Everything else
        (size, duplicate, capacity, action, sender limit, nonce, speculative run) is checked
        as usual. Passing anything else is a bug in the caller, not bad input.
        """
        try:
            return self._admit(tx_bytes, verified)
        except InvalidInput as exc:
            self._refused[getattr(exc, "code", "decode_error")] += 1
            raise

    def _admit(self, tx_bytes: bytes, verified: DecodedTx | None) -> AddResult:
        size = len(tx_bytes)
        self.verify_tx_size(size)
        if verified is None:
            hash_ = tx_hash(tx_bytes)
        else:
            assert verified.tx_bytes is tx_bytes or verified.tx_bytes == tx_bytes
            assert verified.chain_id == self.chain_id, (verified.chain_id, self.chain_id)
            hash_ = verified.hash
        existing = self._by_hash.get(hash_)
        if existing is not None:
            self._duplicates += 1
            return AddResult(existing.tx, duplicate=True)
        if verified is None:  # the cheap refusals before the signature checks
            decoded = decode_tx(tx_bytes, hash_=hash_)
            self.plan_room(size, compute_rate(decoded.fee, size), decoded.sender)
        tx = verified if verified is not None else verify_tx(self.chain_id, tx_bytes, hash_=hash_)
        entry = _Entry(tx, self._state.registry.decode_action(tx.action_bytes))
        sender = tx.sender
        queue = self._senders.get(sender)
        self.verify_sender_capacity(queue)
        victims = (
            self.plan_room(size, entry.rate, sender)
            if len(self._by_hash) >= self.txs_max or self._bytes + size > self.bytes_max
            else ()  # not full (is_full_for, inlined: every admission asks)
        )
        if queue is not None and queue.view_outdated:
            self.process_sender_recheck(sender, set(), force=True)
            queue = self._senders.get(sender)
        speculative = queue.speculative if queue is not None else _SpeculativeView(self._state)
        view = speculative.view
        guards_before = len(view.reads)
        try:
            self.process_speculative(speculative, entry)
        except InvalidTransaction:
            if not view.outdated:
                raise
            queue, speculative, guards_before = self._rebuild_and_retry(sender, entry)
        else:
            if view.outdated:
                queue, speculative, guards_before = self._rebuild_and_retry(sender, entry)
        view = speculative.view
        for victim in victims:
            self.process_evict(victim)
        if queue is None:
            queue = self._senders[sender] = _SenderQueue(deque(), speculative)
        queue.entries.append(entry)
        if self._tails is not None:  # near full: keep the eviction candidates
            self._push_tail(entry)
        rates = self._rates
        rates[entry.rate] = rates.get(entry.rate, 0) + 1
        self._by_hash[hash_] = entry
        self._bytes += entry.size
        self._admitted += 1
        if len(view.reads) != guards_before:  # usually only a sender's first transaction
            self._index_reads(sender, itertools.islice(view.reads, guards_before, None))
        return AddResult(tx, duplicate=False)

    def _rebuild_and_retry(
        self, sender: Address, entry: _Entry
    ) -> tuple[_SenderQueue | None, _SpeculativeView, int]:
        """The sender's view was outdated (a guard promoted from a changed update read, see
        TrackedView): rebuild it from the committed state, as a commit's re-check would
        (dropping pending transactions that now fail), then run `entry` once more on it."""
        self.process_sender_recheck(sender, set(), force=True)
        queue = self._senders.get(sender)
        speculative = queue.speculative if queue is not None else _SpeculativeView(self._state)
        guards_before = len(speculative.view.reads)
        self.process_speculative(speculative, entry)
        assert not speculative.view.outdated, "a view built on the current state is current"
        return queue, speculative, guards_before

    def verify_tx_size(self, size: int) -> None:
        if size > self.tx_bytes_max:
            raise TooLarge("transaction", size=size, limit=self.tx_bytes_max)

    def is_full_for(self, size: int, txs_freed: int = 0, bytes_freed: int = 0) -> bool:
        return (
            len(self._by_hash) - txs_freed >= self.txs_max
            or self._bytes - bytes_freed + size > self.bytes_max
        )

    def plan_room(self, size: int, rate: int, sender: Address) -> list[_Entry]:
        """The pending transactions to evict to make room for one of `size` bytes paying
        `rate` (empty when it fits), or MempoolFull naming the fee per byte to beat.

        Nothing is evicted here (the newcomer may still be refused); the candidates popped
        are pushed back, and the victims' predecessors pushed as the tails they will be.
        """
        if not self.is_full_for(size):
            return []
        if self._tails is None:
            self._tails = [
                (q.entries[-1].rate, -next(self._arrivals), q.entries[-1])
                for q in self._senders.values()
                if q.entries
            ]
            heapq.heapify(self._tails)
        tails = self._tails
        victims: list[_Entry] = []
        taken: Counter[Address] = Counter()
        popped: list[tuple[int, int, _Entry]] = []
        freed_bytes = 0
        try:
            while self.is_full_for(size, len(victims), freed_bytes):
                item = self._pop_tail(taken, sender, popped)
                if item is None or item[0] >= rate:
                    raise self._full_error(size, rate, None if item is None else item[0])
                victim = item[2]
                victims.append(victim)
                freed_bytes += victim.size
                owner = victim.tx.sender
                taken[owner] += 1
                entries = self._senders[owner].entries
                if len(entries) > taken[owner]:
                    self._push_tail(entries[-1 - taken[owner]])
        finally:
            for item in popped:
                heapq.heappush(tails, item)
        return victims

    def _pop_tail(
        self, taken: Counter[Address], exclude: Address, popped: list[tuple[int, int, _Entry]]
    ) -> tuple[int, int, _Entry] | None:
        """The cheapest item that is the last entry of its sender's queue once `taken` of its
        entries are off the end, other than `exclude`'s; items that can never be that again
        are dropped for good, the others kept in `popped` (pushed back by the caller)."""
        tails = self._tails
        assert tails is not None
        while tails:
            item = heapq.heappop(tails)
            entry = item[2]
            owner = entry.tx.sender
            queue = self._senders.get(owner)
            if queue is None or self._by_hash.get(entry.tx.hash) is not entry:
                continue  # committed, dropped or evicted: gone for good
            position = len(queue.entries) - 1 - taken[owner]
            if position < 0 or queue.entries[position] is not entry:
                continue  # not the last one: it is pushed again when it becomes the last
            popped.append(item)
            if owner == exclude:
                continue
            return item
        return None

    def _full_error(self, size: int, rate: int, cheapest: int | None) -> MempoolFull:
        where = (
            f"{len(self._by_hash)} transactions and {self._bytes} bytes pending "
            f"(limits txs_max={self.txs_max}, bytes_max={self.bytes_max})"
        )
        if cheapest is None:
            return MempoolFull(f"mempool full: {where}; nothing can be evicted for this sender")
        return MempoolFull(
            f"mempool full: {where}; a transaction of {size} bytes must pay more than "
            f"{format_rate(cheapest)} per byte to take the place of the cheapest one "
            f"(this one pays {format_rate(rate)})"
        )

    def process_evict(self, entry: _Entry) -> None:
        """Take `entry` (the last of its sender's queue) out of a full mempool."""
        owner = entry.tx.sender
        queue = self._senders[owner]
        assert queue.entries[-1] is entry, "only the last transaction of a sender is evicted"
        queue.entries.pop()
        del self._by_hash[entry.tx.hash]
        self._forget_rate(entry.rate)
        self._bytes -= entry.size
        self._evicted += 1
        if not queue.entries:
            self._unindex_reads(owner, queue.speculative.view.reads)
            del self._senders[owner]
            return
        queue.view_outdated = True
        self._outdated.add(owner)

    def _push_tail(self, entry: _Entry) -> None:
        if self._tails is None:
            return  # not near full: nothing to evict, nothing to keep
        heapq.heappush(self._tails, (entry.rate, -next(self._arrivals), entry))
        if len(self._tails) > 2 * len(self._by_hash) + EVICTION_HEAP_SLACK:
            self._tails = [
                (q.entries[-1].rate, -next(self._arrivals), q.entries[-1])
                for q in self._senders.values()
                if q.entries
            ]
            heapq.heapify(self._tails)

    def verify_sender_capacity(self, queue: _SenderQueue | None) -> None:
        if queue is not None and len(queue.entries) >= self.txs_per_sender_max:
            raise MempoolFull(
                f"sender has {len(queue.entries)} pending transactions, "
                f"limit txs_per_sender_max={self.txs_per_sender_max}"
            )

    def process_speculative(self, speculative: _SpeculativeView, entry: _Entry) -> None:
        """Apply one transaction to its sender's speculative state, or raise and leave the
        view unchanged: the ledger's steps (ledger/execute.py process_tx) in its order."""
        tx = entry.tx
        view = speculative.view
        expected = get_nonce(view, tx.sender)
        if tx.nonce != expected:
            raise InvalidNonce(expected=expected, got=tx.nonce)
        state = self._state
        registry = state.registry
        authorizer = speculative.authorizer
        authorizer.verify_sender(tx)
        ctx = make_tx_context(self.chain_id, state.height + 1, state.time_ms, tx.nonce, tx)
        writes: dict[bytes, bytes | None] | None = None
        if tx.fee or self._min_fee_per_byte:
            writes = {}
            process_fee(registry, view, ctx, tx, self._min_fee_per_byte, writes)
        authorizer.note_action(entry.action)
        if len(tx.accounts) > 1:
            authorizer.verify_cosigners(tx)
        process_action(registry, view, ctx, entry.action, writes)
        process_nonce_increment(view, tx.sender, tx.nonce)

    # --- proposing --------------------------------------------------------------------------

    def reap(self, txs_max: int, bytes_max: int) -> list[DecodedTx]:
        """Transactions for the next block: the best fee per byte first, round-robin over
        senders at equal fee per byte, each sender in nonce order (the module docstring).

        A sender whose next transaction does not fit the remaining bytes stops there (its later
        nonces would be invalid without it); others continue.
        """
        if len(self._rates) <= 1:
            return self._reap_round_robin(txs_max, bytes_max)
        return self._reap_by_rate(txs_max, bytes_max)

    def _reap_by_rate(self, txs_max: int, bytes_max: int) -> list[DecodedTx]:
        reaped: list[DecodedTx] = []
        size = 0
        # (-rate of the sender's next entry, entries it gave this block, arrival, next entry,
        # the rest): the arrival index is unique, so entries and iterators are never compared.
        heap: list[tuple[int, int, int, _Entry, Iterator[_Entry]]] = []
        for arrival, queue in enumerate(self._senders.values()):
            entries = iter(queue.entries)
            first = next(entries, None)
            if first is not None:
                heap.append((-first.rate, 0, arrival, first, entries))
        heapq.heapify(heap)
        while heap and len(reaped) < txs_max:
            _, turns, arrival, entry, entries = heapq.heappop(heap)
            if size + entry.size > bytes_max:
                continue
            reaped.append(entry.tx)
            size += entry.size
            following = next(entries, None)
            if following is not None:
                heapq.heappush(heap, (-following.rate, turns + 1, arrival, following, entries))
        return reaped

    def _reap_round_robin(self, txs_max: int, bytes_max: int) -> list[DecodedTx]:
        """reap when every pending transaction pays the same per byte: the heap's order is
        then round-robin in order of arrival, which this gives without a heap."""
        reaped: list[DecodedTx] = []
        size = 0
        queues: list[Iterator[_Entry]] = [iter(q.entries) for q in self._senders.values()]
        while queues and len(reaped) < txs_max:
            still: list[Iterator[_Entry]] = []
            for queue in queues:
                if len(reaped) >= txs_max:
                    break
                entry = next(queue, None)
                if entry is None or size + entry.size > bytes_max:
                    continue
                reaped.append(entry.tx)
                size += entry.size
                still.append(queue)
            queues = still
        return reaped

    # --- after a commit ---------------------------------------------------------------------

    def update_after_commit(
        self,
        committed_hashes: Iterable[Hash],
        state: LedgerState,
        changed_keys: Collection[bytes] | None = None,
    ) -> None:
        """Forget committed transactions and re-check the rest against the new `state`.

        `changed_keys` (BlockResult.changes) limits the re-check to senders whose speculative
        state read one of them as a guard; without it every sender's guard reads are compared
        to the state.
        """
        rebase = state.kv is not self._state.kv
        self._state = state
        min_fee_per_byte = get_min_fee_per_byte(state.registry, state.kv, state.height + 1)
        if min_fee_per_byte != self._min_fee_per_byte:
            self._min_fee_per_byte = min_fee_per_byte
            rebase = True  # every pending fee is judged again against the new minimum
        committed = set(committed_hashes)
        if changed_keys is None or rebase:
            candidates: set[Address] = set(self._senders)
        else:
            candidates = {e.tx.sender for h in committed if (e := self._by_hash.get(h))}
            for key in changed_keys:
                candidates.update(self._readers.get(key, ()))
            candidates.update(self._outdated)
        for sender in sorted(candidates):  # sorted: the same order on every run
            self.process_sender_recheck(sender, committed, force=rebase)
        assert not any(h in self._by_hash for h in committed)
        if 2 * len(self._by_hash) < self.txs_max and 2 * self._bytes < self.bytes_max:
            self._tails = None

    def process_sender_recheck(self, sender: Address, committed: set[Hash], force: bool) -> None:
        queue = self._senders.get(sender)
        if queue is None:
            return
        if all(entry.tx.hash in committed for entry in queue.entries):
            # The usual case under load: the block took everything the sender had pending,
            # so there is nothing left to re-run, stale or not.
            self._unindex_reads(sender, queue.speculative.view.reads)
            for entry in queue.entries:
                self.process_forget(entry, committed)
            del self._senders[sender]
            self._outdated.discard(sender)
            return
        if not (force or queue.view_outdated or queue.speculative.view.is_stale(self._state.kv)):
            return
        self._unindex_reads(sender, queue.speculative.view.reads)
        committed_nonce = get_nonce(self._state.kv, sender)
        entries = queue.entries
        last_before = entries[-1]
        while entries and entries[0].tx.nonce < committed_nonce:
            self.process_forget(entries.popleft(), committed)
        speculative = _SpeculativeView(self._state)
        view = speculative.view
        kept: deque[_Entry] = deque()
        while entries:
            entry = entries.popleft()
            try:
                self.process_speculative(speculative, entry)
            except InvalidTransaction:
                self.process_forget(entry, committed)
                while entries:  # later nonces would leave a gap
                    self.process_forget(entries.popleft(), committed)
                break
            kept.append(entry)
        if not kept:
            del self._senders[sender]
            self._outdated.discard(sender)
            return
        if kept[-1] is not last_before:
            self._push_tail(kept[-1])
        queue.entries = kept
        queue.speculative = speculative
        queue.view_outdated = False
        self._outdated.discard(sender)
        self._index_reads(sender, view.reads)

    def process_forget(self, entry: _Entry, committed: set[Hash]) -> None:
        del self._by_hash[entry.tx.hash]
        self._forget_rate(entry.rate)
        self._bytes -= entry.size
        if entry.tx.hash in committed:
            self._removed_committed += 1
        else:
            self._dropped_invalid += 1

    def _forget_rate(self, rate: int) -> None:
        rates = self._rates
        rates[rate] -= 1
        if not rates[rate]:
            del rates[rate]

    def _index_reads(self, sender: Address, keys: Iterable[bytes]) -> None:
        for key in keys:
            readers = self._readers.get(key)
            if readers is None:
                self._readers[key] = {sender}
            else:
                readers.add(sender)

    def _unindex_reads(self, sender: Address, keys: Iterable[bytes]) -> None:
        for key in keys:
            readers = self._readers.get(key)
            if readers is not None:
                readers.discard(sender)
                if not readers:
                    del self._readers[key]


__all__ = ["AddResult", "Mempool", "MempoolStats"]
