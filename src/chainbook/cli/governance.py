"""`chainbook governance ...`: friendlier commands beside the generated ones (cli/modules.py).

    chainbook governance propose add-validator --key K --public-key HEX --power 10 --name org-e
    chainbook governance propose remove-validator | set-power | rotate-key | register-institution
                                 | update-institution | revoke-institution | set-parameter
                                 | set-proposer  --key K ...  [--deadline-height H]
                                 [--activation-height H] [--title T] [--wait]
    chainbook governance vote ID yes|no|abstain --key K [--wait]
    chainbook governance proposals [--status voting] [--limit N]
    chainbook governance show ID

`propose` replaces the generated command that takes the whole change as JSON with one command
per kind of change, with options named after its fields; `vote` takes the proposal and the
choice as arguments. Every other generated command (withdraw, the queries) stays as it is.
The key of a validator is its node's key file (a testnet's `node0/node_key.json`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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

KeyOption = Annotated[Path, typer.Option("--key", help="The signer's key file.")]
TitleOption = Annotated[str, typer.Option("--title", help="One line for the voters.")]
DeadlineOption = Annotated[
    int,
    typer.Option(
        "--deadline-height",
        help="Votes accepted up to this height (0: governance.voting_period_blocks from now).",
    ),
]
ActivationOption = Annotated[
    int,
    typer.Option(
        "--activation-height",
        help="The change takes effect at this height (0: two heights after it passes).",
    ),
]
WaitOption = Annotated[bool, typer.Option("--wait", help="Wait for the commit and the receipt.")]


def add_commands(app: typer.Typer) -> None:
    """Add the friendlier commands to the generated `governance` group of `app` (none when
    the registry has no governance module)."""
    group = next(
        (
            info.typer_instance
            for info in app.registered_groups
            if info.name == "governance" and info.typer_instance is not None
        ),
        None,
    )
    if group is None:
        return
    group.add_typer(propose_app, name="propose")
    group.command("vote")(vote)
    group.command("proposals")(proposals)
    group.command("show")(show)


propose_app = typer.Typer(
    help="Submit a proposal (validators, or accounts governance allows).", no_args_is_help=True
)


def _hex(text: str, what: str, size: int) -> bytes:
    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise UserError(f"{what}: expected hex, got {text!r}") from None
    if len(value) != size:
        raise UserError(
            f"{what}: expected {size} bytes ({2 * size} hex characters), got {len(value)}"
        )
    return value


def _submit_proposal(
    key: Path, node: str, change: Any, title: str, deadline: int, activation: int, wait: bool
) -> None:
    from chainbook.apps.governance import Propose

    _send(
        key, node, Propose(title or f"{type(change).__name__}", change, deadline, activation), wait
    )


def _send(key: Path, node: str, action: Any, wait: bool) -> None:
    from chainbook.client.http import Client
    from chainbook.client.wallet import Wallet

    with friendly_errors():
        with Client(node) as client:
            submitted = Wallet.from_key_file(key, client).send(action, wait=wait)
        rows: list[tuple[str, object]] = [("hash", submitted.hash), ("status", submitted.status)]
        receipt = submitted.receipt
        if receipt is not None:
            rows += [("height", receipt.height), ("ok", receipt.ok)]
            if receipt.error:
                rows.append(("error", receipt.error))
            for event in receipt.events:
                rows.append((f"{event.module}.{event.kind}", dict(event.attributes)))
        console.print(key_value_table(type(action).__name__, rows))
        if receipt is not None and not receipt.ok:
            raise typer.Exit(1)


@propose_app.command("add-validator")
def propose_add_validator(
    key: KeyOption,
    public_key: Annotated[str, typer.Option(help="The new validator's consensus key (64 hex).")],
    power: Annotated[int, typer.Option(help="Its voting power.")],
    name: Annotated[str, typer.Option(help="A name for people (the organisation).")],
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Admit a validator."""
    from chainbook.apps.governance import AddValidator

    with friendly_errors():
        change = AddValidator(_hex(public_key, "--public-key", 32), power, name)
    _submit_proposal(
        key, node, change, title or f"admit {name}", deadline_height, activation_height, wait
    )


