"""How a loan starts: an agreement both parties sign, or an offer the borrower accepts.

Rules kept:
- A loan exists only with its disbursement: the transaction that creates it moves the
  principal from the lender (or from the offer's escrow) to the borrower and the collateral
  from the borrower into the module's account (module_account("loans")), all through the
  tokens contract (apps/tokens.py), and a refusal anywhere (funds, a frozen account, an asset
  moved meanwhile) refuses the whole transaction: no loan without its money, no money moved
  without its loan.
- `loans.create` needs both lender and borrower among the transaction's signers
  (TxContext.signers: a multi-signer transaction, docs/PROTOCOL.md): either may be the
  sender. Tokens and assets move from either (the assets module moves a co-signer's, who
  signed this very action); the native coin only from the sender (the bank's rule: fees are
  paid in it, apps/tokens.py), so a party paying in the native coin must send the
  transaction (loans.payer_not_sender), and a loan whose principal and collateral are both
  in the native coin starts by offer and acceptance.
- `loans.offer` is the one-signature-at-a-time way: the sender (the lender) offers a loan to
  one borrower on stated terms; the principal goes into escrow at once, so an acceptance
  always finds it. Only that borrower accepts it (`loans.accept`), until the offer's
  expires_height; the lender may withdraw it (and the principal) while it is not accepted,
  expired or not. Offers never change once made, and an id is never reused, so accepting an
  id accepts exactly the terms the borrower read.
- Checks come before any write, in this order: the id, the terms, the parties, the
  signatures, the id is free, the tokens exist, the parties' room in their credit records,
  the collateral is the borrower's, the lender holds the principal. The collateral goes into
  escrow before the principal leaves, so a borrower cannot pledge the loan itself.
"""

from __future__ import annotations

import re

import msgspec

