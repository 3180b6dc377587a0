"""The invoice module's simulated clients: buyers paying a taxpayer shop's invoices, the shop
voiding numbers, employers reimbursing paid invoices, and the refusals that must change
nothing but the nonce.

The shop is a simulated account the simulator registers as a "taxpayer" institution
(apps/base.py InstitutionWorkload; sim/institutions.py may register it late or revoke it
during a run, and the chain then refuses its invoices, as it should). Its key is the
simulator's, so its offers are authorised by its co-signature (apps/base.py
CosigningWorkload: the buyer's `invoice.pay` carries the offer with no signature and the
shop's account co-signs), and a claim by another account is co-signed by the invoice's buyer.
Success paths: invoice.paid in the native coin, invoice.voided, invoice.reimbursed. Refusals,
on purpose: an invoice paid twice (invoice.already_paid), a voided number paid
(invoice.voided), a second claim (invoice.already_reimbursed), an offer to another buyer
(invoice.wrong_buyer), an expired one, one neither signed nor co-signed
(invoice.not_cosigned), one signed by a key of no taxpayer (invoice.not_a_taxpayer), one
changed after it was signed (invoice.bad_signature), a void by an account that is no
taxpayer, claims of unknown invoices and by the buyer itself (invoice.invalid_party).
Signed offers of a registered seller need the seller's private key off chain, which a
simulated institution's is not: the unit, property and end-to-end tests cover that path.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng, SimInstitution
from chainbook.apps.invoice.actions import Line, Offer, Pay, Reimburse, Void
from chainbook.apps.invoice.offer import compute_invoice_id, sign_offer
from chainbook.crypto import PrivateKey, address_from_public_key
from chainbook.types import Address

TAXPAYER = "taxpayer"
STRANGER_KEY = PrivateKey.from_label("sim-invoice-stranger")
"""Signs offers for a seller it is no key of: refused (invoice.not_a_taxpayer)."""
CHAIN_ID = "chainbook-sim"
"""The simulator's chain id (sim/simulator.py CHAIN_ID): what signed offers are signed for."""
OPEN_UNTIL = 2**40
REMEMBERED_MAX = 64
RATES_BPS = (0, 600, 900, 1300)


class InvoiceWorkload:
    def __init__(self, chain_id: str = CHAIN_ID) -> None:
        self.chain_id = chain_id
        self.shops: list[SimInstitution] = []
        self.numbers = 0
        self.paid: dict[str, Address] = {}
        """Invoice id -> its buyer, of the payments that succeeded (to pay again, to claim)."""
        self.voided: list[tuple[SimInstitution, str]] = []
        """(shop, number) of the voids sent."""
        self.cosigned: dict[str, Address] = {}
        """Invoice id -> who co-signs the next transaction that names it (the shop for a
        payment, the buyer for a claim); absent: nobody (a refusal meant)."""

    def institution_roles(self) -> list[list[str]]:
        return [[TAXPAYER]]

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        self.shops = [i for i in institutions if TAXPAYER in i.roles]

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def cosigners(self, sender: Address, action: msgspec.Struct) -> Sequence[Address]:
        """The shop co-signs its unsigned offers' payments, the buyer its invoice's claim
        (apps/base.py CosigningWorkload)."""
        if isinstance(action, Pay) and not action.signature:
            invoice_id = compute_invoice_id(action.offer.seller, action.offer.number)
        elif isinstance(action, Reimburse):
            invoice_id = action.invoice
        else:
            return []
        cosigner = self.cosigned.get(invoice_id)
        return [cosigner] if cosigner is not None and cosigner != sender else []

    def _offer(self, rng: Rng, shop: SimInstitution, buyer: Address, number: str = "",
               valid_until: int = OPEN_UNTIL) -> Offer:
        if not number:
            self.numbers += 1
            number = f"S{self.numbers}"
        lines = [
            Line(f"item {i}", rng.randint(1, 5), rng.randint(1, 1_000), rng.choice(RATES_BPS))
            for i in range(rng.randint(1, 3))
        ]
        return Offer(shop.id, number, shop.public_key, buyer, shop.address, "", lines,
                     valid_until)

    def _cosigned_pay(self, offer: Offer) -> Pay:
        self.cosigned[compute_invoice_id(offer.seller, offer.number)] = address_from_public_key(
            offer.seller_key)
        return Pay(offer)

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        if not self.shops:
            return None
        shop: SimInstitution = rng.choice(self.shops)
        if sender == shop.address:
            return self._as_shop(shop)
        draw = rng.random()
        if draw < 0.45:
            buyer = sender if rng.random() < 0.7 else b""  # "": whoever pays
            return self._cosigned_pay(self._offer(rng, shop, buyer))
        if draw < 0.55 and self.paid:
            invoice_id, buyer = rng.choice(sorted(self.paid.items()))
            if buyer != sender:
                self.cosigned[invoice_id] = buyer
            return Reimburse(invoice_id, rng.choice([0, 1]))  # first ok, then refused
        if draw < 0.6 and self.paid:
            seller, _, number = rng.choice(sorted(self.paid)).partition("/")
            match = next((s for s in self.shops if s.id == seller), shop)
            return self._cosigned_pay(self._offer(rng, match, b"", number))  # paid already
        if draw < 0.67 and self.voided:
            voided, number = rng.choice(self.voided)
            return self._cosigned_pay(self._offer(rng, voided, sender, number))  # voided
        return self._refused(rng, shop, sender, accounts)

    def _as_shop(self, shop: SimInstitution) -> msgspec.Struct:
        self.numbers += 1
        number = f"V{self.numbers}"
        if len(self.voided) < REMEMBERED_MAX:
            self.voided.append((shop, number))
        return Void(number, "printed in error")

    def _refused(self, rng: Rng, shop: SimInstitution, sender: Address,
                 accounts: Sequence[Address]) -> msgspec.Struct:
        draw = rng.random()
        others = [a for a in accounts if a not in (sender, shop.address)]
        if draw < 0.15 and others:
            return self._cosigned_pay(self._offer(rng, shop, rng.choice(others)))  # wrong buyer
        if draw < 0.3:
            return self._cosigned_pay(self._offer(rng, shop, sender, valid_until=0))  # expired
        if draw < 0.45:
            return Pay(self._offer(rng, shop, sender))  # neither signed nor co-signed
        if draw < 0.6:
            offer = msgspec.structs.replace(self._offer(rng, shop, sender),
                                            seller_key=STRANGER_KEY.public_key)
            return Pay(offer, sign_offer(STRANGER_KEY, self.chain_id, offer))  # no taxpayer
        if draw < 0.7:
            offer = self._offer(rng, shop, sender)
            changed = msgspec.structs.replace(offer, valid_until_height=OPEN_UNTIL + 1)
            return Pay(changed, sign_offer(STRANGER_KEY, self.chain_id, offer))  # bad signature
        if draw < 0.8:
            return Void(f"X{rng.randint(0, 99)}", "not mine")  # no taxpayer
        if draw < 0.9 and self.paid:
            mine = [i for i, buyer in self.paid.items() if buyer == sender]
            if mine:
                return Reimburse(rng.choice(sorted(mine)))  # its own invoice: refused
        return Reimburse(f"{shop.id}/NOSUCH{rng.randint(0, 9)}")

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if ok and isinstance(action, Pay) and len(self.paid) < REMEMBERED_MAX:
            self.paid[compute_invoice_id(action.offer.seller, action.offer.number)] = sender


__all__ = ["CHAIN_ID", "InvoiceWorkload"]
