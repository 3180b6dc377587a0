"""What the ledger asks of the one module that governs the chain, and the parameters it keeps.

Rules kept:
- At most one module of a registry governs the chain (`Module.governs`, checked by the
  registry; apps/governance is that module). Through these hooks the ledger and consensus read
  from the ledger state, never from a node's config:
      validator_set(view, height)   the set of `height`, and the height it took effect
      set_heights(view, up_to)      every height <= up_to from which a set took effect (1
                                    first), for the chain of validator-set changes
      params(view, height)          every chain parameter's value at `height`
      verify_evidence(view, block_height, evidence)   refuses evidence the module would not
                                    accept (too old, an offence already punished)
  and the module applies the evidence a block carries in its begin_block (BlockContext.evidence).
  A registry without a governing module keeps the genesis validators and parameters for ever.
- Heights: the hooks answer for every height up to the committed height + 2 from the committed
  state alone (a change that passes in block H takes effect at H + 2 at the earliest), so the
  set and the parameters of the next height are known before it starts and the header of
  block h can name the set of h + 1 (ledger/validators.py).
- A parameter is an integer with a declared range (`ParamSpec`). Modules declare theirs in
  their manifest (`Module.params`, names `<module>.<name>`); the governing module also
  declares the consensus ones (`consensus.<field of ConsensusParams>`). Every value ever in
  effect lies in its range: governance refuses a change outside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

import msgspec

from chainbook.apps.base import KVReader, KVStore
from chainbook.chain.evidence import DuplicateVoteEvidence
from chainbook.chain.validators import Validator
from chainbook.types import Height


class ParamSpec(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """A chain parameter governance may change at run time: an integer within a range."""

    name: str
    """`<module>.<name>` (or `consensus.<field>`), unit last (`timeout_commit_ms`)."""
    default: int
    """Its value at genesis (the consensus ones: the genesis file's `consensus` section)."""
    minimum: int
    maximum: int
    summary: str = ""

    def is_allowed(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum


class ParamRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The request of the governing module's `param` query, here so that any module can ask
    for its own parameters without importing governance:
    `ctx.ask("governance", "param", ParamRequest(name, height))`."""

    name: str
    height: Annotated[int, msgspec.Meta(ge=0)] = 0
    """0: the committed height; at most the committed height + 2."""


class ParamValue(msgspec.Struct, frozen=True):
    name: str
    value: int
    height: Height


class ValidatorSetEntry(msgspec.Struct, frozen=True):
    """The validator set in effect at a height, and the first height it was in effect."""

    from_height: Height
    validators: list[Validator]


InitFn = Callable[[KVStore, Sequence[Validator], Sequence[ParamSpec]], None]
"""init(view, genesis validators, every declared parameter with its genesis value)."""
ValidatorSetFn = Callable[[KVReader, Height], ValidatorSetEntry]
SetHeightsFn = Callable[[KVReader, Height], list[Height]]
ParamsFn = Callable[[KVReader, Height], dict[str, int]]
VerifyEvidenceFn = Callable[[KVReader, Height, DuplicateVoteEvidence], None]
"""verify_evidence(view, block_height, evidence): raises chain.evidence.InvalidEvidence."""


@dataclass(frozen=True, slots=True)
class ChainGovernance:
    """The hooks of the governing module (see the module docstring)."""

    init: InitFn
    """Called once at genesis, after every module's genesis section is written."""
    validator_set: ValidatorSetFn
    set_heights: SetHeightsFn
    params: ParamsFn
    verify_evidence: VerifyEvidenceFn


__all__ = [
    "ChainGovernance",
    "InitFn",
    "ParamRequest",
    "ParamSpec",
    "ParamValue",
    "ParamsFn",
    "SetHeightsFn",
    "ValidatorSetEntry",
    "ValidatorSetFn",
    "VerifyEvidenceFn",
]
