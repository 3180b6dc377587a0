"""The proof documents: a receipt file and a state proof file, as the API serves them and as
`chainbook receipt get` / `chainbook proof get` write them (docs/PROTOCOL.md "Proof files").

Rules kept:
- A document is JSON; everything a verifier hashes or checks a signature over is carried as the
  hex of its exact canonical MessagePack bytes (header, commit, receipt leaf, state proof,
  validator set), never re-encoded from JSON, so another language needs a MessagePack decoder
  but no rule for rebuilding bytes.
- `format` names the kind and `version` its layout; a verifier refuses any other pair.
- Self-contained: with the genesis file (its chain id and validators) a document verifies
  offline, contacting no node; nothing in it is trusted before it is checked.
- Every count and size an outsider controls is bounded below (a verifier checks them before
  it decodes anything else).
"""

from __future__ import annotations

from typing import Any

import msgspec

RECEIPT_FORMAT = "chainbook/receipt"
STATE_PROOF_FORMAT = "chainbook/state-proof"
PROOF_VERSION = 1

PROOF_FILE_BYTES_MAX = 4 * 1024 * 1024
"""Largest proof document a verifier reads (a receipt with 1,000 validator-set changes of 150
validators is ~2.5 MB)."""
VALIDATOR_CHANGES_MAX = 1_000
"""Most validator-set changes a document may carry (governance changes the set rarely)."""
AUDIT_PATH_HASHES_MAX = 64
"""An RFC 6962 audit path of a tree of at most 2^64 leaves."""
STATE_PROOF_ENTRIES_MAX = 64
"""Most state keys one proven query may read."""
HEX_BYTES_MAX = 2 * 1024 * 1024
"""Longest hex field (chars) in a document."""


class ProofView(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of the proof documents (strict both ways)."""


class ValidatorChangeView(ProofView, frozen=True, forbid_unknown_fields=True):
    """One hop of the chain of validator-set changes: the header at `height` announces the set
    of height + 1 (its next_validators_hash differs from its validators_hash), `commit` is that
    header's commit certificate by the set in force, `validators` the new set."""

    height: int
    header: str
    """Hex of the MessagePack Header."""
    commit: str
    """Hex of the MessagePack Commit of that header."""
    validators: str
    """Hex of the MessagePack list of the new validators, [public_key, power, name] each."""


class ValidatorChangesView(ProofView, frozen=True, forbid_unknown_fields=True):
    """GET /validators/changes: every change that took effect at or before `to_height`."""

    to_height: int
    changes: list[ValidatorChangeView]


class ReceiptFile(ProofView, frozen=True, forbid_unknown_fields=True):
    """A transaction, its inclusion and its outcome, final under the chain's validators."""

    format: str
    version: int
    chain_id: str
    height: int
    index: int
    """The transaction's position in its block: its leaf index in both trees."""
    tx: str
    """Hex of the SignedTx bytes (leaf `index` of the header's txs_root)."""
    receipt: str
    """Hex of the receipt leaf [tx_hash, ok, code, error, events] (leaf `index` of the
    header's receipts_root)."""
    tx_path: list[str]
    """RFC 6962 audit path of `tx` in a tree of header.tx_count leaves."""
    receipt_path: list[str]
    """RFC 6962 audit path of `receipt` in a tree of header.tx_count leaves."""
    header: str
    """Hex of the MessagePack Header at `height`."""
    commit: str
    """Hex of the MessagePack Commit certifying that header."""
    validator_changes: list[ValidatorChangeView]
    """The validator-set changes from genesis up to `height`, oldest first."""


class StateEntryView(ProofView, frozen=True, forbid_unknown_fields=True):
    key: str
    """Hex of the full state key (module prefix included)."""
    proof: str
    """Hex of the MessagePack StateProof of the key (value or absence) under header.app_hash."""


class StateProofFile(ProofView, frozen=True, forbid_unknown_fields=True):
    """A module query's answer, proven: the state keys the query read, each with its proof
    against the app_hash of the header at `height` + 1 (which commits to the state after
    `height`); a verifier re-runs the query over the proven keys and compares the answer."""

    format: str
    version: int
    chain_id: str
    module: str
    query: str
    request: dict[str, Any]
    """The query's request fields, as GET /apps/{module}/{query} takes them (hex for bytes)."""
    answer: Any
    """The answer as JSON (the query's response type, bytes as hex)."""
    height: int
    """The state proven is the state after this block."""
    entries: list[StateEntryView]
    header: str
    """Hex of the MessagePack Header at `height` + 1."""
    commit: str
    """Hex of the MessagePack Commit certifying that header."""
    validator_changes: list[ValidatorChangeView]
    """The validator-set changes from genesis up to `height` + 1, oldest first."""


__all__ = [
    "AUDIT_PATH_HASHES_MAX",
    "HEX_BYTES_MAX",
    "PROOF_FILE_BYTES_MAX",
    "PROOF_VERSION",
    "RECEIPT_FORMAT",
    "STATE_PROOF_ENTRIES_MAX",
    "STATE_PROOF_FORMAT",
    "VALIDATOR_CHANGES_MAX",
    "ProofView",
    "ReceiptFile",
    "StateEntryView",
    "StateProofFile",
    "ValidatorChangeView",
    "ValidatorChangesView",
]
