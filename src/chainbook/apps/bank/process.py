"""Bank state transitions: the native coin's balances, transfers and issuance.

State (keys relative to the module prefix b"bank/"; values canonical MessagePack):

    balance/<address 20 bytes>  uint   the account's balance; present iff the account exists
    supply                      uint   total supply: genesis allocation + minted - burnt
    minted                      uint   everything minted by block rewards
    burnt                       uint   everything burnt (fees, through the burn export)
    params                      BankParams, fixed at genesis

Rules kept:
- Amounts are integers in the coin's smallest unit; every amount moved is > 0.
- An account exists once it has been credited (genesis allocation, transfer or block reward);
  its balance key is kept even at 0. A sender without a balance key is refused as
  UnknownAccount (it has never been funded), a known sender without enough as
  InsufficientFunds(needed, available).
- A transfer to oneself is allowed: it is checked like any other (the sender must hold the
  amount) and changes nothing but the nonce. Refusing it would add a rule with no safety gain.
- A multi-transfer has 1..multi_transfer_recipients_max outputs (apps/bank/limits.py) and is
  all or nothing:
  the sender must hold the sum of the outputs. Recipients may repeat.
- Memos are at most memo_bytes_max bytes of UTF-8.
- Issuance: the proposer of block h (h >= 1) is paid
      reward(h) = block_reward >> ((h - 1) // halving_interval_blocks)   (no halving if 0)
  minted as min(reward(h), supply_max - supply), so the supply reaches supply_max exactly and
  never passes it. Coins burnt (the `burn` export, e.g. fees) leave the supply; the reward
  schedule may mint up to supply_max again. Only minting and burning change the supply: the
  sum of balance changes in a block equals the supply change, which equals minted minus burnt
  (asserted at every commit).
- An account's coins leave it only through its own transactions: the exports `transfer` and
  `burn` take coins only from the transaction's sender (or, for `transfer`, from the calling
  module's own account, which sends no transactions). Admission relies on it: a fee the
  sender could pay when its transaction was admitted, it can still pay when a block runs it
  (ledger/execute.py). A co-signer's coins are therefore never moved by another sender's
  transaction; the party who pays in coin is the sender.
- Events report only what a transaction does not state itself: a transfer or multi-transfer
  emits none (its receipt's `ok` says it moved exactly the amounts its action names, as a plain
  Ethereum value transfer has no log), the block reward emits `bank.mint`. Repeating sender,
  recipients and amounts in every receipt would store each transfer twice (~30 bytes per
  transfer on disk, measured) and say nothing new.
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.bank import limits
from chainbook.apps.bank.actions import MultiTransfer, Output, Transfer
from chainbook.apps.bank.errors import (
    InsufficientFunds,
    InvalidAmount,
    MemoTooLong,
    TooManyOutputs,
    UnknownAccount,
)
from chainbook.apps.bank.genesis import BankGenesis
from chainbook.apps.base import (
    BlockContext,
    ExportFn,
    KVReader,
    KVStore,
    TxContext,
    decode_int,
    encode_int,
    module_account,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Amount, Height

MODULE_NAME = "bank"
BALANCE_PREFIX = b"balance/"
SUPPLY_KEY = b"supply"
MINTED_KEY = b"minted"
BURNT_KEY = b"burnt"
PARAMS_KEY = b"params"


class BankParams(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """The coin and its issuance schedule, copied from genesis into state so that execution
    needs no input besides the state and the block (a node restored from a state snapshot
    executes the same way)."""

    symbol: str
    decimals: int
    block_reward: Amount
    halving_interval_blocks: Height
    supply_max: Amount
    """0 means uncapped, allowed only with block_reward 0 (genesis.verify_bank_genesis)."""


# --- pure accessors -------------------------------------------------------------------------


def balance_key(address: Address) -> bytes:
    return BALANCE_PREFIX + address


def get_balance(view: KVReader, address: Address) -> Amount | None:
    """The balance of `address`, or None when the account does not exist."""
    raw = view.get(BALANCE_PREFIX + address)
    return None if raw is None else decode_int(raw)


def get_params(view: KVReader) -> BankParams:
    raw = view.get(PARAMS_KEY)
    assert raw is not None, "bank params missing: state not initialised from genesis"
    return codec.decode(raw, BankParams)


def get_supply(view: KVReader) -> Amount:
    raw = view.get(SUPPLY_KEY)
    return 0 if raw is None else decode_int(raw)


def get_minted(view: KVReader) -> Amount:
    raw = view.get(MINTED_KEY)
    return 0 if raw is None else decode_int(raw)


def get_burnt(view: KVReader) -> Amount:
    raw = view.get(BURNT_KEY)
    return 0 if raw is None else decode_int(raw)


def compute_block_reward(params: BankParams, height: Height) -> Amount:
    """The scheduled reward of block `height`, before the supply cap."""
    if height < 1 or params.block_reward <= 0:
        return 0
    if params.halving_interval_blocks <= 0:
        return params.block_reward
    return params.block_reward >> ((height - 1) // params.halving_interval_blocks)


def compute_mint_amount(params: BankParams, height: Height, supply: Amount) -> Amount:
    """What block `height` actually mints: the reward, clipped so supply <= supply_max."""
    reward = compute_block_reward(params, height)
    if reward == 0:
        return 0
    return max(0, min(reward, params.supply_max - supply))


# --- checks ---------------------------------------------------------------------------------


def verify_amount(amount: Amount, what: str = "amount") -> None:
    if amount <= 0:
        raise InvalidAmount(f"{what} must be a positive integer, got {amount}")


def verify_memo(memo: str) -> None:
    # str.isascii() is O(1) in CPython: an ASCII memo's UTF-8 size is its length (no copy).
    size = len(memo) if memo.isascii() else len(memo.encode())
    if size > limits.memo_bytes_max:
        raise MemoTooLong(
            f"memo is {size} bytes of UTF-8, limit {limits.memo_bytes_max} bytes"
        )


def verify_outputs(outputs: list[Output]) -> None:
    count = len(outputs)
    if not 1 <= count <= limits.multi_transfer_recipients_max:
        raise TooManyOutputs(
            f"multi_transfer has {count} outputs, accepted 1 to "
            f"{limits.multi_transfer_recipients_max}"
        )
    for i, output in enumerate(outputs):
        verify_amount(output.amount, f"outputs[{i}].amount")


def verify_sender_funds(view: KVReader, sender: Address, needed: Amount) -> Amount:
    """Check the sender exists and holds `needed`; returns its balance."""
    available = get_balance(view, sender)
    if available is None:
        raise UnknownAccount(
            f"account {sender.hex()} is unknown: it has never received coins, "
            "so it cannot send any; fund it first"
        )
    if available < needed:
        raise InsufficientFunds(needed=needed, available=available)
    return available


# --- state changes --------------------------------------------------------------------------


def process_credit(view: KVStore, address: Address, amount: Amount) -> None:
    """Add to a balance, creating the account on its first credit.

    The balance is read with `get_to_update`: a credit cannot fail, and the value read only
    decides this key's new value, so a pending payment never needs a re-check because its
    recipient's balance changed (core/mempool.py).
    """
    key = BALANCE_PREFIX + address
    raw = view.get_to_update(key)
    view.set(key, encode_int(amount if raw is None else decode_int(raw) + amount))


def process_debit(view: KVStore, address: Address, balance: Amount, amount: Amount) -> None:
    """Subtract from a balance already read and checked by verify_sender_funds."""
    assert 0 < amount <= balance
    view.set(BALANCE_PREFIX + address, encode_int(balance - amount))


def process_transfer(view: KVStore, ctx: TxContext, action: Transfer) -> list[Event]:
    verify_memo(action.memo)
    verify_amount(action.amount)
    balance = verify_sender_funds(view, ctx.sender, action.amount)
    process_debit(view, ctx.sender, balance, action.amount)
    process_credit(view, action.to, action.amount)
    return []


def process_multi_transfer(view: KVStore, ctx: TxContext, action: MultiTransfer) -> list[Event]:
    verify_memo(action.memo)
    verify_outputs(action.outputs)
    total = sum(output.amount for output in action.outputs)
    balance = verify_sender_funds(view, ctx.sender, total)
    process_debit(view, ctx.sender, balance, total)
    for output in action.outputs:
        process_credit(view, output.to, output.amount)
    return []


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The bank's entry point: dispatch on the action type."""
    match action:
        case Transfer():
            return process_transfer(view, ctx, action)
        case MultiTransfer():
            return process_multi_transfer(view, ctx, action)
    raise AssertionError(f"bank received a foreign action {type(action).__name__}")


