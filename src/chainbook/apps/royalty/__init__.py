"""The royalty module: creators paid in real time.

A rights manager (an institution governance registers in the role "rights_manager": a label,
a publisher, a collecting society) registers a work with its split table (holders and their
shares in basis points, summing to 10,000), its prices per use kind and the token payments are
in (the native coin "" or a token issued in the assets module). A payment for uses of the
work is split to every holder in the same transaction (largest-remainder rounding: the parts
sum to the amount, each within one unit of its exact share); changing the split needs the
signatures of every holder whose share falls (a multi-signer transaction). Statements per work
and per holder cover any period of heights in O(log n) reads, provably.

Funds move only through chainbook.apps.tokens; the module reads the institution registry
through the governance export (apps/institutions.py); it offers no exports of its own.
"""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.royalty import process as _process
from chainbook.apps.royalty.actions import (
    ACTIONS,
    ChangeSplit,
    Pay,
    Price,
    Register,
    SetPrices,
    Share,
)
from chainbook.apps.royalty.errors import ERRORS
from chainbook.apps.royalty.genesis import (
    GenesisPrice,
    GenesisShare,
    GenesisWork,
    RoyaltyGenesis,
    verify_royalty_genesis,
)
from chainbook.apps.royalty.invariants import assert_invariants
from chainbook.apps.royalty.limits import LIMITS
from chainbook.apps.royalty.queries import QUERIES
from chainbook.apps.royalty.rules import compute_allocation
from chainbook.apps.royalty.state import MODULE_NAME
from chainbook.apps.royalty.workload import RoyaltyWorkload

MODULE = Module(
    name=MODULE_NAME,
    summary="Royalties paid in real time: works with split tables, payments split to every "
    "holder at once, split changes co-signed by the holders who lose.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(RoyaltyGenesis, _process.process_genesis, verify_royalty_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=RoyaltyWorkload,
    assert_invariants=assert_invariants,
)

__all__ = [
    "MODULE",
    "ChangeSplit",
    "GenesisPrice",
    "GenesisShare",
    "GenesisWork",
    "Pay",
    "Price",
    "Register",
    "RoyaltyGenesis",
    "SetPrices",
    "Share",
    "compute_allocation",
]
