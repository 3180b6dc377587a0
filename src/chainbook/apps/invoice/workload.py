"""The invoice module's simulated clients: buyers paying a shop's signed offers, and the
refusals that must change nothing but the nonce.

The shop is a taxpayer institution the workload registers at genesis
(apps/institutions.py KeyedInstitutionWorkload) with a key only the workload holds: it signs the
offers off chain, as a shop's till does, and the simulated accounts pay them (success paths:
invoice.paid through the bank, in the native coin). Then, deliberately: an offer paid twice
(invoice.already_paid), an offer to another buyer (invoice.wrong_buyer), an expired one, one
changed after it was signed (invoice.bad_signature), one neither signed nor co-signed
(invoice.not_cosigned), a void by an account that is no taxpayer (invoice.not_a_taxpayer),
claims without the buyer's co-signature (invoice.not_cosigned, or invoice.invalid_party when
the buyer claims its own) and claims of unknown invoices. Co-signed transactions (the seller
co-signing a payment, the buyer a claim) and voids by the shop need a second key in one
transaction, which the simulated clients do not sign: the unit, property and end-to-end tests
cover them.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.institutions import GenesisInstitutionSpec
from chainbook.apps.invoice.actions import Line, Offer, Pay, Reimburse, Void
from chainbook.apps.invoice.offer import compute_invoice_id, sign_offer
from chainbook.crypto import PrivateKey
from chainbook.types import Address

SHOP = "sim-shop"
SHOP_KEY = PrivateKey.from_label("sim-invoice-shop")
TILL = PrivateKey.from_label("sim-invoice-till").address
"""The shop's receiving account (pay_to)."""
CHAIN_ID = "chainbook-sim"
"""The simulator's chain id (sim/simulator.py CHAIN_ID): what the shop signs offers for."""
OPEN_UNTIL = 2**40
REMEMBERED_MAX = 64
RATES_BPS = (0, 600, 900, 1300)


class InvoiceWorkload:
    def __init__(self, chain_id: str = CHAIN_ID) -> None:
        self.chain_id = chain_id
        self.numbers = 0
        self.paid: list[tuple[Pay, Address]] = []
        """Payments that succeeded (to pay again, to claim), with their buyer."""

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def genesis_institutions(self) -> list[GenesisInstitutionSpec]:
        return [GenesisInstitutionSpec(SHOP, "Simulated shop", ["taxpayer"],
                                       [SHOP_KEY.public_key])]

    def _offer(self, rng: Rng, buyer: Address, valid_until: int = OPEN_UNTIL) -> Offer:
        self.numbers += 1
        lines = [
            Line(f"item {i}", rng.randint(1, 5), rng.randint(1, 1_000), rng.choice(RATES_BPS))
            for i in range(rng.randint(1, 3))
        ]
        return Offer(SHOP, f"S{self.numbers}", SHOP_KEY.public_key, buyer, TILL, "", lines,
                     valid_until)

    def _signed(self, offer: Offer) -> Pay:
        return Pay(offer, sign_offer(SHOP_KEY, self.chain_id, offer))

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        if draw < 0.5:
            buyer = sender if rng.random() < 0.7 else b""  # "": whoever pays
            return self._signed(self._offer(rng, buyer))
        if draw < 0.6 and self.paid:
            again: Pay = rng.choice(self.paid)[0]
            return again  # paid already: refused
        if draw < 0.65:
            others = [a for a in accounts if a != sender]
            if others:
                return self._signed(self._offer(rng, rng.choice(others)))  # wrong buyer
        if draw < 0.7:
            return self._signed(self._offer(rng, sender, valid_until=0))  # expired
        if draw < 0.75:
            signed = self._signed(self._offer(rng, sender))
            changed = msgspec.structs.replace(signed.offer, pay_to=sender[::-1])
            return Pay(changed, signed.signature)  # changed after signing
        if draw < 0.8:
            return Pay(self._offer(rng, sender))  # unsigned, not co-signed
        if draw < 0.85:
            return Void(f"V{rng.randint(0, 99)}", "simulated")  # no taxpayer
        if draw < 0.95 and self.paid:
            pay, _ = rng.choice(self.paid)
            invoice_id = compute_invoice_id(pay.offer.seller, pay.offer.number)
            return Reimburse(invoice_id, 0)  # the buyer does not co-sign: refused
        return Reimburse(f"{SHOP}/NOSUCH{rng.randint(0, 9)}", 0)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if ok and isinstance(action, Pay) and len(self.paid) < REMEMBERED_MAX:
            self.paid.append((action, sender))


__all__ = ["SHOP", "SHOP_KEY", "TILL", "InvoiceWorkload"]
