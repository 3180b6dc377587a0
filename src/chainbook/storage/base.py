"""Deprecated: the names this module held now live one idea per file. Kept only so that
callers importing `chainbook.storage.base` keep working until they switch (runtime/node.py,
sim/node.py, sim/checkers.py, core/book.py); import from `chainbook.storage` instead.

    BlockStore, StateMeta, TxLocation, check_*, take_contiguous   storage/block_store.py
    StateCheckpoints, STATE_CHECKPOINT_BLOCKS                     storage/checkpoints.py
    BlockReceipts, receipts encoding, decode_stored_*             storage/stored_format.py
"""

from __future__ import annotations

from chainbook.storage.block_store import (
    BlockStore,
    StateMeta,
    TxLocation,
    check_load_blocks_bytes_args,
    check_save_block_args,
    take_contiguous,
)
from chainbook.storage.checkpoints import STATE_CHECKPOINT_BLOCKS, StateCheckpoints
from chainbook.storage.stored_format import (
    RECEIPTS_BYTES_MAX,
    RECEIPTS_ZLIB_LEVEL,
    BlockReceipts,
    compress_block_receipts,
    decode_stored_block,
    decode_stored_commit,
    decode_stored_tx_location,
    decompress_block_receipts,
    encode_block_receipts,
)

__all__ = [
    "RECEIPTS_BYTES_MAX",
    "RECEIPTS_ZLIB_LEVEL",
    "STATE_CHECKPOINT_BLOCKS",
    "BlockReceipts",
    "BlockStore",
    "StateCheckpoints",
    "StateMeta",
    "TxLocation",
    "check_load_blocks_bytes_args",
    "check_save_block_args",
    "compress_block_receipts",
    "decode_stored_block",
    "decode_stored_commit",
    "decode_stored_tx_location",
    "decompress_block_receipts",
    "encode_block_receipts",
    "take_contiguous",
]