# --- exports: what other modules may do with the coin (apps/base.py TxView.call) ------------


def export_transfer(
    view: KVStore, ctx: TxContext, caller: str, sender: Address, to: Address, amount: Amount
) -> None:
    """Move coins for another module: from the transaction's sender (who signed it) or from the
    calling module's own account (escrow), never from anyone else."""
    if sender not in (ctx.sender, module_account(caller)):
        raise UnknownAccount(
            f"module {caller!r} may move coins only from the transaction's sender or its own "
            f"account, not from {sender.hex()}"
        )
    verify_amount(amount)
    balance = verify_sender_funds(view, sender, amount)
    process_debit(view, sender, balance, amount)
    process_credit(view, to, amount)


def export_burn(
    view: KVStore, ctx: TxContext, caller: str, sender: Address, amount: Amount
) -> None:
    """Destroy `amount` of the transaction sender's coins for another module (fees): they
    leave the supply. Only from the sender, who signed the transaction."""
    if sender != ctx.sender:
        raise UnknownAccount(
            f"module {caller!r} may burn coins only of the transaction's sender "
            f"{ctx.sender.hex()}, not of {sender.hex()}"
        )
    verify_amount(amount)
    balance = verify_sender_funds(view, sender, amount)
    process_debit(view, sender, balance, amount)
    # Update reads: the totals flow only into their own new values and decide nothing, so a
    # burn in a block does not make the mempool re-check every pending fee payer.
    process_add_to_total(view, SUPPLY_KEY, -amount)
    process_add_to_total(view, BURNT_KEY, amount)


