"""`chainbook loans receipts LOAN` and `chainbook loans verify FILE... --genesis G`: a loan's
whole story as files, checked offline.

    chainbook loans receipts LOAN_ID --out-dir DIR [--node URL]
    chainbook loans verify FILE [FILE ...] --genesis G [--json]

`receipts` asks a node for the loan (its creation, its offer if it was one, every entry of its
history) and writes the receipt file of each of those transactions, DIR/<loan>-NN-<what>.json
in chain order, and a state proof of the loan's record, DIR/<loan>-record.json (an existing
file is never overwritten). `verify` contacts no node: it checks each receipt file and the
record's proof against the validators followed from the genesis file (client/verify.py), then
replays the loan from the terms its parties signed (apps/loans/story.py): every repayment's
split, what was owed after it, the default's height, the final status, so the reader trusts
the module's rules, not the figures printed. With the record's proof, no step can be missing.

These stand beside the generated `loans` commands (cli/modules.py), which act and ask.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    compact_table,
    console,
    friendly_errors,
    print_json,
)

RECORD_WAIT_S = 60.0
"""How long `receipts` waits for a block that proves the loan's latest state."""
RECORD_POLL_S = 0.25
STORY_FILES_MAX = 1_100
"""Files one `verify` reads: a loan's history is at most payments_per_loan_max + 2 entries,
plus its creation, its offer and its record."""


