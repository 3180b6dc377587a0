"""`chainbook trace show ITEM`: the whole chain of an item and its verdict.

    chainbook trace show ITEM [--node URL] [--json]

The verdict is the node's `trace.verdict` query (apps/trace/verdict.py: complete, or the gaps
with a score), so the command and the query always agree. The chain printed is the item's
history and that of every lot it came from (split from, merged from), walked back to the
manufacturer's creation, lots_shown_max lots at most and every page of each history.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import console, friendly_errors, key_value_table

LOTS_SHOWN_MAX = 64
"""Lots whose histories `show` prints (the item and its ancestors, nearest first)."""


def collect_chain(client: Any, item: str) -> list[tuple[str, list[Any]]]:
    """The item's history and its ancestors' (nearest first), at most LOTS_SHOWN_MAX lots."""
    chain: list[tuple[str, list[Any]]] = []
    queue, seen = [item], {item}
    while queue and len(chain) < LOTS_SHOWN_MAX:
        name = queue.pop(0)
        info = client.apps.trace.item(item=name)
        if not info.found:
            continue
        entries: list[Any] = []
        start: int | None = 0
        while start is not None:
            page = client.apps.trace.history(item=name, start=start)
            entries += page.entries
            start = page.next
        chain.append((name, entries))
        for parent in info.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return chain


def show(
    item: Annotated[str, typer.Argument(help="The item or lot id.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """The whole chain of an item (and the lots it came from) and the verdict on it."""
    import msgspec

    from chainbook.apps.fields import to_json_value
    from chainbook.client.http import Client

    with friendly_errors(), Client(node) as client:
        verdict = client.apps.trace.verdict(item=item)
        chain = collect_chain(client, item) if verdict.found else []
        if json_output:
            document = {"verdict": to_json_value(verdict),
                        "chain": [{"item": n, "entries": to_json_value(e)} for n, e in chain]}
            console.print(msgspec.json.encode(document).decode(), soft_wrap=True,
                          highlight=False)
            return
        for name, entries in chain:
            rows: list[tuple[str, object]] = []
            for e in entries:
                what = e.kind + (f" {e.step}" if e.step else "")
                detail = [f"by {e.by.hex()}"]
                if e.party:
                    detail.append(f"to {e.party.hex()}")
                if e.quantity:
                    detail.append(f"quantity {e.quantity}")
                if e.related:
                    detail.append(", ".join(e.related))
                if e.note:
                    detail.append(repr(e.note))
                rows.append((f"{e.height}: {what}", "; ".join(detail)))
            console.print(key_value_table(f"history of {name}", rows))
        if not verdict.found:
            console.print(f"[bold red]unknown[/]: no item {item!r} on the chain: most likely a "
                          "fake", soft_wrap=True, highlight=False)
            raise typer.Exit(1)
        for gap in verdict.gaps:
            console.print(f"gap {gap.kind}: {gap.item}: {gap.detail}", soft_wrap=True,
                          highlight=False)
        mark = "[bold green]complete[/]" if verdict.verdict == "complete" else "[bold red]gaps[/]"
        console.print(
            f"verdict: {mark}, score {verdict.score} (missing links; 0 is complete) for "
            f"{item} of {verdict.product}, held by {verdict.holder.hex()}, quantity "
            f"{verdict.quantity}", soft_wrap=True, highlight=False)


def add_trace_commands(app: typer.Typer) -> None:
    """Put `show` in the generated `trace` group of `app`."""
    for group in app.registered_groups:
        if group.name == "trace" and group.typer_instance is not None:
            group.typer_instance.command("show")(show)
            return


__all__ = ["add_trace_commands", "collect_chain", "show"]
