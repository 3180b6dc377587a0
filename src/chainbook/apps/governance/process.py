"""Governance's entry points: the actions, the start of each block, genesis, and the chain hooks.

    process(view, ctx, action)        governance.propose | governance.vote | governance.withdraw
    process_begin_block(view, ctx)    at every height h, in this order:
                                      1. the changes due at h take effect (schedule.py)
                                      2. the block's evidence is recorded and punished
                                         (evidence.py; removals take effect at h + 2)
                                      3. proposals whose deadline is behind h expire
    process_genesis(view, section)    proposers and institutions of the genesis section
    process_chain_init(view, validators, params)
                                      the genesis validator set (stored as the set from
                                      height 1) and every declared parameter with its range
                                      and genesis value (ChainGovernance.init)

Which module the validator set and the parameters come from is a rule of the ledger
(apps/chain_governance.py): this module is the one that governs the chain.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import BlockContext, KVStore, TxContext
from chainbook.apps.chain_governance import ParamSpec
from chainbook.apps.governance.actions import CastVote, Propose, Withdraw
from chainbook.apps.governance.evidence import process_evidence
from chainbook.apps.governance.genesis import GovernanceGenesis
from chainbook.apps.governance.institutions import process_register
from chainbook.apps.governance.proposals import (
    process_expiry,
    process_propose,
    process_vote,
    process_withdraw,
)
from chainbook.apps.governance.schedule import MODULE_NAME, process_due_changes
from chainbook.apps.governance.state import (
    NEXT_PROPOSAL_ID_KEY,
    PARAM_SPECS_KEY,
    PARAMS_KEY,
    PROPOSERS_KEY,
    write,
    write_int,
)
from chainbook.apps.governance.valset import process_store_set
from chainbook.chain.validators import Validator
from chainbook.ledger.receipts import Event


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """Governance's entry point: dispatch on the action type."""
    match action:
        case Propose():
            return process_propose(view, ctx, action)
        case CastVote():
            return process_vote(view, ctx, action)
        case Withdraw():
            return process_withdraw(view, ctx, action)
    raise AssertionError(f"{MODULE_NAME} received a foreign action {type(action).__name__}")


def process_begin_block(view: KVStore, ctx: BlockContext) -> list[Event]:
    events = process_due_changes(view, ctx.height)
    events += process_evidence(view, ctx)
    events += process_expiry(view, ctx.height)
    return events


def process_genesis(view: KVStore, section: GovernanceGenesis) -> None:
    """The genesis section (checked by genesis.verify_governance_genesis)."""
    write(view, PROPOSERS_KEY, sorted(section.proposer_addresses()))
    for entry in section.institutions:
        process_register(view, entry.id, entry.name, entry.roles, entry.keys(), 0)
    write_int(view, NEXT_PROPOSAL_ID_KEY, 1)


def process_chain_init(
    view: KVStore, validators: Sequence[Validator], params: Sequence[ParamSpec]
) -> None:
    """ChainGovernance.init: the genesis set and every parameter, from the genesis file."""
    process_store_set(view, 1, list(validators))
    write(view, PARAM_SPECS_KEY, list(params))
    write(view, PARAMS_KEY, {spec.name: spec.default for spec in params})


__all__ = ["process", "process_begin_block", "process_chain_init", "process_genesis"]