def process_add_to_total(view: KVStore, key: bytes, amount: int) -> None:
    raw = view.get_to_update(key)
    view.set(key, encode_int((0 if raw is None else decode_int(raw)) + amount))


def export_balance(view: KVStore, ctx: TxContext, caller: str, address: Address) -> Amount:
    """The balance of `address` (0 for an account never credited); a guard read."""
    return get_balance(view, address) or 0


EXPORTS: dict[str, ExportFn] = {
    "transfer": export_transfer,
    "burn": export_burn,
    "balance": export_balance,
}


def process_mint(view: KVStore, ctx: BlockContext) -> list[Event]:
    """begin_block: pay the block reward to the proposer, within the supply cap."""
    params = get_params(view)
    supply = get_supply(view)
    amount = compute_mint_amount(params, ctx.height, supply)
    if amount == 0:
        return []
    process_credit(view, ctx.proposer, amount)
    view.set(SUPPLY_KEY, encode_int(supply + amount))
    view.set(MINTED_KEY, encode_int(get_minted(view) + amount))
    return [Event(MODULE_NAME, "mint", [("to", ctx.proposer.hex()), ("amount", str(amount))])]


def process_genesis(view: KVStore, section: BankGenesis) -> None:
    """The genesis hook: store the params, the initial balances and the initial supply
    (the section was checked by genesis.verify_bank_genesis)."""
    issuance = section.issuance
    params = BankParams(
        symbol=section.coin.symbol,
        decimals=section.coin.decimals,
        block_reward=issuance.block_reward,
        halving_interval_blocks=issuance.halving_interval_blocks,
        supply_max=issuance.supply_max,
    )
    supply = 0
    for address, amount in section.allocations():
        process_credit(view, address, amount)
        supply += amount
    view.set(PARAMS_KEY, codec.encode(params))
    view.set(SUPPLY_KEY, encode_int(supply))
    view.set(MINTED_KEY, encode_int(0))


# --- invariants (asserted at every commit) --------------------------------------------------


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    """No negative balance; supply within its cap; coins are neither created nor destroyed
    except by minting and burning (sum of balance changes == supply change == minted change
    - burnt change); what is burnt only grows."""
    params = get_params(after)
    supply_before, supply_after = get_supply(before), get_supply(after)
    if params.supply_max:
        assert supply_after <= params.supply_max, (supply_after, params.supply_max)
    burnt = get_burnt(after) - get_burnt(before)
    assert burnt >= 0, f"burnt total went down by {-burnt}"
    assert supply_after - supply_before == get_minted(after) - get_minted(before) - burnt
    delta = 0
    for key in changed_keys:
        if not key.startswith(BALANCE_PREFIX):
            continue
        raw_after, raw_before = after.get(key), before.get(key)
        assert raw_after is not None, f"balance deleted: {key.hex()}"
        balance_after = decode_int(raw_after)
        assert balance_after >= 0, f"negative balance {balance_after} at {key.hex()}"
        delta += balance_after - (0 if raw_before is None else decode_int(raw_before))
    assert delta == supply_after - supply_before, (delta, supply_before, supply_after)


__all__ = [
    "BALANCE_PREFIX",
    "BURNT_KEY",
    "MINTED_KEY",
    "MODULE_NAME",
    "PARAMS_KEY",
    "SUPPLY_KEY",
    "BankParams",
    "assert_invariants",
    "balance_key",
    "compute_block_reward",
    "compute_mint_amount",
    "export_burn",
    "get_balance",
    "get_burnt",
    "get_minted",
    "get_params",
    "get_supply",
    "process",
    "process_credit",
    "process_debit",
    "process_genesis",
    "process_mint",
    "process_multi_transfer",
    "process_transfer",
    "verify_amount",
    "verify_memo",
    "verify_outputs",
    "verify_sender_funds",
]
