"""Receipts and state proofs as files:

    chainbook receipt get HASH -o FILE [--genesis G]    fetch a receipt file (checked if G given)
    chainbook receipt verify FILE --genesis G           check it offline; say what it proves
    chainbook proof get MODULE QUERY [field=value ...] -o FILE [--genesis G]
    chainbook proof verify FILE --genesis G

(`chainbook genesis hash G`, the genesis hash of docs/PROTOCOL.md, is in cli/genesis.py with
the rest of the genesis commands.)

`verify` contacts no node: it reads the file and the genesis file (its chain id and validators
are the only things trusted) and prints, in words, what the file proves, or which check failed
(exit 1). The file formats are api/proof_views.py, documented in docs/PROTOCOL.md.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)

receipt_app = typer.Typer(help="Receipts as self-contained files, checked offline.")
proof_app = typer.Typer(help="Proven module queries as files, checked offline.")

GenesisOption = Annotated[
    Path, typer.Option("--genesis", help="The genesis file whose validators are trusted.")
]
OutOption = Annotated[Path, typer.Option("-o", "--out", help="Where to write the file.")]


def _load_trust_root(path: Path) -> Any:
    from chainbook.client.verify import trust_root_from_genesis
    from chainbook.ledger.genesis import load_genesis

    genesis = load_genesis(path.read_bytes())
    return trust_root_from_genesis(genesis, f"the genesis file {path}")


def _read_document(path: Path) -> bytes:
    from chainbook.api.proof_views import PROOF_FILE_BYTES_MAX

    size = path.stat().st_size
    if size > PROOF_FILE_BYTES_MAX:
        raise UserError(f"{path}: {size} bytes, a proof file has at most {PROOF_FILE_BYTES_MAX}")
    return path.read_bytes()


def _write(path: Path, document: msgspec.Struct) -> None:
    path.write_bytes(msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n")


def _time(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms // 1000, datetime.UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{ms % 1000:03d} UTC"


# --- receipts ----------------------------------------------------------------------------------


@receipt_app.command("get")
def receipt_get(
    tx_hash: Annotated[str, typer.Argument(help="Transaction hash (64 hex).")],
    out: OutOption,
    genesis: Annotated[
        Path | None, typer.Option("--genesis", help="Check the file before writing it.")
    ] = None,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Fetch a committed transaction's receipt file (tx, inclusion and outcome proofs, header,
    commit, validator-set changes)."""
    from chainbook.client.http import Client

    with friendly_errors():
        with Client(node) as client:
            document = client.get_receipt_file(tx_hash)
        if genesis is not None:
            _print_receipt(_verify_receipt(document, genesis))
        _write(out, document)
        console.print(f"wrote {out}")


@receipt_app.command("verify")
def receipt_verify(
    file: Annotated[Path, typer.Argument()], genesis: GenesisOption, json_output: JsonOption = False
) -> None:
    """Check a receipt file offline and say what it proves."""
    with friendly_errors():
        verified = _verify_receipt(_read_document(file), genesis)
        if json_output:
            print_json(verified)
            return
        _print_receipt(verified)


def _verify_receipt(document: Any, genesis: Path) -> Any:
    from chainbook.client.verify import verify_receipt_file

    return verify_receipt_file(document, _load_trust_root(genesis))


def _print_receipt(verified: Any) -> None:
    from chainbook.cli.output import format_amount

    action = dict(verified.action)
    tag = action.pop("type", "?")
    outcome = "succeeded" if verified.ok else f"FAILED: {verified.code}: {verified.error}"
    rows: list[tuple[str, object]] = [
        ("chain", verified.chain_id),
        ("height", verified.height),
        ("time", _time(verified.time_ms)),
        ("block", verified.block_hash.hex()),
        ("position", f"transaction {verified.index} of its block"),
        ("signer", verified.sender.hex()),
        ("nonce", verified.nonce),
        ("action", tag),
    ]
    for name, value in action.items():
        shown = format_amount(value) if name == "amount" and isinstance(value, int) else value
        rows.append((f"  {name}", shown))
    rows.append(("outcome", outcome))
    rows += [(f"event {e.module}.{e.kind}", dict(e.attributes)) for e in verified.events]
    rows.append(("validator changes followed", verified.validator_changes))
    console.print(key_value_table(f"receipt of tx {verified.tx_hash.hex()}", rows))
    console.print(
        f"[bold green]verified[/]: transaction {verified.tx_hash.hex()[:16]} is final at height "
        f"{verified.height} and {outcome.split(':')[0].lower()}, certified by more than 2/3 of "
        "the validators followed from the genesis file",
        soft_wrap=True,
    )


