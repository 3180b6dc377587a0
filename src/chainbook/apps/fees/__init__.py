"""The fees module: a minimum fee per byte, paid by the sender in the native coin and burnt."""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.chain_governance import ParamSpec
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
    charges_fees=FeeRule(
        _process.get_min_fee_per_byte, _process.charge, _process.MIN_FEE_PER_BYTE_PARAM
    ),
    params=(
        ParamSpec(
            _process.MIN_FEE_PER_BYTE_PARAM,
            0,
            0,
            LIMITS["min_fee_per_byte_max"],
            "least fee per signed byte of a transaction, burnt (0: no fee needed)",
        ),
    ),
    genesis_params=_process.get_genesis_params,
)

__all__ = ["MODULE", "CannotPayFee", "FeeTooLow", "FeesGenesis", "FeesParamsView", "MinimumFee"]
