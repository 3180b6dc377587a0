"""The error tree of chainbook.

    ChainbookError                      every error raised on purpose by chainbook
    ├── InvalidInput                    something from outside was wrong; names what, the value,
    │   │                               and what is accepted. Never an `assert`.
    │   ├── DecodeError                 bytes that are not a valid encoding of the expected type
    │   ├── InvalidTransaction          a client's transaction was refused
    │   │   ├── InvalidSignature
    │   │   ├── WrongChainId
    │   │   ├── InvalidNonce            (expected=..., got=...)
    │   │   ├── UnknownAction
    │   │   ├── TooLarge                (size=..., limit=...)
    │   │   ├── MempoolFull
    │   │   └── ModuleError             a module refused an action: code "<module>.<reason>"
    │   │                               (apps/base.py; each module's errors.py lists its own)
    │   ├── InvalidBlock                a block or commit from a peer failed verification
    │   └── PeerMisbehaved              a peer broke the wire protocol (the peer is dropped)
    ├── StorageError                    the node's own book is unusable
    │   └── CorruptBook                 the hash chain does not verify (tampered or truncated)
    └── ConfigError                     a config, genesis or key file is wrong

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


class ConfigError(ChainbookError):
    """A config, genesis or key file is missing or wrong."""


__all__ = [
    "ChainbookError",
    "ConfigError",
    "CorruptBook",
    "DecodeError",
    "InvalidBlock",
    "InvalidInput",
    "InvalidNonce",
    "InvalidSignature",
    "InvalidTransaction",
    "MempoolFull",
    "PeerMisbehaved",
    "StorageError",
    "TooLarge",
    "UnknownAction",
    "WrongChainId",
]