# --- state proofs ------------------------------------------------------------------------------


@proof_app.command("get")
def proof_get(
    module: Annotated[str, typer.Argument(help="The module, e.g. bank.")],
    query: Annotated[str, typer.Argument(help="Its query, e.g. balance.")],
    out: OutOption,
    fields: Annotated[
        list[str] | None, typer.Argument(help="The request's fields as name=value.")
    ] = None,
    genesis: Annotated[
        Path | None, typer.Option("--genesis", help="Check the file before writing it.")
    ] = None,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Ask a module query with a proof and write the state proof file."""
    from chainbook.client.http import Client

    with friendly_errors():
        params = _parse_fields(fields or [])
        with Client(node) as client:
            typed = _typed_fields(client.registry, module, query, params)
            document = client.prove_query(module, query, **typed)
        if genesis is not None:
            _print_state(_verify_state(document, genesis))
        _write(out, document)
        console.print(f"wrote {out}")


@proof_app.command("verify")
def proof_verify(
    file: Annotated[Path, typer.Argument()], genesis: GenesisOption, json_output: JsonOption = False
) -> None:
    """Check a state proof file offline and say what it proves."""
    with friendly_errors():
        verified = _verify_state(_read_document(file), genesis)
        if json_output:
            print_json(verified)
            return
        _print_state(verified)


def _parse_fields(fields: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UserError(f"a field is name=value, got {item!r}")
        if name in parsed:
            raise UserError(f"field {name!r} given twice")
        parsed[name] = value
    return parsed


def _typed_fields(registry: Any, module: str, query: str, params: dict[str, str]) -> dict[str, Any]:
    """The fields as their request type reads them from text (an id=7 is the integer 7), as the
    generated query commands do; an unknown query is left for the client to name."""
    from chainbook.apps.fields import build_from_text

    found = registry.get_module(module)
    request_type = found.get_query(query) if found is not None else None
    if request_type is None:
        return dict(params)
    request = build_from_text(request_type.request, params)
    return {name: getattr(request, name) for name in params}


def _verify_state(document: Any, genesis: Path) -> Any:
    from chainbook.client.verify import verify_state_proof_file

    return verify_state_proof_file(document, _load_trust_root(genesis))


def _print_state(verified: Any) -> None:
    request = ", ".join(f"{k}={v}" for k, v in verified.request.items()) or "-"
    rows: list[tuple[str, object]] = [
        ("chain", verified.chain_id),
        ("query", f"{verified.module}.{verified.query}({request})"),
        ("answer", msgspec.json.encode(verified.answer).decode()),
        ("state after block", verified.height),
        ("committed by header", f"{verified.header_height}, {_time(verified.time_ms)}"),
    ]
    for key, value in verified.entries:
        shown = "absent" if value is None else f"{len(value)} bytes: {value.hex()}"
        rows.append((f"key {key.hex()}", shown))
    rows.append(("validator changes followed", verified.validator_changes))
    console.print(key_value_table("state proof", rows))
    console.print(
        f"[bold green]verified[/]: after block {verified.height} the answer of "
        f"{verified.module}.{verified.query} was {msgspec.json.encode(verified.answer).decode()}"
        f", recomputed from {len(verified.entries)} proven state key(s) under a header "
        "certified by more than 2/3 of the validators followed from the genesis file",
        soft_wrap=True,
    )


__all__ = ["proof_app", "receipt_app"]
