"""The error tree of chainbook.

    ChainbookError                      every error raised on purpose by chainbook
    ├── InvalidInput                    something from outside was wrong; names what, the value,
    │   │                               and what is accepted. Never an `assert`.
    │   ├── DecodeError                 bytes that are not a valid encoding of the expected type
    │   ├── InvalidTransaction          a client's transaction was refused
    │   │   ├── InvalidSignature
    │   │   ├── WrongChainId
    │   │   ├── InvalidNonce            (expected=..., got=...)
    │   │   ├── Unauthorized            the keys do not speak for an account of the tx
    │   │   │                           (its policy's threshold, or its own key, is missing)
    │   │   ├── FeeNotAccepted          a fee on a chain that charges none
    │   │   ├── UnknownAction
    │   │   ├── TooLarge                (size=..., limit=...)
    │   │   ├── MempoolFull
    │   │   └── ModuleError             a module refused an action: code "<module>.<reason>"
    │   │                               (apps/base.py; each module's errors.py lists its own)
    │   ├── InvalidBlock                a block or commit from a peer failed verification
    │   └── PeerMisbehaved              a peer broke the wire protocol (the peer is dropped)
    ├── StorageError                    the node's own storage is unusable as it is
    │   ├── CorruptBook                 the hash chain does not verify (tampered or truncated)
    │   ├── DamagedBookFile             the book's SQLite file is damaged (path, what to do)
    │   ├── BookInUse                   another process (a running node?) has the book open
    │   ├── DamagedConsensusRecord      the consensus record file is torn or edited
    │   └── ConsensusRecordMissing      no consensus record beside a non-empty book: the
    │                                   validator must not sign until an operator acts
    └── ConfigError                     a config, genesis or key file is wrong
        └── GenesisMismatch             the home's genesis is not the one its book was built
                                        on: the node refuses to start and changes nothing

A violated invariant of the core is not in this tree: it is an AssertionError and stops the node,
because continuing could sign or commit something wrong.
"""

from __future__ import annotations


class ChainbookError(Exception):
    """Base of every error chainbook raises on purpose."""


class InvalidInput(ChainbookError):
    """Input from outside (a client or a peer) was wrong; the message names what and why."""


class DecodeError(InvalidInput):
    """Bytes that do not decode to the expected type."""


class InvalidTransaction(InvalidInput):
    """A transaction was refused. `code` is a stable machine-readable name."""

    code = "invalid_transaction"


class InvalidSignature(InvalidTransaction):
    code = "invalid_signature"


class WrongChainId(InvalidTransaction):
    code = "wrong_chain_id"


class InvalidNonce(InvalidTransaction):
    code = "invalid_nonce"

    def __init__(self, *, expected: int, got: int) -> None:
        super().__init__(f"invalid nonce: expected {expected}, got {got}")
        self.expected = expected
        self.got = got


class Unauthorized(InvalidTransaction):
    """The transaction's keys do not speak for one of the accounts it names (ledger/
    authorization.py): the message names the account, the weight reached and the threshold."""

    code = "unauthorized"


class FeeNotAccepted(InvalidTransaction):
    code = "fee_not_accepted"


class UnknownAction(InvalidTransaction):
    code = "unknown_action"


class TooLarge(InvalidTransaction):
    code = "too_large"

    def __init__(self, what: str, *, size: int, limit: int) -> None:
        super().__init__(f"{what} too large: {size} bytes, limit {limit}")
        self.size = size
        self.limit = limit


class MempoolFull(InvalidTransaction):
    code = "mempool_full"


class InvalidBlock(InvalidInput):
    """A block, proposal, vote or commit certificate failed verification."""


class PeerMisbehaved(InvalidInput):
    """A peer broke the wire protocol; the node drops the message or the peer."""


class StorageError(ChainbookError):
    """The node's own storage cannot be used as it is."""


class CorruptBook(StorageError):
    """The stored hash chain does not verify: a block was tampered with or is missing."""

    def __init__(self, message: str, *, height: int) -> None:
        super().__init__(message)
        self.height = height


class DamagedBookFile(StorageError):
    """The book's SQLite file is damaged: SQLite reports it malformed or not a database, or
    what it holds contradicts itself (rows past the recorded latest height, bytes past its
    last page). Not a bug of ours and not bad input: the disk, a crash without the -wal file,
    or someone else wrote it. The message names the file and what to do."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(
            f"the book file {path} is damaged: {problem}. What to do: with the node stopped, "
            "run `chainbook verify --home <the node's home>`: it moves the damaged file aside "
            f"as {path}.damaged-<n>, keeps every block that can still be read in a fresh "
            "book and reports what was lost; the node then syncs the rest from its peers"
        )
        self.path = path
        self.problem = problem


class BookInUse(StorageError):
    """Another process holds the book (one node per book: two writers would interleave)."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"the book {path} is in use by another process (a running node?); stop it first"
        )
        self.path = path


class DamagedConsensusRecord(StorageError):
    """The consensus record file is torn, edited or not a record: it cannot be trusted to say
    what this validator signed, so the validator must not sign from it."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(
            f"the consensus record {path} is damaged: {problem}. It is what keeps this "
            "validator from signing twice at one height, so the node will not sign from it. "
            "What to do: stop the node, find the network's current height H (any peer's "
            "`chainbook status`), then run `chainbook node reset-signing --home <home> "
            "--above-height H --force`; the validator then signs again from height H + 1"
        )
        self.path = path
        self.problem = problem


class ConsensusRecordMissing(StorageError):
    """No consensus record, but the book is not empty: the record was lost (its file deleted,
    the home restored from a backup without it), so what this validator signed is unknown."""


class ConfigError(ChainbookError):
    """A config, genesis or key file is missing or wrong."""


class GenesisMismatch(ConfigError):
    """The genesis given to a node is not the one its book was built on (a chain's genesis is
    immutable: another genesis is another chain). Nothing was changed; the message names both
    hashes and what to do."""

    def __init__(self, *, book: str, book_hash: bytes, genesis_hash: bytes) -> None:
        super().__init__(
            f"the book {book} was built on genesis {book_hash.hex()}, the genesis given has "
            f"hash {genesis_hash.hex()}: a chain's genesis never changes, so the node will not "
            "start on it and changed nothing. What to do: put back the genesis.json the book "
            "was built on (`chainbook genesis hash FILE` prints a file's hash), or, to join the "
            "other chain, start a new home for it"
        )
        self.book_hash = book_hash
        self.genesis_hash = genesis_hash


__all__ = [
    "BookInUse",
    "ChainbookError",
    "ConfigError",
    "ConsensusRecordMissing",
    "CorruptBook",
    "DamagedBookFile",
    "DamagedConsensusRecord",
    "DecodeError",
    "FeeNotAccepted",
    "GenesisMismatch",
    "InvalidBlock",
    "InvalidInput",
    "InvalidNonce",
    "InvalidSignature",
    "InvalidTransaction",
    "MempoolFull",
    "PeerMisbehaved",
    "StorageError",
    "TooLarge",
    "Unauthorized",
    "UnknownAction",
    "WrongChainId",
]
