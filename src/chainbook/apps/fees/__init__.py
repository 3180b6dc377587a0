"""The fees module: a minimum fee per byte, paid by the sender in the native coin and burnt."""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.fee_rule import FeeRule
from chainbook.apps.fees import process as _process
from chainbook.apps.fees.errors import ERRORS, CannotPayFee, FeeTooLow
from chainbook.apps.fees.genesis import FeesGenesis, verify_fees_genesis
from chainbook.apps.fees.limits import LIMITS
from chainbook.apps.fees.queries import QUERIES, FeesParamsView, MinimumFee
from chainbook.apps.fees.workload import FeesWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary=(
        "Spam resistance: every transaction pays at least a minimum fee per signed byte, "
        "burnt from its sender (0 on a private consortium)."
    ),
    actions=(),
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(FeesGenesis, _process.process_genesis, verify_fees_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=FeesWorkload,
    charges_fees=FeeRule(_process.get_min_fee_per_byte, _process.charge),
)

__all__ = ["MODULE", "CannotPayFee", "FeeTooLow", "FeesGenesis", "FeesParamsView", "MinimumFee"]
