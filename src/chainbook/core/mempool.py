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
- reap: per-sender nonce order, round-robin across senders in order of arrival, within the
  block's count and byte limits. It does not remove anything (only a commit does).
- Bounds: txs_max, bytes_max, txs_per_sender_max, tx_bytes_max (chainbook.limits).
Pure: no clock, no IO; the node calls it from its event loop.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Collection, Iterable, Iterator

import msgspec

from chainbook import limits
from chainbook.apps.base import TxContext
from chainbook.chain.tx import DecodedTx, tx_hash, verify_tx
from chainbook.errors import InvalidInput, InvalidNonce, InvalidTransaction, MempoolFull, TooLarge
from chainbook.ledger.execute import process_action
from chainbook.ledger.state import LedgerState, TrackedView, get_nonce, process_nonce_increment
from chainbook.types import Address, Hash, Nonce


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


class _Entry:
    __slots__ = ("action", "size", "tx")

    def __init__(self, tx: DecodedTx, action: msgspec.Struct) -> None:
        self.tx = tx
        self.action = action
        """Decoded once at admission; re-execution after a commit reuses it."""
        self.size = len(tx.tx_bytes)


class _SenderQueue:
    __slots__ = ("entries", "view")

    def __init__(self, entries: deque[_Entry], view: TrackedView) -> None:
        self.entries = entries
        """Consecutive nonces, the first equal to the committed nonce."""
        self.view = view
        """Committed state + every entry applied in order; its reads are indexed."""


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
        self._bytes = 0
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
        view = queue.view if queue is not None else self._state.kv
        return get_nonce(view, sender)

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
        self.verify_capacity(size)
        tx = verified if verified is not None else verify_tx(self.chain_id, tx_bytes, hash_=hash_)
        entry = _Entry(tx, self._state.registry.decode_action(tx.action_bytes))
        sender = tx.sender
        queue = self._senders.get(sender)
        self.verify_sender_capacity(queue)
        view = queue.view if queue is not None else TrackedView(self._state.kv)
        guards_before = len(view.reads)
        try:
            self.process_speculative(view, entry)
        except InvalidTransaction:
            if not view.outdated:
                raise
            queue, view, guards_before = self._rebuild_and_retry(sender, entry)
        else:
            if view.outdated:
                queue, view, guards_before = self._rebuild_and_retry(sender, entry)
        if queue is None:
            queue = self._senders[sender] = _SenderQueue(deque(), view)
        queue.entries.append(entry)
        self._by_hash[hash_] = entry
        self._bytes += entry.size
        self._admitted += 1
        if len(view.reads) != guards_before:  # usually only a sender's first transaction
            self._index_reads(sender, itertools.islice(view.reads, guards_before, None))
        return AddResult(tx, duplicate=False)

    def _rebuild_and_retry(
        self, sender: Address, entry: _Entry
    ) -> tuple[_SenderQueue | None, TrackedView, int]:
        """The sender's view was outdated (a guard promoted from a changed update read, see
        TrackedView): rebuild it from the committed state, as a commit's re-check would
        (dropping pending transactions that now fail), then run `entry` once more on it."""
        self.process_sender_recheck(sender, set(), force=True)
        queue = self._senders.get(sender)
        view = queue.view if queue is not None else TrackedView(self._state.kv)
        guards_before = len(view.reads)
        self.process_speculative(view, entry)
        assert not view.outdated, "a view built on the current state cannot be outdated"
        return queue, view, guards_before

    def verify_tx_size(self, size: int) -> None:
        if size > self.tx_bytes_max:
            raise TooLarge("transaction", size=size, limit=self.tx_bytes_max)

    def verify_capacity(self, size: int) -> None:
        if len(self._by_hash) >= self.txs_max:
            raise MempoolFull(
                f"mempool full: {len(self._by_hash)} transactions, limit txs_max={self.txs_max}"
            )
        if self._bytes + size > self.bytes_max:
            raise MempoolFull(
                f"mempool full: {self._bytes} + {size} bytes, limit bytes_max={self.bytes_max}"
            )

    def verify_sender_capacity(self, queue: _SenderQueue | None) -> None:
        if queue is not None and len(queue.entries) >= self.txs_per_sender_max:
            raise MempoolFull(
                f"sender has {len(queue.entries)} pending transactions, "
                f"limit txs_per_sender_max={self.txs_per_sender_max}"
            )

    def process_speculative(self, view: TrackedView, entry: _Entry) -> None:
        """Apply one transaction to its sender's speculative state, or raise and leave the
        view unchanged: the nonce must be the next one, then the action must succeed."""
        tx = entry.tx
        expected = get_nonce(view, tx.sender)
        if tx.nonce != expected:
            raise InvalidNonce(expected=expected, got=tx.nonce)
        state = self._state
        # Positional: chain_id, height, time_ms, sender, nonce, tx_hash.
        ctx = TxContext(
            self.chain_id, state.height + 1, state.time_ms, tx.sender, tx.nonce, tx.hash
        )
        process_action(self._state.registry, view, ctx, entry.action)
        process_nonce_increment(view, tx.sender, tx.nonce)

    # --- proposing --------------------------------------------------------------------------

    def reap(self, txs_max: int, bytes_max: int) -> list[DecodedTx]:
        """Transactions for the next block: round-robin over senders, each in nonce order.

        A sender whose next transaction does not fit the remaining bytes stops there (its later
        nonces would be invalid without it); others continue.
        """
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
        committed = set(committed_hashes)
        if changed_keys is None or rebase:
            candidates: set[Address] = set(self._senders)
        else:
            candidates = {e.tx.sender for h in committed if (e := self._by_hash.get(h))}
            for key in changed_keys:
                candidates.update(self._readers.get(key, ()))
        for sender in sorted(candidates):  # sorted: the same order on every run
            self.process_sender_recheck(sender, committed, force=rebase)
        assert not any(h in self._by_hash for h in committed)

    def process_sender_recheck(self, sender: Address, committed: set[Hash], force: bool) -> None:
        queue = self._senders.get(sender)
        if queue is None:
            return
        if all(entry.tx.hash in committed for entry in queue.entries):
            # The usual case under load: the block took everything the sender had pending,
            # so there is nothing left to re-run, stale or not.
            self._unindex_reads(sender, queue.view.reads)
            for entry in queue.entries:
                self.process_forget(entry, committed)
            del self._senders[sender]
            return
        if not (force or queue.view.is_stale(self._state.kv)):
            return
        self._unindex_reads(sender, queue.view.reads)
        committed_nonce = get_nonce(self._state.kv, sender)
        entries = queue.entries
        while entries and entries[0].tx.nonce < committed_nonce:
            self.process_forget(entries.popleft(), committed)
        view = TrackedView(self._state.kv)
        kept: deque[_Entry] = deque()
        while entries:
            entry = entries.popleft()
            try:
                self.process_speculative(view, entry)
            except InvalidTransaction:
                self.process_forget(entry, committed)
                while entries:  # later nonces would leave a gap
                    self.process_forget(entries.popleft(), committed)
                break
            kept.append(entry)
        if not kept:
            del self._senders[sender]
            return
        queue.entries = kept
        queue.view = view
        self._index_reads(sender, view.reads)

    def process_forget(self, entry: _Entry, committed: set[Hash]) -> None:
        del self._by_hash[entry.tx.hash]
        self._bytes -= entry.size
        if entry.tx.hash in committed:
            self._removed_committed += 1
        else:
            self._dropped_invalid += 1

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
