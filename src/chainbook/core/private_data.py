"""Private data between member nodes: what a node sends, accepts, stores, fetches and purges.

The content of a `private.record` never enters a transaction or the replicated state; member
nodes keep it in a side store (storage/private_store.py) that the driver writes on this
core's outputs. The on-chain part (collections, members, salted hashes) is apps/private.

Rules kept:
- A node is a member node of a collection iff its node id (the Ed25519 key its TLS
  certificate binds) is one of the registered keys of an active member institution
  (query private.member_node, on the committed state). Every decision below asks it fresh,
  so a member removed, or an institution revoked, stops receiving at the next block.
- Content goes only to member nodes: a push is sent only to connected peers that are member
  nodes, and a pull is answered only to a member node. Gossip is one hop: a node never
  relays a content it received.
- A node accepts a content only if it is itself a member node, the sender is a member node,
  the sizes are within limits (checked by the wire decoder already), and SHA-256(salt ||
  content) equals the record's hash on chain. Before the record commits (a push at
  submission usually arrives ahead of its block) the content waits, keyed by (collection,
  record, its own hash): at most pending_records_max contents, pending_bytes_max bytes, for
  pending_heights_max heights; when the record commits, the waiting content with the
  committed hash is stored, the others for that record are dropped.
- A member node that sees a record commit without holding its content fetches it: a pull
  to a connected member node every pull_interval_ms, the next member each time, at most
  pull_attempts_max attempts, at most missing_records_max records tracked, pulls_per_tick_max
  pulls per tick. A content whose purge height is reached is neither stored nor fetched.
- Purge: a record's content is stored with its purge height (record height + the
  collection's purge_after_blocks, or 0: never); after each block the core asks the store to
  delete what is due (PurgePrivateData), only when the store says something is.
- Every drop is a counted no-op (`counters`, private_* names), never a silent return. A push
  that does not match the chain is not a provable fault of the sender (two clients may
  race for one record id; only one hash commits), so it is counted, not banned.

What it does not do (docs/APPS.md "private"): a node that becomes a member receives the
records recorded from then on, not the earlier ones; a content pushed ahead of its block and
lost in a crash of the receiver before that block is fetched again only if the node sees the
block commit after it restarts (a block applied while the node was down and replayed from its
own book at start is not re-examined).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from chainbook import codec
from chainbook.apps.private import limits
from chainbook.apps.private.actions import Record
from chainbook.apps.private.content import compute_record_hash, describe_content_refusal
from chainbook.apps.private.queries import (
    MemberNodeRequest,
    MemberNodeView,
    RecordRequest,
    RecordView,
)
from chainbook.core.inputs import PeerId
from chainbook.core.outputs import BlockRecord, LogEvent, Output, Send
from chainbook.core.private_wire import (
    PrivatePull,
    PrivatePush,
    PrivateSubmitted,
    PurgePrivateData,
    SavePrivateData,
)
from chainbook.errors import InvalidInput
from chainbook.ledger.queries import run_query
from chainbook.ledger.state import LedgerState
from chainbook.types import Hash, Height, TimeMs

MODULE = "private"


class PrivateDataRefused(InvalidInput):
    """A content this node's API will not take; `code` says why (the API's error code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class StoredContent:
    """A content as the side store holds it."""

    collection: str
    record: str
    hash: Hash
    salt: bytes
    content: bytes
    height: Height
    purge_at_height: Height


class PrivateStoreReader(Protocol):
    """What the core reads of the side store (the driver writes it on the core's outputs)."""

    def get(self, collection: str, record: str) -> StoredContent | None: ...

    def earliest_purge_at_height(self) -> Height | None:
        """The smallest non-zero purge height of a stored content, or None."""
        ...


class _NoStore:
    """The store of a node that keeps no private data (the simulator): holds nothing."""

    def get(self, collection: str, record: str) -> StoredContent | None:
        return None

    def earliest_purge_at_height(self) -> Height | None:
        return None


@dataclass(slots=True)
class _Pending:
    salt: bytes
    content: bytes
    received_height: Height


@dataclass(slots=True)
class _Missing:
    hash: Hash
    height: Height
    purge_at_height: Height
    attempts: int
    due_ms: TimeMs


