"""Loading, checking and writing a genesis file against the modules of a registry.

    genesis = load_genesis(data)            # JSON bytes -> a checked Genesis (ConfigError)
    draft = load_genesis(data, draft=True)  # the same, but the validators may still be none
    data = dump_genesis(genesis)            # a checked Genesis -> readable JSON
    genesis = make_genesis(..., app_state={"bank": BankGenesis(...)})  # in code

Rules kept:
- `app_state` holds exactly one section per module of the registry: a section the file leaves
  out is that module's default, a section for a module the registry does not have is refused
  (another build of chainbook, or a typo): so a node never runs a chain whose state some of its
  modules would not understand, and the genesis hash (chain/genesis.py) covers every module.
- Every refusal is a ConfigError naming the field and the value.
- A draft (a genesis being assembled by `chainbook genesis`, cli/genesis.py) is checked like
  any genesis except that its validator list may still be empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from chainbook import limits
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.genesis import (
    CHAIN_ID_PATTERN,
    EMPTY_BLOCK_INTERVAL_MS_MAX,
    ConsensusParams,
    Genesis,
    GenesisValidator,
)
from chainbook.errors import ConfigError


class _GenesisFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The file as JSON: app_state sections still raw, typed per module afterwards."""

    chain_id: str
    genesis_time_ms: int
    validators: list[GenesisValidator]
    consensus: ConsensusParams = ConsensusParams()
    app_state: dict[str, msgspec.Raw] = {}


def load_genesis(data: bytes, registry: Registry = REGISTRY, *, draft: bool = False) -> Genesis:
    try:
        raw = msgspec.json.decode(data, type=_GenesisFile)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ConfigError(f"genesis file: {exc}") from None
    sections: dict[str, Any] = {}
    for name, section in raw.app_state.items():
        module = registry.get_module(name)
        if module is None or module.genesis is None:
            known = ", ".join(m.name for m in registry.modules if m.genesis is not None)
            raise ConfigError(
                f"genesis app_state.{name}: no module {name!r} with a genesis section in this "
                f"build (modules with one: {known})"
            )
        try:
            sections[name] = msgspec.json.decode(section, type=module.genesis.type)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ConfigError(f"genesis app_state.{name}: {exc}") from None
    genesis = Genesis(
        chain_id=raw.chain_id,
        genesis_time_ms=raw.genesis_time_ms,
        validators=raw.validators,
        consensus=raw.consensus,
        app_state=complete_app_state(sections, registry),
    )
    verify_genesis(genesis, registry, draft=draft)
    return genesis


def dump_genesis(genesis: Genesis) -> bytes:
    return msgspec.json.format(msgspec.json.encode(genesis), indent=2)


def complete_app_state(
    sections: Mapping[str, Any], registry: Registry = REGISTRY
) -> dict[str, Any]:
    """Every module's section: the given ones, and each other module's default."""
    unknown = sorted(set(sections) - {m.name for m in registry.modules})
    if unknown:
        raise ConfigError(f"genesis app_state: no module named {', '.join(unknown)}")
    complete: dict[str, Any] = {}
    for module in registry.modules:
        if module.genesis is None:
            continue
        section = sections.get(module.name)
        if section is None:
            section = module.genesis.type()
        if not isinstance(section, module.genesis.type):
            raise ConfigError(
                f"genesis app_state.{module.name}: expected {module.genesis.type.__name__}, "
                f"got {type(section).__name__}"
            )
        complete[module.name] = section
    return complete


def make_genesis(
    *,
    chain_id: str,
    genesis_time_ms: int,
    validators: list[GenesisValidator],
    consensus: ConsensusParams | None = None,
    app_state: Mapping[str, Any] | None = None,
    registry: Registry = REGISTRY,
) -> Genesis:
    """A checked Genesis built in code (sections left out get their defaults)."""
    genesis = Genesis(
        chain_id=chain_id,
        genesis_time_ms=genesis_time_ms,
        validators=validators,
        consensus=consensus if consensus is not None else ConsensusParams(),
        app_state=complete_app_state(app_state or {}, registry),
    )
    verify_genesis(genesis, registry)
    return genesis


def verify_genesis(genesis: Genesis, registry: Registry = REGISTRY, *, draft: bool = False) -> None:
    """Refuse a genesis that could not run: each reason names the field and the value. A
    `draft` may have no validator yet."""
    if (
        not CHAIN_ID_PATTERN.match(genesis.chain_id)
        or len(genesis.chain_id) > limits.chain_id_chars_max
    ):
        raise ConfigError(
            f"genesis chain_id {genesis.chain_id!r}: use lowercase letters, digits and '-', "
            f"at most {limits.chain_id_chars_max} characters"
        )
    if genesis.validators or not draft:
        try:
            genesis.validator_set  # noqa: B018 - builds and checks the set
        except ValueError as exc:
            raise ConfigError(f"genesis validators: {exc}") from None
    params = genesis.consensus
    if not 1 <= params.block_txs_max <= limits.block_txs_max:
        raise ConfigError(
            f"genesis consensus.block_txs_max {params.block_txs_max}, "
            f"accepted 1..{limits.block_txs_max}"
        )
    if not 1 <= params.block_bytes_max <= limits.block_bytes_max:
        raise ConfigError(
            f"genesis consensus.block_bytes_max {params.block_bytes_max}, "
            f"accepted 1..{limits.block_bytes_max}"
        )
    if not 0 <= params.empty_block_interval_ms <= EMPTY_BLOCK_INTERVAL_MS_MAX:
        raise ConfigError(
            f"genesis consensus.empty_block_interval_ms {params.empty_block_interval_ms}, "
            f"accepted 0 (a block every timeout_commit) to {EMPTY_BLOCK_INTERVAL_MS_MAX}"
        )
    expected = {m.name for m in registry.modules if m.genesis is not None}
    if set(genesis.app_state) != expected:
        raise ConfigError(
            f"genesis app_state has sections {sorted(genesis.app_state)}, this build's modules "
            f"need exactly {sorted(expected)}"
        )
    for module in registry.modules:
        if module.genesis is not None and module.genesis.verify is not None:
            module.genesis.verify(genesis.app_state[module.name])


__all__ = ["complete_app_state", "dump_genesis", "load_genesis", "make_genesis", "verify_genesis"]
