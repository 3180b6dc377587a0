"""What the ledger asks of the one module that charges fees (apps/fees).

Rules kept:
- The ledger reads the minimum fee per byte once per block, on the committed state the block
  runs on: the value at the block's height of the governed parameter `param` when the
  registry has a governing module (apps/chain_governance.py; its genesis value is the fee
  module's genesis section, Module.genesis_params), else `min_fee_per_byte` (the module's
  own genesis value, for ever). Then, for every transaction that names a fee or on a chain
  whose minimum is above 0, calls `charge` before the action runs, on the module's own keys.
  `charge` refuses a fee below minimum x the transaction's size in bytes, or one the sender
  cannot pay, with the module's ModuleError; otherwise it moves the fee out of the sender's
  account (through the bank's exports). Its writes are kept even if the action is then
  refused, as gas is: a refused action still cost the chain its bytes.
- At most one module of a registry charges fees (`Module.charges_fees`, checked by the
  registry). Without one, every fee must be 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chainbook.apps.base import KVReader, TxContext, TxView
from chainbook.types import Amount

MinFeeFn = Callable[[KVReader], Amount]
"""min_fee_per_byte(view) -> the minimum fee per byte of signed transaction (view: the
module's own keys)."""
ChargeFn = Callable[[TxView, TxContext, Amount, int, Amount], None]
"""charge(view, ctx, fee, tx_bytes, min_fee_per_byte): refuse or pay the sender's fee."""


@dataclass(frozen=True, slots=True)
class FeeRule:
    min_fee_per_byte: MinFeeFn
    charge: ChargeFn
    param: str | None = None
    """The governed parameter that holds the minimum (`<module>.<name>`, declared in the
    module's `params`), read instead of `min_fee_per_byte` when the chain is governed."""


__all__ = ["ChargeFn", "FeeRule", "MinFeeFn"]