@propose_app.command("remove-validator")
def propose_remove_validator(
    key: KeyOption,
    address: Annotated[str, typer.Option(help="The validator's address (40 hex).")],
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Remove a validator (its node goes on as a full node)."""
    from chainbook.apps.governance import RemoveValidator

    with friendly_errors():
        change = RemoveValidator(_hex(address, "--address", 20))
    _submit_proposal(key, node, change, title, deadline_height, activation_height, wait)


@propose_app.command("set-power")
def propose_set_power(
    key: KeyOption,
    address: Annotated[str, typer.Option(help="The validator's address (40 hex).")],
    power: Annotated[int, typer.Option(help="Its new voting power (>= 1).")],
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Change a validator's voting power."""
    from chainbook.apps.governance import SetValidatorPower

    with friendly_errors():
        change = SetValidatorPower(_hex(address, "--address", 20), power)
    _submit_proposal(key, node, change, title, deadline_height, activation_height, wait)


@propose_app.command("rotate-key")
def propose_rotate_key(
    key: KeyOption,
    address: Annotated[str, typer.Option(help="The validator's current address (40 hex).")],
    new_public_key: Annotated[str, typer.Option(help="Its new consensus key (64 hex).")],
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Replace a validator's consensus key from the activation height on."""
    from chainbook.apps.governance import RotateValidatorKey

    with friendly_errors():
        change = RotateValidatorKey(
            _hex(address, "--address", 20), _hex(new_public_key, "--new-public-key", 32)
        )
    _submit_proposal(key, node, change, title, deadline_height, activation_height, wait)


RoleOption = Annotated[list[str], typer.Option("--role", help="A role (repeat for several).")]
KeysOption = Annotated[
    list[str], typer.Option("--public-key", help="A public key, 64 hex (repeat for several).")
]


@propose_app.command("register-institution")
def propose_register_institution(
    key: KeyOption,
    id: Annotated[str, typer.Option("--id", help="A stable id: lowercase, digits, . _ -")],
    name: Annotated[str, typer.Option(help="The institution's name.")],
    role: RoleOption,
    public_key: KeysOption,
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Register an institution in the roles other modules trust."""
    from chainbook.apps.governance import RegisterInstitution

    with friendly_errors():
        keys = [_hex(k, "--public-key", 32) for k in public_key]
        change = RegisterInstitution(id, name, list(role), keys)
    _submit_proposal(
        key, node, change, title or f"register {id}", deadline_height, activation_height, wait
    )


@propose_app.command("update-institution")
def propose_update_institution(
    key: KeyOption,
    id: Annotated[str, typer.Option("--id", help="The institution's id.")],
    name: Annotated[str, typer.Option(help="Its name.")],
    role: RoleOption,
    public_key: KeysOption,
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Replace an institution's name, roles and keys."""
    from chainbook.apps.governance import UpdateInstitution

    with friendly_errors():
        keys = [_hex(k, "--public-key", 32) for k in public_key]
        change = UpdateInstitution(id, name, list(role), keys)
    _submit_proposal(
        key, node, change, title or f"update {id}", deadline_height, activation_height, wait
    )


@propose_app.command("revoke-institution")
def propose_revoke_institution(
    key: KeyOption,
    id: Annotated[str, typer.Option("--id", help="The institution's id.")],
    reason: Annotated[str, typer.Option(help="Why, for the record.")],
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Revoke an institution (for ever)."""
    from chainbook.apps.governance import RevokeInstitution

    change = RevokeInstitution(id, reason)
    _submit_proposal(
        key, node, change, title or f"revoke {id}", deadline_height, activation_height, wait
    )


@propose_app.command("set-parameter")
def propose_set_parameter(
    key: KeyOption,
    name: Annotated[str, typer.Option(help="e.g. consensus.block_txs_max (governance params).")],
    value: Annotated[int, typer.Option(help="The new value, within its range.")],
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Change a chain parameter."""
    from chainbook.apps.governance import SetParameter

    change = SetParameter(name, value)
    _submit_proposal(
        key, node, change, title or f"{name} = {value}", deadline_height, activation_height, wait
    )


@propose_app.command("set-proposer")
def propose_set_proposer(
    key: KeyOption,
    address: Annotated[str, typer.Option(help="The account (40 hex).")],
    disallow: Annotated[bool, typer.Option("--disallow", help="Stop allowing it.")] = False,
    title: TitleOption = "",
    deadline_height: DeadlineOption = 0,
    activation_height: ActivationOption = 0,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Allow an account that is not a validator to propose."""
    from chainbook.apps.governance import SetProposer

    with friendly_errors():
        change = SetProposer(_hex(address, "--address", 20), not disallow)
    _submit_proposal(key, node, change, title, deadline_height, activation_height, wait)


def vote(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    choice: Annotated[str, typer.Argument(help="yes, no or abstain.")],
    key: KeyOption,
    wait: WaitOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """A validator's vote on a proposal (once)."""
    from chainbook.apps.governance import CastVote

    _send(key, node, CastVote(proposal_id, choice), wait)


def proposals(
    status: Annotated[
        str, typer.Option(help="voting, passed, executed, rejected, expired, withdrawn, failed")
    ] = "",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    node: NodeOption = NODE_URL_DEFAULT,
    json_output: JsonOption = False,
) -> None:
    """Proposals, newest first."""
    from rich.table import Table

    from chainbook.apps.fields import to_json_value
    from chainbook.client.http import Client

    with friendly_errors(), Client(node) as client:
        page = client.apps.governance.proposals(status=status, limit=limit)
        if json_output:
            print_json(page)
            return
        table = Table(title="proposals")
        for column in ("id", "status", "kind", "title", "deadline", "effective", "yes/total"):
            table.add_column(column)
        for record in page.proposals:
            change = to_json_value(record.change)
            table.add_row(
                str(record.id),
                record.status,
                str(change.get("type", "")),
                record.title,
                str(record.deadline_height),
                str(record.effective_height or "-"),
                f"{record.tally.yes}/{record.tally.power_total}",
            )
        console.print(table)


def show(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's id.")],
    node: NodeOption = NODE_URL_DEFAULT,
    json_output: JsonOption = False,
) -> None:
    """One proposal: its change, status, votes and tally."""
    from chainbook.apps.fields import to_json_value
    from chainbook.client.http import Client

    with friendly_errors(), Client(node) as client:
        detail = client.apps.governance.proposal(id=proposal_id)
        if json_output:
            print_json(detail)
            return
        record = detail.proposal
        tally = detail.tally
        rows: list[tuple[str, object]] = [
            ("title", record.title),
            ("status", f"{record.status} (height {record.status_height})"),
            ("change", to_json_value(record.change)),
            ("proposer", record.proposer.hex()),
            ("submitted", record.submitted_height),
            ("deadline", record.deadline_height),
            ("activation", record.activation_height or "two heights after it passes"),
            ("effective", record.effective_height or "-"),
            (
                "tally",
                f"yes {tally.yes}, no {tally.no}, abstain {tally.abstain} "
                f"of {tally.power_total} (height {tally.height})",
            ),
        ]
        if record.reason:
            rows.append(("reason", record.reason))
        rows += [(f"vote {v.voter.hex()}", f"{v.choice} at {v.height}") for v in detail.votes]
        console.print(key_value_table(f"proposal {record.id}", rows))


__all__ = ["add_commands", "propose_app"]
