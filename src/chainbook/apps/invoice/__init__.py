"""The invoice module: e-invoices that join the flow of money and the flow of invoices (the
Shenzhen model).

A seller registered in governance as a "taxpayer" institution hands its buyer an offer (the
invoice's draft: lines, tax rates, token, the account paid, the buyer or anyone, a last
height); the buyer's `invoice.pay` carries it, with the seller key's signature over its sign
bytes or with that key co-signing the transaction, and pays its total through
apps/tokens.py in the same transaction: the invoice exists exactly when its payment does.
The seller voids a number before it is paid; an employer or insurer reimburses a paid
invoice once, with the buyer's co-signature, and a second claim is refused naming the first.
Tax authorities (and anyone: the state is public) list invoices by seller, buyer and period
and total a seller's invoices per token and period, provably.

No genesis section: an invoice is a payment made on this chain; importing "paid" invoices
without their payments would break the rule the module keeps.
"""

from chainbook.apps.base import Module
from chainbook.apps.invoice import process as _process
from chainbook.apps.invoice.actions import ACTIONS, Line, Offer, Pay, Reimburse, Void
from chainbook.apps.invoice.errors import ERRORS
from chainbook.apps.invoice.invariants import assert_invariants
from chainbook.apps.invoice.limits import LIMITS
from chainbook.apps.invoice.offer import (
    compute_amounts,
    compute_invoice_id,
    compute_line_tax,
    compute_lines_hash,
    compute_offer_sign_bytes,
    is_offer_signed,
    sign_offer,
)
from chainbook.apps.invoice.queries import QUERIES
from chainbook.apps.invoice.state import MODULE_NAME
from chainbook.apps.invoice.workload import InvoiceWorkload

MODULE = Module(
    name=MODULE_NAME,
    summary="E-invoices issued and paid in one transaction by registered taxpayers, voided "
    "before payment, reimbursed once; listed and totalled for tax authorities.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    errors=ERRORS,
    limits=LIMITS,
    workload=InvoiceWorkload,
    assert_invariants=assert_invariants,
)

__all__ = [
    "MODULE",
    "Line",
    "Offer",
    "Pay",
    "Reimburse",
    "Void",
    "compute_amounts",
    "compute_invoice_id",
    "compute_line_tax",
    "compute_lines_hash",
    "compute_offer_sign_bytes",
    "is_offer_signed",
    "sign_offer",
]