def receipts(
    loan_id: Annotated[str, typer.Argument(help="The loan's id.")],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the files.")],
    node: NodeOption = NODE_URL_DEFAULT,
    json_output: JsonOption = False,
) -> None:
    """Fetch the receipt files of every transaction of a loan, and a proof of its record."""
    from chainbook.client.http import Client

    with friendly_errors():
        with Client(node) as client:
            loan = client.apps.loans.loan(loan_id=loan_id)
            hashes: list[tuple[str, bytes]] = []
            documents: list[tuple[str, msgspec.Struct]]
            if loan.offer_tx_hash:
                hashes.append(("offer", loan.offer_tx_hash))
            hashes.append(("created", loan.tx_hash))
            start: int | None = 0
            while start is not None:
                page = client.apps.loans.history(loan_id=loan_id, start=start)
                hashes += [(entry.kind, entry.tx_hash) for entry in page.entries]
                start = page.next
            receipt_files = [client.get_receipt_file(tx_hash) for _, tx_hash in hashes]
            documents = [
                (f"{loan_id}-{n:02d}-{what}.json", document)
                for n, ((what, _), document) in enumerate(zip(hashes, receipt_files, strict=True))
            ]
            last = max(document.height for document in receipt_files)
            documents.append((f"{loan_id}-record.json", _prove_record(client, loan_id, last)))
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, _ in documents:
            if (out_dir / name).exists():
                raise UserError(f"{out_dir / name} exists; a receipt is never overwritten")
        for name, document in documents:
            path = out_dir / name
            path.write_bytes(msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n")
            if not json_output:
                console.print(f"wrote {path}")
        if json_output:
            print_json({"loan_id": loan_id, "files": [str(out_dir / n) for n, _ in documents]})


def _prove_record(client: Any, loan_id: str, height: int) -> Any:
    """A proof of the loan's record of a state after `height` (the latest proven state lags
    the latest block by one: wait, bounded, for the next block)."""
    import time

    deadline = time.monotonic() + RECORD_WAIT_S
    while True:
        proof = client.prove_query("loans", "loan", loan_id=loan_id)
        if proof.height >= height:
            return proof
        if time.monotonic() > deadline:
            raise UserError(
                f"the node proves the state after block {proof.height}, the loan's last "
                f"transaction is at {height}: no block came for {RECORD_WAIT_S:.0f} s"
            )
        time.sleep(RECORD_POLL_S)


def verify(
    files: Annotated[list[Path], typer.Argument(help="Receipt files, and the record's proof.")],
    genesis: Annotated[
        Path, typer.Option("--genesis", help="The genesis file whose validators are trusted.")
    ],
    json_output: JsonOption = False,
) -> None:
    """Check a loan's receipts offline and replay its story from the signed terms."""
    from chainbook.api.proof_views import RECEIPT_FORMAT, STATE_PROOF_FORMAT
    from chainbook.apps.loans.story import verify_story
    from chainbook.client.verify import (
        trust_root_from_genesis,
        verify_receipt_file,
        verify_state_proof_file,
    )
    from chainbook.ledger.genesis import load_genesis

    with friendly_errors():
        if len(files) > STORY_FILES_MAX:
            raise UserError(f"{len(files)} files; a loan's story is at most {STORY_FILES_MAX}")
        root = trust_root_from_genesis(
            load_genesis(genesis.read_bytes()), f"the genesis file {genesis}"
        )
        verified = []
        record: Any = None
        for path in files:
            document = _read_document(path)
            kind = _format_of(path, document)
            if kind == RECEIPT_FORMAT:
                verified.append(verify_receipt_file(document, root))
            elif kind == STATE_PROOF_FORMAT:
                state = verify_state_proof_file(document, root)
                if (state.module, state.query) != ("loans", "loan") or record is not None:
                    raise UserError(f"{path}: one proof of a loans.loan record is accepted, "
                                    f"not {state.module}.{state.query}")
                record = state
            else:
                raise UserError(f"{path}: a receipt or a state proof file, not {kind!r}")
        story = verify_story(
            verified,
            None if record is None else record.answer,
            None if record is None else record.height,
        )
        if json_output:
            print_json(story)
            return
        _print_story(story)


def _read_document(path: Path) -> bytes:
    from chainbook.api.proof_views import PROOF_FILE_BYTES_MAX

    size = path.stat().st_size
    if size > PROOF_FILE_BYTES_MAX:
        raise UserError(f"{path}: {size} bytes, a proof file has at most {PROOF_FILE_BYTES_MAX}")
    return path.read_bytes()


def _format_of(path: Path, document: bytes) -> str:
    try:
        head = msgspec.json.decode(document)
    except msgspec.DecodeError as exc:
        raise UserError(f"{path}: not JSON ({exc})") from None
    return str(head.get("format")) if isinstance(head, dict) else ""


def _print_story(story: Any) -> None:
    token = story.token or "native coin"
    console.print(
        f"loan [bold]{story.loan_id}[/]: {story.lender.hex()} lent {story.borrower.hex()} "
        f"{story.principal} ({token}) at {story.rate_bps} bps per {story.period_blocks} blocks,"
        f" disbursed at height {story.height}, due {', '.join(map(str, story.due_heights))}; "
        f"collateral {story.collateral}",
        soft_wrap=True,
    )
    table = compact_table()
    for column in ("height", "step", "amount", "interest", "principal", "owed after"):
        table.add_column(column, justify="right" if column != "step" else "left")
    for step in story.steps:
        what = step.action.removeprefix("loans.")
        if not step.ok:
            table.add_row(str(step.height), f"{what}: refused, {step.code}", "", "", "", "")
            continue
        table.add_row(str(step.height), what, str(step.amount), str(step.interest),
                      str(step.principal), str(step.outstanding))
    console.print(table)
    closed = "no later step is missing" if story.proven_height is not None else (
        "add the record's proof (chainbook loans receipts writes it) to know no later step "
        "is missing")  # fmt: skip
    console.print(
        f"[bold green]verified[/]: {len(story.steps)} transactions final under the validators "
        f"followed from the genesis file; every figure recomputed from the signed terms; "
        f"status {story.status}, owing {story.outstanding}, collateral "
        f"{story.collateral_state}; {closed}",
        soft_wrap=True,
    )


def add_loans_commands(app: typer.Typer) -> None:
    """Put `receipts` and `verify` in the generated `loans` group of `app`."""
    for group in app.registered_groups:
        if group.name == "loans" and group.typer_instance is not None:
            group.typer_instance.command("receipts")(receipts)
            group.typer_instance.command("verify")(verify)
            return


__all__ = ["add_loans_commands", "receipts", "verify"]
