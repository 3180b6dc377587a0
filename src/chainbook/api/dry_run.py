"""A dry run: execute one transaction on the latest committed state and throw the writes away.

    receipt = dry_run_tx(state, chain_id, tx, time_ms)

The transaction runs exactly as it would first in the next block (ledger/execute.py
process_tx) on a StateView overlay of the committed state, which is never written: the
begin-block hooks (the mint) are not run, and other pending transactions are not applied
before it. What the ledger would refuse as an invalid block (another chain, a wrong nonce, an
action that does not decode) is refused here as the matching InvalidTransaction, so a client
learns the same code admission would give it.

An unsigned transaction (`build_unsigned_tx`) carries no signature and no bytes: it lets a
wallet ask "would this succeed?" before it signs. It is taken as signed by every key of the
sender's policy (ledger/authorization.py; its own key without one), and its fee (0, it has
no size yet) is not judged. A signed one is authorized and pays its fee as in a block: a
sender its keys do not speak for, or a fee the chain refuses, is refused with that error.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook import codec
from chainbook.apps.base import BlockContext
from chainbook.apps.fields import from_json_value
from chainbook.apps.registry import Registry
from chainbook.chain.tx import DecodedTx
from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES
from chainbook.errors import InvalidNonce, UnknownAction, WrongChainId
from chainbook.ledger.authorization import Authorizer, get_account_policy
from chainbook.ledger.execute import get_min_fee_per_byte, make_tx_context, process_fee, process_tx
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, StateView, get_nonce
from chainbook.types import Address, Nonce, TimeMs

DRY_RUN_PROPOSER = bytes(ADDRESS_BYTES)
"""The proposer a dry run's block context names (no begin-block hook runs)."""


def build_unsigned_tx(
    registry: Registry, chain_id: str, sender: Address, nonce: Nonce, action: dict[str, Any]
) -> DecodedTx:
    """A DecodedTx for `action` (JSON, {"type": tag, ...fields}) as `sender` would sign it."""
    tag = action.get("type")
    action_type = registry.get_action_type(tag) if isinstance(tag, str) else None
    if action_type is None:
        known = ", ".join(sorted(registry.tags))
        raise UnknownAction(f"unsigned.action.type must be one of {known}, got {tag!r}")
    fields = {k: v for k, v in action.items() if k != "type"}
    built = from_json_value(fields, action_type, "unsigned.action")
    return DecodedTx(
        tx_bytes=b"",
        hash=bytes(HASH_BYTES),
        chain_id=chain_id,
        sender=sender,
        nonce=nonce,
        fee=0,
        action_bytes=codec.encode(built),
        public_keys=(),
        key_addresses=(sender,),
        accounts=(sender,),
    )


def dry_run_tx(state: LedgerState, chain_id: str, tx: DecodedTx, time_ms: TimeMs) -> Receipt:
    """The receipt `tx` would get first in the next block; nothing is written."""
    if tx.chain_id != chain_id:
        raise WrongChainId(f"transaction is for chain {tx.chain_id!r}, this is {chain_id!r}")
    expected = get_nonce(state.kv, tx.sender)
    if tx.nonce != expected:
        raise InvalidNonce(expected=expected, got=tx.nonce)
    registry = state.registry
    registry.decode_action(tx.action_bytes)  # raises the admission's own error
    ctx = BlockContext(
        height=state.height + 1, time_ms=max(time_ms, state.time_ms), proposer=DRY_RUN_PROPOSER
    )
    view = StateView(state.kv)
    authorizer = Authorizer(registry, view)
    min_fee_per_byte = 0
    if tx.tx_bytes == b"":  # unsigned: as if every key of the sender's policy signed
        policy = get_account_policy(registry, state.kv, tx.sender)
        if policy is not None:
            signers = tuple(signer.address for signer in policy.signers)
            tx = msgspec.structs.replace(tx, key_addresses=signers)
    else:  # the checks a block would call invalid, as the errors admission gives
        authorizer.verify_sender(tx)
        min_fee_per_byte = get_min_fee_per_byte(registry, state.kv, ctx.height)
        tx_ctx = make_tx_context(chain_id, ctx.height, ctx.time_ms, tx.nonce, tx)
        process_fee(registry, StateView(state.kv), tx_ctx, tx, min_fee_per_byte)
    return process_tx(registry, view, chain_id, ctx, 0, tx, min_fee_per_byte, authorizer)


__all__ = ["DRY_RUN_PROPOSER", "build_unsigned_tx", "dry_run_tx"]