from chainbook import codec
from chainbook.apps import tokens
from chainbook.apps.base import TxContext, TxView, encode_int, module_account
from chainbook.apps.loans import limits
from chainbook.apps.loans.actions import (
    Accept,
    AssetCollateral,
    Collateral,
    Create,
    Offer,
    TokenCollateral,
    WithdrawOffer,
)
from chainbook.apps.loans.errors import (
    InsufficientFunds,
    InvalidCollateral,
    InvalidId,
    InvalidParty,
    LoanExists,
    NotBorrower,
    NotLender,
    NotSigned,
    OfferClosed,
    PayerNotSender,
    TooMany,
    UnknownOffer,
    UnknownToken,
)
from chainbook.apps.loans.figures import compute_new_loan
from chainbook.apps.loans.state import (
    MODULE_NAME,
    OfferRecord,
    OfferStatus,
    Role,
    StatusCounts,
    escrow_asset_key,
    escrow_key,
    get_loan,
    get_offer,
    get_stats,
    get_uint,
    loan_key,
    offer_key,
    open_offers_key,
    party_key,
    stats_key,
)
from chainbook.apps.loans.terms import (
    Terms,
    compute_final_due_height,
    get_terms,
    verify_range,
    verify_terms,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Amount, Hash

ESCROW = module_account(MODULE_NAME)
"""The module's own account: offers' principal and pledged collateral wait here."""
LOAN_ID_PATTERN = re.compile(f"[A-Za-z0-9._:-]{{1,{limits.loan_id_chars_max}}}")


def describe_token(token: str) -> str:
    return "the native coin" if token == tokens.NATIVE_TOKEN else f"token {token!r}"


def compute_collateral_attributes(collateral: Collateral | None) -> list[tuple[str, str]]:
    """A collateral as event attributes (none: no attribute)."""
    if isinstance(collateral, TokenCollateral):
        return [
            ("collateral_token", collateral.token),
            ("collateral_amount", str(collateral.amount)),
        ]
    if isinstance(collateral, AssetCollateral):
        return [("collateral_asset", collateral.asset_id)]
    return []


def compute_party_attributes(
    loan_id: str, lender: Address, borrower: Address
) -> list[tuple[str, str]]:
    return [("loan_id", loan_id), ("lender", lender.hex()), ("borrower", borrower.hex())]


# --- checks ---------------------------------------------------------------------------------


def verify_loan_id(loan_id: str) -> None:
    if not LOAN_ID_PATTERN.fullmatch(loan_id):
        raise InvalidId(
            f"loan id {loan_id!r}: accepted 1 to {limits.loan_id_chars_max} characters of "
            "A-Z a-z 0-9 . _ : -"
        )


def verify_id_free(view: TxView, loan_id: str) -> None:
    loan = get_loan(view, loan_id)
    if loan is not None:
        raise LoanExists(
            f"loan id {loan_id!r} is taken: a loan from {loan.lender.hex()} to "
            f"{loan.borrower.hex()} disbursed at height {loan.height}; ids are never reused"
        )
    offer = get_offer(view, loan_id)
    if offer is not None:
        raise LoanExists(
            f"loan id {loan_id!r} is taken: an offer from {offer.lender.hex()} to "
            f"{offer.borrower.hex()} made at height {offer.height}; ids are never reused"
        )


def verify_parties(lender: Address, borrower: Address) -> None:
    if lender == borrower:
        raise InvalidParty(f"lender and borrower are both {lender.hex()}; a loan needs two parties")
    for name, address in (("lender", lender), ("borrower", borrower)):
        if address == ESCROW:
            raise InvalidParty(f"the {name} {address.hex()} is the loans module's own account")


def verify_signed(ctx: TxContext, lender: Address, borrower: Address) -> None:
    for name, address in (("lender", lender), ("borrower", borrower)):
        if address not in ctx.signers:
            signers = ", ".join(a.hex() for a in ctx.signers)
            raise NotSigned(
                f"the {name} {address.hex()} did not sign this transaction (its accounts: "
                f"{signers}); a loan agreement needs both parties' signatures: one transaction "
                "both sign (the SDK's Wallet.prepare and cosign), or loans.offer by the lender "
                "then loans.accept by the borrower"
            )


def verify_native_payers(ctx: TxContext, lender: Address, borrower: Address, terms: Terms) -> None:
    """The native coin leaves only the transaction's sender (the bank's rule, apps/tokens.py)."""
    payers = []
    if terms.token == tokens.NATIVE_TOKEN:
        payers.append(("lender", lender, "the principal"))
    collateral = terms.collateral
    if isinstance(collateral, TokenCollateral) and collateral.token == tokens.NATIVE_TOKEN:
        payers.append(("borrower", borrower, "the collateral"))
    for name, address, what in payers:
        if address != ctx.sender:
            raise PayerNotSender(
                f"{what} is in the native coin, which the bank moves only from the "
                f"transaction's sender; the {name} {address.hex()} co-signs it: let the "
                f"{name} send it, or start the loan by loans.offer and loans.accept"
            )


def verify_token_known(view: TxView, ctx: TxContext, token: str, what: str) -> None:
    if not tokens.token_info(view, ctx, token).found:
        raise UnknownToken(
            f"{what} token {token!r} names no token; accepted: \"\" (the native coin) or the "
            "symbol of a token created in the assets module"
        )


def verify_holds(
    view: TxView, ctx: TxContext, who: Address, name: str, token: str, amount: Amount
) -> None:
    held = tokens.balance(view, ctx, who, token)
    if held < amount:
        raise InsufficientFunds(
            f"the {name} {who.hex()} holds {held} of {describe_token(token)}; {amount} needed"
        )


def verify_collateral(
    view: TxView, ctx: TxContext, borrower: Address, collateral: Collateral | None
) -> None:
    """The borrower holds the collateral now (its shape was checked with the terms)."""
    if isinstance(collateral, TokenCollateral):
        verify_token_known(view, ctx, collateral.token, "the collateral's")
        verify_holds(view, ctx, borrower, "borrower", collateral.token, collateral.amount)
    elif isinstance(collateral, AssetCollateral):
        owner = tokens.asset_owner(view, ctx, collateral.asset_id)
        if owner is None:
            raise InvalidCollateral(
                f"collateral asset {collateral.asset_id!r} is not registered in the assets module"
            )
        if owner != borrower:
            raise InvalidCollateral(
                f"collateral asset {collateral.asset_id!r} is owned by {owner.hex()}, not by "
                f"the borrower {borrower.hex()}"
            )


def verify_party_room(view: TxView, address: Address, role: Role) -> None:
    count = get_stats(view, address, role).total
    if count >= limits.loans_per_party_max:
        raise TooMany(
            f"{address.hex()} has {count} loans as {role.name.lower()}, the most one account "
            f"may ({limits.loans_per_party_max:,})"
        )


# --- state changes --------------------------------------------------------------------------


def process_add_escrow(view: TxView, token: str, delta: int) -> None:
    # An update read: the total flows only into its own new value and decides nothing.
    key = escrow_key(token)
    raw = view.get_to_update(key)
    # No assert here: a pending transaction's speculative view may hold a stale total (an
    # update read); the committed totals are checked at every commit (invariants.py).
    total = (0 if raw is None else codec.decode(raw, int)) + delta
    view.set(key, encode_int(total))


def process_escrow_collateral(
    view: TxView, ctx: TxContext, loan_id: str, borrower: Address, collateral: Collateral | None
) -> None:
    if isinstance(collateral, TokenCollateral):
        tokens.transfer(view, ctx, borrower, ESCROW, collateral.token, collateral.amount)
        process_add_escrow(view, collateral.token, collateral.amount)
    elif isinstance(collateral, AssetCollateral):
        tokens.transfer_asset(view, ctx, borrower, ESCROW, collateral.asset_id)
        view.set(escrow_asset_key(collateral.asset_id), codec.encode(loan_id))


def process_count(view: TxView, address: Address, role: Role, counts: StatusCounts) -> None:
    view.set(stats_key(address, role), codec.encode(counts))


def process_index_party(view: TxView, loan_id: str, address: Address, role: Role) -> None:
    counts = get_stats(view, address, role)
    view.set(party_key(address, role, counts.total), codec.encode(loan_id))
    process_count(
        view,
        address,
        role,
        StatusCounts(
            counts.total + 1, counts.active + 1, counts.repaid, counts.forgiven, counts.defaulted
        ),
    )


def process_open_loan(
    view: TxView,
    ctx: TxContext,
    loan_id: str,
    lender: Address,
    borrower: Address,
    terms: Terms,
    source: Address,
    offer_tx_hash: Hash,
) -> list[Event]:
    """Escrow the collateral, disburse the principal from `source` (the lender, or the
    escrow of its offer), record the loan and index it in both parties' credit records."""
    process_escrow_collateral(view, ctx, loan_id, borrower, terms.collateral)
    tokens.transfer(view, ctx, source, borrower, terms.token, terms.principal)
    record = compute_new_loan(
        lender, borrower, terms, ctx.height, ctx.time_ms, ctx.tx_hash, offer_tx_hash
    )
    view.set(loan_key(loan_id), codec.encode(record))
    process_index_party(view, loan_id, lender, Role.LENDER)
    process_index_party(view, loan_id, borrower, Role.BORROWER)
    attributes = [
        *compute_party_attributes(loan_id, lender, borrower),
        ("token", terms.token),
        ("principal", str(terms.principal)),
        ("due_height", str(compute_final_due_height(terms, ctx.height))),
        *compute_collateral_attributes(terms.collateral),
    ]
    return [Event(MODULE_NAME, "created", attributes)]


def process_create(view: TxView, ctx: TxContext, action: Create) -> list[Event]:
    """An agreement both parties signed, disbursed in the same transaction."""
    terms = get_terms(action)
    verify_loan_id(action.loan_id)
    verify_terms(terms)
    verify_parties(action.lender, action.borrower)
    verify_signed(ctx, action.lender, action.borrower)
    verify_native_payers(ctx, action.lender, action.borrower, terms)
    verify_id_free(view, action.loan_id)
    verify_token_known(view, ctx, terms.token, "the principal's")
    verify_party_room(view, action.lender, Role.LENDER)
    verify_party_room(view, action.borrower, Role.BORROWER)
    verify_collateral(view, ctx, action.borrower, terms.collateral)
    verify_holds(view, ctx, action.lender, "lender", terms.token, terms.principal)
    return process_open_loan(
        view, ctx, action.loan_id, action.lender, action.borrower, terms, action.lender, b""
    )


def process_offer(view: TxView, ctx: TxContext, action: Offer) -> list[Event]:
    """The sender offers a loan to `borrower`; its principal goes into escrow now."""
    terms = get_terms(action)
    lender = ctx.sender
    verify_loan_id(action.loan_id)
    verify_terms(terms)
    verify_range("open_blocks", action.open_blocks, 1, limits.offer_blocks_max)
    verify_parties(lender, action.borrower)
    verify_id_free(view, action.loan_id)
    verify_token_known(view, ctx, terms.token, "the principal's")
    if isinstance(terms.collateral, TokenCollateral):
        verify_token_known(view, ctx, terms.collateral.token, "the collateral's")
    open_offers = get_uint(view, open_offers_key(lender))
    if open_offers >= limits.open_offers_per_lender_max:
        raise TooMany(
            f"lender {lender.hex()} has {open_offers} open offers, the most one lender may "
            f"({limits.open_offers_per_lender_max}); withdraw one first"
        )
    verify_holds(view, ctx, lender, "lender", terms.token, terms.principal)
    tokens.transfer(view, ctx, lender, ESCROW, terms.token, terms.principal)
    process_add_escrow(view, terms.token, terms.principal)
    expires_height = ctx.height + action.open_blocks
    record = OfferRecord(
        lender=lender,
        borrower=action.borrower,
        terms=terms,
        height=ctx.height,
        expires_height=expires_height,
        tx_hash=ctx.tx_hash,
        status=OfferStatus.OPEN,
        closed_height=0,
    )
    view.set(offer_key(action.loan_id), codec.encode(record))
    view.set(open_offers_key(lender), encode_int(open_offers + 1))
    attributes = [
        *compute_party_attributes(action.loan_id, lender, action.borrower),
        ("token", terms.token),
        ("principal", str(terms.principal)),
        ("expires_height", str(expires_height)),
    ]
    return [Event(MODULE_NAME, "offered", attributes)]


def verify_open_offer(view: TxView, ctx: TxContext, loan_id: str) -> OfferRecord:
    offer = get_offer(view, loan_id)
    if offer is None:
        raise UnknownOffer(f"no offer has id {loan_id!r}")
    if offer.status is not OfferStatus.OPEN:
        how = "accepted" if offer.status is OfferStatus.ACCEPTED else "withdrawn"
        raise OfferClosed(f"offer {loan_id!r} was {how} at height {offer.closed_height}")
    return offer


def process_close_offer(
    view: TxView, ctx: TxContext, loan_id: str, offer: OfferRecord, status: OfferStatus
) -> None:
    closed = msgspec.structs.replace(offer, status=status, closed_height=ctx.height)
    view.set(offer_key(loan_id), codec.encode(closed))
    count = get_uint(view, open_offers_key(offer.lender))
    assert count >= 1, (offer.lender.hex(), count)
    view.set(open_offers_key(offer.lender), encode_int(count - 1))
    process_add_escrow(view, offer.terms.token, -offer.terms.principal)


def process_accept(view: TxView, ctx: TxContext, action: Accept) -> list[Event]:
    """The offer's borrower accepts it: the loan starts with the offer's terms."""
    offer = verify_open_offer(view, ctx, action.loan_id)
    if ctx.height > offer.expires_height:
        raise OfferClosed(
            f"offer {action.loan_id!r} could be accepted up to height {offer.expires_height}; "
            f"this is height {ctx.height} (the lender may withdraw it)"
        )
    if ctx.sender != offer.borrower:
        raise NotBorrower(
            f"offer {action.loan_id!r} is made to {offer.borrower.hex()}; {ctx.sender.hex()} "
            "may not accept it"
        )
    verify_party_room(view, offer.lender, Role.LENDER)
    verify_party_room(view, offer.borrower, Role.BORROWER)
    verify_collateral(view, ctx, offer.borrower, offer.terms.collateral)
    process_close_offer(view, ctx, action.loan_id, offer, OfferStatus.ACCEPTED)
    return process_open_loan(
        view, ctx, action.loan_id, offer.lender, offer.borrower, offer.terms, ESCROW,
        offer.tx_hash,
    )


def process_withdraw_offer(view: TxView, ctx: TxContext, action: WithdrawOffer) -> list[Event]:
    """The lender takes back an offer nobody accepted, and its principal."""
    offer = verify_open_offer(view, ctx, action.loan_id)
    if ctx.sender != offer.lender:
        raise NotLender(
            f"offer {action.loan_id!r} is {offer.lender.hex()}'s; {ctx.sender.hex()} may not "
            "withdraw it"
        )
    process_close_offer(view, ctx, action.loan_id, offer, OfferStatus.WITHDRAWN)
    tokens.transfer(view, ctx, ESCROW, offer.lender, offer.terms.token, offer.terms.principal)
    attributes = compute_party_attributes(action.loan_id, offer.lender, offer.borrower)
    return [Event(MODULE_NAME, "offer_withdrawn", attributes)]


__all__ = [
    "ESCROW",
    "LOAN_ID_PATTERN",
    "compute_collateral_attributes",
    "compute_party_attributes",
    "describe_token",
    "process_accept",
    "process_add_escrow",
    "process_count",
    "process_create",
    "process_offer",
    "process_open_loan",
    "process_withdraw_offer",
    "verify_collateral",
    "verify_holds",
    "verify_id_free",
    "verify_loan_id",
    "verify_parties",
    "verify_signed",
]
