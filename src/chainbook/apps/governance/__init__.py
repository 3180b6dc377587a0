"""The governance module: validators join, leave, change power and rotate keys; institutions
are registered; chain parameters change; equivocators lose their power.

A consortium's permissioned flow: a validator (or an allowed account) proposes, validators vote,
> 2/3 of the current power passes it, and the change takes effect at a later height (two heights
after it passes at the earliest). The module governs the chain (apps/chain_governance.py): the
ledger and consensus read the validator set and the parameters of every height from its state.
docs/APPS.md walks through it; the files:

    actions.py       the actions and the kinds of change
    proposals.py     proposing, voting, passing, rejection, expiry, withdrawal
    schedule.py      passed changes and what happens at their activation height
    valset.py        the validator set of every height and the rules a set must keep
    institutions.py  the registry of institutions; roles.py their roles
    params.py        the chain parameters and their ranges
    evidence.py      the evidence policy
    queries.py       the queries, with the institution contract other modules build on;
                     exports.py the same answer for another module's action
    state.py         the records and their keys
"""

from chainbook.apps.base import GenesisSection, Module
from chainbook.apps.chain_governance import ChainGovernance
from chainbook.apps.governance import process as _process
from chainbook.apps.governance.actions import (
    ACTIONS,
    AddValidator,
    CastVote,
    Change,
    Propose,
    RegisterInstitution,
    RemoveValidator,
    RevokeInstitution,
    RotateValidatorKey,
    SetParameter,
    SetProposer,
    SetValidatorPower,
    UpdateInstitution,
    Withdraw,
)
from chainbook.apps.governance.errors import ERRORS
from chainbook.apps.governance.evidence import verify_evidence as _verify_evidence
from chainbook.apps.governance.exports import EXPORTS
from chainbook.apps.governance.genesis import GenesisInstitution, GovernanceGenesis
from chainbook.apps.governance.genesis import verify_governance_genesis as _verify_genesis
from chainbook.apps.governance.limits import LIMITS
from chainbook.apps.governance.params import PARAMS
from chainbook.apps.governance.params import get_param_values as _get_param_values
from chainbook.apps.governance.queries import (
    QUERIES,
    InstitutionAnswer,
    InstitutionRequest,
    InstitutionView,
)
from chainbook.apps.governance.schedule import MODULE_NAME
from chainbook.apps.governance.valset import get_set_heights as _get_set_heights
from chainbook.apps.governance.valset import get_validator_set_entry as _get_validator_set
from chainbook.apps.governance.workload import GovernanceWorkload
from chainbook.apps.institutions import ROLES

MODULE = Module(
    name=MODULE_NAME,
    summary="Validator set changes, the institution registry, chain parameters and evidence.",
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    genesis=GenesisSection(GovernanceGenesis, _process.process_genesis, _verify_genesis),
    errors=ERRORS,
    limits=LIMITS,
    workload=GovernanceWorkload,
    exports=EXPORTS,
    begin_block=_process.process_begin_block,
    params=PARAMS,
    governs=ChainGovernance(
        init=_process.process_chain_init,
        validator_set=_get_validator_set,
        set_heights=_get_set_heights,
        params=_get_param_values,
        verify_evidence=_verify_evidence,
    ),
)

__all__ = [
    "MODULE",
    "ROLES",
    "AddValidator",
    "CastVote",
    "Change",
    "GenesisInstitution",
    "GovernanceGenesis",
    "InstitutionAnswer",
    "InstitutionRequest",
    "InstitutionView",
    "Propose",
    "RegisterInstitution",
    "RemoveValidator",
    "RevokeInstitution",
    "RotateValidatorKey",
    "SetParameter",
    "SetProposer",
    "SetValidatorPower",
    "UpdateInstitution",
    "Withdraw",
]
