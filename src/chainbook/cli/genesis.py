"""`chainbook genesis`: assemble a consortium's genesis from public material, check it, hash it.

    chainbook genesis new FILE --chain-id C [--genesis-time-ms T] [--empty-block-interval-ms N]
                          [--block-reward R --supply-max S --halving-interval-blocks H]
    chainbook genesis add-validator FILE --public-key HEX --power P --name N
    chainbook genesis add-account FILE --address HEX --amount A
    chainbook genesis validate FILE        every check a node makes; a summary and the hash
    chainbook genesis hash FILE            the genesis hash (block 1's prev_block_hash)

The file is the genesis JSON itself (chain/genesis.py), so what the organisations review is
what the nodes run. Only public material goes in: validators' node ids (`chainbook node id`,
their Ed25519 public keys) and account addresses. A file being assembled is a draft: every
check but "at least one validator" applies to it after each step (ledger/genesis.py
load_genesis(draft=True)); `validate` applies them all.

Rules kept: `new` never overwrites a file; each edit is checked before it is written and
written atomically (a copy renamed over the file), so a refused edit leaves the file as it
was; a refusal names the field, the value and what is accepted (exit 1). The hash is over the
canonical form, so reformatting the JSON does not change it, and every organisation compares
the same 64 hex characters out of band before installing the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)

if TYPE_CHECKING:
    from chainbook.chain.genesis import Genesis

genesis_app = typer.Typer(
    help="Assemble a genesis from public keys, check it, print its hash.", no_args_is_help=True
)

FileArgument = Annotated[Path, typer.Argument(help="The genesis file (JSON).")]
VALIDATOR_NAME_CHARS_MAX = 64


def _load(path: Path, *, draft: bool) -> Genesis:
    from chainbook.ledger.genesis import load_genesis

    if not path.is_file():
        raise UserError(
            f"genesis file {path} does not exist (make one with `chainbook genesis new`)"
        )
    return load_genesis(path.read_bytes(), draft=draft)


def _write(path: Path, genesis: Genesis) -> None:
    from chainbook.ledger.genesis import dump_genesis, load_genesis
    from chainbook.runtime.home import replace_file

    data = dump_genesis(genesis) + b"\n"
    load_genesis(data, draft=True)  # what is written reads back, checked
    replace_file(path, data)


def _summary(genesis: Genesis) -> list[tuple[str, object]]:
    bank = genesis.app_state.get("bank")
    accounts = getattr(bank, "accounts", [])
    return [
        ("chain id", genesis.chain_id),
        ("genesis time (ms)", genesis.genesis_time_ms),
        ("validators", len(genesis.validators)),
        ("voting power", sum(v.power for v in genesis.validators)),
        ("accounts", len(accounts)),
        ("initial supply", sum(a.amount for a in accounts)),
        ("empty block interval (ms)", genesis.consensus.empty_block_interval_ms),
    ]


@genesis_app.command("new")
def genesis_new(
    file: FileArgument,
    chain_id: Annotated[str, typer.Option(help="The chain id (lowercase, digits, '-').")],
    genesis_time_ms: Annotated[
        int | None, typer.Option(help="Genesis time, Unix ms (default: now).")
    ] = None,
    empty_block_interval_ms: Annotated[
        int | None,
        typer.Option(help="When idle, an empty block this often (default 30000; 0: always)."),
    ] = None,
    block_reward: Annotated[int, typer.Option(help="Minted to each block's proposer.")] = 0,
    supply_max: Annotated[int, typer.Option(help="Cap on the total supply (smallest unit).")] = 0,
    halving_interval_blocks: Annotated[
        int, typer.Option(help="The reward halves every this many blocks (0: never).")
    ] = 0,
) -> None:
    """Start a genesis draft: the chain id, the time, the consensus parameters, the coin."""
    import msgspec

    from chainbook.apps.bank import BankGenesis, Issuance
    from chainbook.chain.genesis import ConsensusParams, Genesis
    from chainbook.ledger.genesis import complete_app_state, verify_genesis
    from chainbook.runtime.home import now_ms

    with friendly_errors():
        if file.exists():
            raise UserError(f"{file} already exists; a genesis is never overwritten")
        consensus = ConsensusParams()
        if empty_block_interval_ms is not None:
            consensus = msgspec.structs.replace(
                consensus, empty_block_interval_ms=empty_block_interval_ms
            )
        issuance = Issuance(
            block_reward=block_reward,
            halving_interval_blocks=halving_interval_blocks,
            supply_max=supply_max,
        )
        genesis = Genesis(
            chain_id=chain_id,
            genesis_time_ms=now_ms() if genesis_time_ms is None else genesis_time_ms,
            validators=[],
            consensus=consensus,
            app_state=complete_app_state({"bank": BankGenesis(issuance=issuance)}),
        )
        verify_genesis(genesis, draft=True)
        _write(file, genesis)
        console.print(key_value_table(f"genesis draft {file}", _summary(genesis)))
        console.print(
            f"next: `chainbook genesis add-validator {file} --public-key <node id> --power P "
            "--name N` for each validator"
        )


@genesis_app.command("add-validator")
def genesis_add_validator(
    file: FileArgument,
    public_key: Annotated[
        str, typer.Option(help="The validator's node id (`chainbook node id`), 64 hex.")
    ],
    power: Annotated[int, typer.Option(help="Its voting power (> 0).")],
    name: Annotated[str, typer.Option(help="A name for people (its organisation).")],
) -> None:
    """Add a validator from its public key (its node id)."""
    import msgspec

    from chainbook.chain.genesis import GenesisValidator

    with friendly_errors():
        genesis = _load(file, draft=True)
        key = _parse_public_key(public_key)
        if not 1 <= len(name) <= VALIDATOR_NAME_CHARS_MAX:
            raise UserError(f"--name {name!r}: 1 to {VALIDATOR_NAME_CHARS_MAX} characters")
        for existing in genesis.validators:
            if existing.public_key == key.hex():
                raise UserError(f"--public-key {key.hex()} is already validator {existing.name!r}")
            if existing.name == name:
                raise UserError(f"--name {name!r} is already taken by another validator")
        if power <= 0:
            raise UserError(f"--power {power}: must be > 0")
        added = GenesisValidator(name=name, public_key=key.hex(), power=power)
        updated = msgspec.structs.replace(genesis, validators=[*genesis.validators, added])
        _write(file, updated)
        console.print(
            f"validator [bold]{name}[/] added ({len(updated.validators)} validators, "
            f"power {sum(v.power for v in updated.validators)})"
        )


def _parse_public_key(text: str) -> bytes:
    import nacl.bindings

    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise UserError(
            f"--public-key {text!r}: expected 64 hex characters (an Ed25519 public key, as "
            "`chainbook node id` prints it)"
        )
    if not nacl.bindings.crypto_core_ed25519_is_valid_point(key):
        raise UserError(f"--public-key {text}: not a valid Ed25519 public key")
    return key


@genesis_app.command("add-account")
def genesis_add_account(
    file: FileArgument,
    address: Annotated[str, typer.Option(help="The account's address, 40 hex.")],
    amount: Annotated[int, typer.Option(help="Its initial balance, in the smallest unit.")],
) -> None:
    """Fund an account (the bank section, app_state.bank.accounts)."""
    import msgspec

    from chainbook.apps.bank import GenesisAccount
    from chainbook.crypto import parse_address

    with friendly_errors():
        genesis = _load(file, draft=True)
        try:
            parsed = parse_address(address)
        except ValueError as exc:
            raise UserError(f"--address {address!r}: {exc}") from None
        if amount <= 0:
            raise UserError(f"--amount {amount}: must be > 0")
        bank = genesis.app_state["bank"]
        if any(parse_address(a.address) == parsed for a in bank.accounts):
            raise UserError(f"--address {parsed.hex()} is already funded in {file}")
        account = GenesisAccount(address=parsed.hex(), amount=amount)
        section = msgspec.structs.replace(bank, accounts=[*bank.accounts, account])
        updated = msgspec.structs.replace(
            genesis, app_state={**genesis.app_state, "bank": section}
        )
        _write(file, updated)  # the bank's own checks (supply cap, 2**64) run on the way
        count = len(section.accounts)
        console.print(f"account {parsed.hex()} funded with {amount} ({count} accounts)")


@genesis_app.command("validate")
def genesis_validate(file: FileArgument, json_output: JsonOption = False) -> None:
    """Every check a node makes at start; a summary and the hash to compare."""
    with friendly_errors():
        genesis = _load(file, draft=False)
        rows = [*_summary(genesis), ("genesis hash", genesis.hash.hex())]
        if json_output:
            print_json({"valid": True, **{key: str(value) for key, value in rows}})
            return
        console.print(key_value_table(f"genesis {file}: valid", rows))


@genesis_app.command("hash")
def genesis_hash(file: FileArgument, json_output: JsonOption = False) -> None:
    """Print the genesis hash (block 1's prev_block_hash; chain/genesis.py)."""
    with friendly_errors():
        hash_hex = _load(file, draft=False).hash.hex()
        if json_output:
            print_json({"genesis_hash": hash_hex})
            return
        console.print(hash_hex, highlight=False)


__all__ = ["genesis_app"]
