"""The validator set and the consensus parameters of every height, read from the ledger state.

Rules kept:
- The module that governs the chain (Registry.governor, apps/chain_governance.py) keeps the
  validator sets and the parameters in its state; the ledger reads them through its hooks and
  never from a node's config. A registry without one keeps the genesis set and the genesis
  `consensus` parameters at every height.
- On a state at committed height c, the set and the parameters of every height <= c + 2 are
  final (a change passing in block c + 1 takes effect at c + 3 at the earliest), so consensus
  at height c + 1 knows its own set, the next height's (the header names it as
  next_validators_hash), and the past sets that signed earlier commits and evidence. Asking
  beyond c + 2 is a bug (an assertion).
- At genesis the governing module is given the genesis validators and every declared
  parameter (registry.param_specs) with its genesis value: the `consensus` section of the
  genesis file for the `consensus.<field>` ones, the declared default for the others.
- A set is built into a ValidatorSet (hash, proposer schedule) once per from-height and kept:
  the set that took effect at a height never changes afterwards (asserted on every reuse).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from chainbook.apps.base import PrefixedReader
from chainbook.apps.chain_governance import ParamSpec
from chainbook.apps.registry import Registry
from chainbook.chain.genesis import ConsensusParams, Genesis
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.types import Height

if TYPE_CHECKING:
    from chainbook.ledger.state import LedgerState

CONSENSUS_PREFIX = "consensus."
SETS_CACHED_MAX = 64
"""ValidatorSets kept per chain view (a set is rebuilt when it falls out)."""


def get_genesis_param_specs(genesis: Genesis, registry: Registry) -> list[ParamSpec]:
    """Every declared parameter, its default replaced by its genesis value (the consensus
    section's, or the one its module reads from its genesis section: Module.genesis_params)."""
    from_sections: dict[str, int] = {}
    for module in registry.modules:
        if module.genesis_params is not None and module.name in genesis.app_state:
            from_sections.update(module.genesis_params(genesis.app_state[module.name]))
    specs = []
    for spec in registry.param_specs:
        if spec.name.startswith(CONSENSUS_PREFIX):
            value = getattr(genesis.consensus, spec.name.removeprefix(CONSENSUS_PREFIX))
            spec = msgspec.structs.replace(spec, default=value)
        elif spec.name in from_sections:
            spec = msgspec.structs.replace(spec, default=from_sections[spec.name])
        specs.append(spec)
    return specs


class GovernedChain:
    """Reads the validator sets and parameters of a genesis's chain out of ledger states."""

    def __init__(self, genesis: Genesis) -> None:
        self.genesis = genesis
        self._sets: dict[Height, tuple[list[Validator], ValidatorSet]] = {}

    def get_validators(self, state: LedgerState, height: Height) -> ValidatorSet:
        """The validator set of `height` (1 <= height <= state.height + 2)."""
        assert 1 <= height <= state.height + 2, (height, state.height)
        governor = state.registry.governor
        if governor is None or governor.governs is None:
            return self.genesis.validator_set
        view = PrefixedReader(state.kv, governor.prefix)
        entry = governor.governs.validator_set(view, height)
        cached = self._sets.get(entry.from_height)
        if cached is not None:
            assert cached[0] == entry.validators, (
                f"the validator set from height {entry.from_height} changed after the fact"
            )
            return cached[1]
        validators = ValidatorSet(entry.validators)
        if len(self._sets) >= SETS_CACHED_MAX:
            self._sets.clear()
        self._sets[entry.from_height] = (entry.validators, validators)
        return validators

    def get_validator_changes(
        self, state: LedgerState, to_height: Height
    ) -> list[tuple[Height, ValidatorSet]]:
        """Each (h, set) where header h announces `set` as the set of h + 1 and it differs from
        the set of h, for h < `to_height` (and h <= the committed height: a header that
        exists), oldest first: the chain of changes a light client follows from the genesis
        set (each hop: header h, its commit, the new set; see DESIGN.md, Proofs)."""
        governor = state.registry.governor
        if governor is None or governor.governs is None:
            return []
        last = min(to_height - 1, state.height)
        view = PrefixedReader(state.kv, governor.prefix)
        changes = []
        previous = self.get_validators(state, 1)
        for start in governor.governs.set_heights(view, last + 1):
            if start == 1:
                continue
            validators = self.get_validators(state, start)
            if validators.hash != previous.hash:
                changes.append((start - 1, validators))
            previous = validators
        return changes

    def get_params(self, state: LedgerState, height: Height) -> dict[str, int]:
        """Every governed parameter's value at `height` (empty without a governing module)."""
        assert 1 <= height <= state.height + 2, (height, state.height)
        governor = state.registry.governor
        if governor is None or governor.governs is None:
            return {}
        return governor.governs.params(PrefixedReader(state.kv, governor.prefix), height)

    def get_consensus_params(self, state: LedgerState, height: Height) -> ConsensusParams:
        """The genesis consensus parameters with governance's values at `height` applied."""
        changes = {
            name.removeprefix(CONSENSUS_PREFIX): value
            for name, value in self.get_params(state, height).items()
            if name.startswith(CONSENSUS_PREFIX)
        }
        params = self.genesis.consensus
        if all(getattr(params, name) == value for name, value in changes.items()):
            return params
        return msgspec.structs.replace(params, **changes)


__all__ = ["CONSENSUS_PREFIX", "GovernedChain", "get_genesis_param_specs"]