class PrivateData:
    """One node's private-data decisions (held by NodeCore as `core.private`)."""

    def __init__(self, node_id: PeerId) -> None:
        self.node_id = node_id
        self.store: PrivateStoreReader = _NoStore()
        """Set by a driver that keeps a side store (runtime/node.py)."""
        self.counters: Counter[str] = Counter()
        self._pending: dict[tuple[str, str, Hash], _Pending] = {}
        self._pending_bytes = 0
        self._missing: dict[tuple[str, str], _Missing] = {}

    # ------------------------------------------------------------------ answers

    def is_member_node(self, state: LedgerState, collection: str, node_id: PeerId) -> bool:
        if state.registry.get_module(MODULE) is None or len(node_id) != 32:
            return False
        answer: MemberNodeView = run_query(
            state, MODULE, "member_node", MemberNodeRequest(collection, node_id)
        )
        return answer.member

    def get_record(self, state: LedgerState, collection: str, record: str) -> RecordView | None:
        if state.registry.get_module(MODULE) is None:
            return None
        view: RecordView = run_query(state, MODULE, "recorded", RecordRequest(collection, record))
        return view if view.found else None

    def member_peers(
        self, state: LedgerState, collection: str, peers: Iterable[PeerId]
    ) -> list[PeerId]:
        """The connected peers that are member nodes of `collection`, sorted (never itself)."""
        return sorted(
            p for p in peers if p != self.node_id and self.is_member_node(state, collection, p)
        )

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    @property
    def missing_count(self) -> int:
        return len(self._missing)

    # ------------------------------------------------------------------ a local client

    def verify_local_submission(
        self, state: LedgerState, action: object, salt: bytes, content: bytes
    ) -> Record:
        """Refuse (PrivateDataRefused) a content this node's API should not take: the signed
        action is not a private.record, sizes, hash, this node not a member, no room."""
        if not isinstance(action, Record):
            raise PrivateDataRefused(
                "invalid_request", "the transaction's action is not a private.record"
            )
        refusal = describe_content_refusal(salt, content)
        if refusal is not None:
            raise PrivateDataRefused("invalid_content", refusal)
        digest = compute_record_hash(salt, content)
        if digest != action.hash:
            raise PrivateDataRefused(
                "hash_mismatch",
                f"SHA-256(salt || content) is {digest.hex()}, the transaction records "
                f"{action.hash.hex()}",
            )
        if not self.is_member_node(state, action.collection, self.node_id):
            raise PrivateDataRefused(
                "not_a_member_node",
                f"this node ({self.node_id.hex()}) is not a node of a member of collection "
                f"{action.collection!r}: send the content to your own organisation's node",
            )
        if not self._has_room(len(content)):
            raise PrivateDataRefused(
                "pending_full",
                f"{len(self._pending)} contents ({self._pending_bytes} bytes) wait for their "
                f"blocks, at most {limits.pending_records_max} ({limits.pending_bytes_max} "
                "bytes); retry later",
            )
        return action

    def on_local_submission(
        self, submitted: PrivateSubmitted, state: LedgerState, peers: Iterable[PeerId]
    ) -> list[Output]:
        """Hold (or store) the content and push it to the connected member nodes."""
        message = PrivatePush(submitted.collection, submitted.record, submitted.salt,
                              submitted.content)
        outputs = self._accept(message, state, "local")
        payload = codec.encode(message)
        for peer in self.member_peers(state, submitted.collection, peers):
            self.counters["private_push_sent"] += 1
            outputs.append(Send(peer, payload))
        return outputs

    # ------------------------------------------------------------------ peers

    def on_message(
        self,
        peer: PeerId,
        message: PrivatePush | PrivatePull,
        state: LedgerState,
        peers: Iterable[PeerId],
    ) -> list[Output]:
        match message:
            case PrivatePush():
                return self._on_push(peer, message, state)
            case PrivatePull():
                return self._on_pull(peer, message, state)

    def _on_push(self, peer: PeerId, message: PrivatePush, state: LedgerState) -> list[Output]:
        self.counters["private_push_received"] += 1
        if not self.is_member_node(state, message.collection, self.node_id):
            self.counters["private_push_refused_not_member"] += 1
            return []
        if not self.is_member_node(state, message.collection, peer):
            self.counters["private_push_refused_sender_not_member"] += 1
            return []
        return self._accept(message, state, "peer")

    def _on_pull(self, peer: PeerId, message: PrivatePull, state: LedgerState) -> list[Output]:
        self.counters["private_pull_received"] += 1
        if not self.is_member_node(state, message.collection, peer):
            self.counters["private_pull_refused_not_member"] += 1
            return []
        stored = self.store.get(message.collection, message.record)
        if stored is None:
            self.counters["private_pull_not_held"] += 1
            return []
        self.counters["private_pull_answered"] += 1
        answer = PrivatePush(message.collection, message.record, stored.salt, stored.content)
        return [Send(peer, codec.encode(answer))]

    def _accept(self, message: PrivatePush, state: LedgerState, source: str) -> list[Output]:
        """Store a content that matches its committed record, or hold it until it commits."""
        digest = compute_record_hash(message.salt, message.content)
        record = self.get_record(state, message.collection, message.record)
        if record is None:
            return self._hold(message, digest, state.height)
        if record.hash != digest:
            self.counters["private_content_mismatch"] += 1
            return []
        if record.purge_at_height and record.purge_at_height <= state.height:
            self.counters["private_content_purged_already"] += 1
            return []
        if self.store.get(message.collection, message.record) is not None:
            self.counters["private_content_duplicate"] += 1
            return []
        self._missing.pop((message.collection, message.record), None)
        self.counters[f"private_stored_{source}"] += 1
        return [
            SavePrivateData(
                message.collection,
                message.record,
                digest,
                message.salt,
                message.content,
                record.height,
                record.purge_at_height,
            )
        ]

    def _has_room(self, content_bytes: int) -> bool:
        return (
            len(self._pending) < limits.pending_records_max
            and self._pending_bytes + content_bytes <= limits.pending_bytes_max
        )

    def _hold(self, message: PrivatePush, digest: Hash, height: Height) -> list[Output]:
        key = (message.collection, message.record, digest)
        if key in self._pending:
            self.counters["private_pending_duplicate"] += 1
            return []
        if not self._has_room(len(message.content)):
            self.counters["private_pending_full"] += 1
            return []
        self._pending[key] = _Pending(message.salt, message.content, height)
        self._pending_bytes += len(message.content)
        self.counters["private_pending_held"] += 1
        return []

    def _drop_pending(self, key: tuple[str, str, Hash]) -> _Pending:
        pending = self._pending.pop(key)
        self._pending_bytes -= len(pending.content)
        return pending

    # ------------------------------------------------------------------ blocks and time

    def on_committed(
        self, record: BlockRecord, state: LedgerState, now_ms: TimeMs
    ) -> list[Output]:
        """A block is applied: store what waited for its records, note what is missing,
        expire old waiting contents, purge what is due."""
        outputs: list[Output] = []
        for receipt in record.receipts:
            if not receipt.ok:
                continue
            for event in receipt.events:
                if event.module == MODULE and event.kind == "recorded":
                    outputs += self._on_recorded(dict(event.attributes), state, now_ms)
        self._expire_pending(state.height)
        earliest = self.store.earliest_purge_at_height()
        if earliest is not None and earliest <= state.height:
            self.counters["private_purges"] += 1
            outputs.append(PurgePrivateData(state.height))
        return outputs

    def _on_recorded(
        self, attributes: dict[str, str], state: LedgerState, now_ms: TimeMs
    ) -> list[Output]:
        collection, record_id = attributes["collection"], attributes["record"]
        digest = bytes.fromhex(attributes["hash"])
        waiting = [k for k in self._pending if k[0] == collection and k[1] == record_id]
        held: _Pending | None = None
        for key in waiting:
            pending = self._drop_pending(key)
            if key[2] == digest:
                held = pending
            else:
                self.counters["private_pending_lost_race"] += 1
        if not self.is_member_node(state, collection, self.node_id):
            return []
        record = self.get_record(state, collection, record_id)
        assert record is not None and record.hash == digest, "a recorded event without its record"
        if held is not None:
            return self._accept(PrivatePush(collection, record_id, held.salt, held.content),
                                state, "pending")
        if self.store.get(collection, record_id) is not None:
            return []
        if record.purge_at_height and record.purge_at_height <= state.height:
            return []
        if len(self._missing) >= limits.missing_records_max:
            self.counters["private_missing_full"] += 1
            return [LogEvent("warning", "private_content_not_fetched",
                             {"collection": collection, "record": record_id,
                              "reason": "too many missing records"})]
        self.counters["private_missing"] += 1
        self._missing[(collection, record_id)] = _Missing(
            digest, record.height, record.purge_at_height, 0, now_ms
        )
        return []

    def _expire_pending(self, height: Height) -> None:
        expired = [
            key for key, pending in self._pending.items()
            if height - pending.received_height > limits.pending_heights_max
        ]
        for key in expired:
            self._drop_pending(key)
            self.counters["private_pending_expired"] += 1

    def on_tick(self, state: LedgerState, peers: Iterable[PeerId], now_ms: TimeMs) -> list[Output]:
        """Fetch the missing contents that are due, each from the next member peer."""
        if not self._missing:
            return []
        outputs: list[Output] = []
        connected = list(peers)
        members_of: dict[str, list[PeerId]] = {}
        for key, missing in list(self._missing.items()):
            if len(outputs) >= limits.pulls_per_tick_max:
                break
            if missing.due_ms > now_ms:
                continue
            collection, record_id = key
            if missing.purge_at_height and missing.purge_at_height <= state.height:
                del self._missing[key]
                self.counters["private_missing_purged"] += 1
                continue
            if collection not in members_of:
                members_of[collection] = self.member_peers(state, collection, connected)
            candidates = members_of[collection]
            if not candidates:
                missing.due_ms = now_ms + limits.pull_interval_ms
                continue
            if missing.attempts >= limits.pull_attempts_max:
                del self._missing[key]
                self.counters["private_missing_given_up"] += 1
                outputs.append(LogEvent("warning", "private_content_not_fetched",
                                        {"collection": collection, "record": record_id,
                                         "attempts": missing.attempts}))
                continue
            peer = candidates[missing.attempts % len(candidates)]
            missing.attempts += 1
            missing.due_ms = now_ms + limits.pull_interval_ms
            self.counters["private_pull_sent"] += 1
            outputs.append(Send(peer, codec.encode(PrivatePull(collection, record_id))))
        return outputs


__all__ = [
    "PrivateData",
    "PrivateDataRefused",
    "PrivateStoreReader",
    "StoredContent",
]
