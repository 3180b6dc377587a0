"""The mempool: transactions admitted once, waiting for a block.

Rules kept:
- Admission runs once per transaction, cheapest refusal first: size (TooLarge), duplicate hash,
  capacity (MempoolFull naming the limit), decode + chain id + signature (chain.tx.verify_tx),
  action decoding (apps.registry), the sender's queue limit, the nonce, and finally the action
  itself on the sender's speculative state. After admission nothing re-checks the signature:
  `get(hash)` hands block validation the DecodedTx (verify each signature once).
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
  speculative state read a key that changed is re-executed against the new state: stale nonces
  and transactions that now fail are dropped (with every later one of that sender, whose
  nonces would leave a gap), and counted. Senders untouched by the block cost nothing.
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
from chainbook.apps.registry import decode_action
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
        """State key -> senders whose speculative state read it."""
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

    def add(self, tx_bytes: bytes) -> AddResult:
        """Admit a transaction, or raise the InvalidInput subclass that says why not."""
        try:
            return self._admit(tx_bytes)
        except InvalidInput as exc:
            self._refused[getattr(exc, "code", "decode_error")] += 1
            raise

    def _admit(self, tx_bytes: bytes) -> AddResult:
        self.verify_tx_size(len(tx_bytes))
        existing = self._by_hash.get(tx_hash(tx_bytes))
        if existing is not None:
            self._duplicates += 1
            return AddResult(existing.tx, duplicate=True)
        self.verify_capacity(len(tx_bytes))
        tx = verify_tx(self.chain_id, tx_bytes)
        action = decode_action(tx.action_bytes)
        queue = self._senders.get(tx.sender)
        self.verify_sender_capacity(queue)
        view = queue.view if queue is not None else TrackedView(self._state.kv)
        reads_before = len(view.reads)
        entry = _Entry(tx, action)
        self.process_speculative(view, entry)
        if queue is None:
            queue = self._senders[tx.sender] = _SenderQueue(deque(), view)
        queue.entries.append(entry)
        self._by_hash[tx.hash] = entry
        self._bytes += entry.size
        self._admitted += 1
        self._index_reads(tx.sender, itertools.islice(view.reads, reads_before, None))
        return AddResult(tx, duplicate=False)

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
        ctx = TxContext(
            chain_id=self.chain_id,
            height=self._state.height + 1,
            time_ms=self._state.time_ms,
            sender=tx.sender,
            nonce=tx.nonce,
            tx_hash=tx.hash,
        )
        process_action(view, ctx, entry.action)
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
        state read one of them; without it every sender's read set is compared to the state.
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
        if queue is None or not (force or queue.view.is_stale(self._state.kv)):
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
