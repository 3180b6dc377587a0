"""`chainbook <module> <action|query>`: commands generated from the module manifests.

For every module of a registry (Cosmos SDK's autocli is the model):

    chainbook <module> <action> --key K [--field value ...] [--wait] [--node URL] [--json]
    chainbook <module> <query> [--field value ...] [--node URL] [--json]

Options are the fields of the action's or the query request's Struct, with the names and the
text forms of apps/fields.py (hex for bytes, decimal digits for integers, JSON for nested
values), checked against the types before anything is sent. A field's underscores become
dashes (`--multi-transfer`, `--tax-id`). Hand-written, friendlier commands may stand beside the
generated ones (`chainbook send` for a bank transfer). A module can add its own commands in its
own file of cli/ (registered in cli/main.py); the generated ones need no edit anywhere.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from chainbook.apps.base import Module, Query, get_action_tag
from chainbook.apps.fields import (
    FieldSpec,
    build_from_text,
    describe_fields,
    encode_json,
    to_json_value,
)
from chainbook.apps.registry import Registry
from chainbook.cli.options import NODE_URL_DEFAULT
from chainbook.cli.output import console, friendly_errors, key_value_table

COMMON_OPTIONS = frozenset({"key", "node", "wait", "json", "passphrase_file"})
"""Option names the generated commands keep for themselves (a field may not use them)."""


def add_module_commands(app: typer.Typer, registry: Registry) -> None:
    """One sub-command group per module, one command per action and per query."""
    for module in registry.modules:
        group = typer.Typer(help=module.summary, no_args_is_help=True)
        taken: set[str] = set()
        for action_type in module.actions:
            name = _command_name(get_action_tag(action_type).split(".", 1)[1])
            _claim(module, taken, name)
            group.command(name, help=_first_line(action_type.__doc__))(
                _action_command(action_type, registry)
            )
        for query in module.queries:
            name = _command_name(query.name)
            _claim(module, taken, name)
            group.command(name, help=query.summary)(_query_command(module.name, query, registry))
        app.add_typer(group, name=module.name)


def _claim(module: Module, taken: set[str], name: str) -> None:
    if name in taken:
        raise ValueError(f"module {module.name!r}: an action and a query are both named {name!r}")
    taken.add(name)


# --- actions --------------------------------------------------------------------------------


def _action_command(action_type: type[msgspec.Struct], registry: Registry) -> Callable[..., None]:
    fields = describe_fields(action_type)
    tag = get_action_tag(action_type)

    def command(**options: Any) -> None:
        from chainbook.client.http import Client
        from chainbook.client.wallet import Wallet
        from chainbook.keyfile import load_key_file

        with friendly_errors():
            action = build_from_text(action_type, _given(fields, options))
            key_path: Path = options["key"]
            passphrase_file: Path | None = options["passphrase_file"]
            key = load_key_file(key_path, lambda: _passphrase(passphrase_file, key_path))
            with Client(options["node"], registry=registry) as client:
                wallet = Wallet(key, client.status().chain_id, client)
                submitted = wallet.send(action, wait=options["wait"])
            if options["json"]:
                sys.stdout.write(msgspec.json.encode(submitted).decode() + "\n")
            else:
                rows: list[tuple[str, object]] = [
                    ("hash", submitted.hash),
                    ("status", submitted.status),
                ]
                receipt = submitted.receipt
                if receipt is not None:
                    rows += [("height", receipt.height), ("ok", receipt.ok)]
                    if receipt.error:
                        rows.append(("error", receipt.error))
                    rows += [
                        (f"event {e.module}.{e.kind}", dict(e.attributes)) for e in receipt.events
                    ]
                console.print(key_value_table(tag, rows))
            if submitted.receipt is not None and not submitted.receipt.ok:
                raise typer.Exit(1)

    extra = [
        _option("key", Path, ..., "The signer's key file."),
        _option(
            "passphrase_file",
            Path | None,
            None,
            "The key's passphrase file (else $CHAINBOOK_KEY_PASSPHRASE, else a prompt).",
        ),
        _option("wait", bool, False, "Wait for the commit and the receipt."),
    ]
    _sign(command, fields, extra)
    return command


def _passphrase(passphrase_file: Path | None, key_path: Path) -> bytes:
    from chainbook.cli.passphrases import existing_passphrase

    return existing_passphrase(passphrase_file, f"key file {key_path}")


# --- queries --------------------------------------------------------------------------------


def _query_command(module: str, query: Query, registry: Registry) -> Callable[..., None]:
    fields = describe_fields(query.request)

    def command(**options: Any) -> None:
        from chainbook.client.http import Client

        with friendly_errors():
            request = build_from_text(query.request, _given(fields, options))
            with Client(options["node"], registry=registry) as client:
                params = {name: getattr(request, name) for name in request.__struct_fields__}
                answer = client.query(module, query.name, **params)
            if options["json"]:
                sys.stdout.write(encode_json(answer).decode() + "\n")
                return
            value = to_json_value(answer)
            rows = list(value.items()) if isinstance(value, dict) else [("value", value)]
            console.print(key_value_table(f"{module}.{query.name}", rows))

    _sign(command, fields, [])
    return command


# --- building signatures typer can read ------------------------------------------------------


def _sign(
    command: Callable[..., None], fields: list[FieldSpec], extra: list[inspect.Parameter]
) -> None:
    """Give `command` a signature of typer options: one per field, then the common ones."""
    for spec in fields:
        if spec.name.replace("-", "_") in COMMON_OPTIONS:
            raise ValueError(f"field {spec.name!r} clashes with a common option of the CLI")
    parameters = [_field_option(spec) for spec in fields]
    parameters += extra
    parameters += [
        _option("node", str, NODE_URL_DEFAULT, "API URL of the node to ask (env CHAINBOOK_NODE)."),
        _option("json", bool, False, "Print the answer as JSON."),
    ]
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]


def _field_option(spec: FieldSpec) -> inspect.Parameter:
    kind = "JSON" if not spec.is_scalar else _TEXT_FORMS.get(type(spec.info).__name__, "text")
    help_text = f"{spec.name} ({kind})"
    if not spec.required:
        help_text += f"; default {spec.default!r}"
    default: Any = ... if spec.required else None
    return _option(spec.name, str | None if not spec.required else str, default, help_text)


_TEXT_FORMS = {
    "BytesType": "hex",
    "IntType": "integer",
    "BoolType": "true/false",
    "StrType": "text",
}


def _option(name: str, type_: Any, default: Any, help_text: str) -> inspect.Parameter:
    flag = "--" + name.replace("_", "-")
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[type_, typer.Option(flag, help=help_text)],
    )


def _given(fields: list[FieldSpec], options: dict[str, Any]) -> dict[str, str]:
    """The field options the user gave, as text (the others keep the type's defaults)."""
    return {spec.name: options[spec.name] for spec in fields if options.get(spec.name) is not None}


def _command_name(name: str) -> str:
    return name.replace("_", "-")


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""


__all__ = ["add_module_commands"]
