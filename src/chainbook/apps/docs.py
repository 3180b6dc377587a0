"""The docs' tables of actions, generated from the module manifests.

docs/PROTOCOL.md holds, between the markers below, exactly what `render_actions(REGISTRY)`
returns; tests/docs/test_protocol_doc.py fails when they differ, so the tables cannot rot. To
rewrite the section after changing a module:

    .venv/bin/python -m chainbook.apps.docs docs/PROTOCOL.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec.inspect as mi

from chainbook.apps.base import get_action_tag
from chainbook.apps.registry import REGISTRY, Registry

BEGIN = "<!-- generated: module actions (python -m chainbook.apps.docs) -->"
END = "<!-- end of generated module actions -->"


def render_actions(registry: Registry) -> str:
    """A section per module: its action tags, their fields in wire order, its limits and its
    error codes."""
    parts: list[str] = []
    for module in registry.modules:
        lines = [f"### Actions of the `{module.name}` module", "", module.summary, ""]
        if module.actions:
            lines += ["| tag | fields (in order) | what it does |", "|---|---|---|"]
        else:
            lines.append("It has no actions of its own.")
        for action_type in module.actions:
            info = mi.type_info(action_type)
            assert isinstance(info, mi.StructType)
            fields = ", ".join(f"`{f.encode_name}: {_type_text(f.type)}`" for f in info.fields)
            fields = fields.replace("|", "\\|") or "(none)"  # a pipe would end the table cell (GFM)
            doc = (action_type.__doc__ or "").strip().splitlines()
            summary = doc[0] if doc else ""
            lines.append(f"| `{get_action_tag(action_type)}` | {fields} | {summary} |")
        if module.limits:
            limits = ", ".join(f"`{name}` = {value}" for name, value in module.limits.items())
            lines += ["", f"Limits: {limits}."]
        if module.errors:
            codes = ", ".join(f"`{e.code}`" for e in module.errors)
            lines += ["", f"Refusals (receipt and API error codes): {codes}."]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _type_text(info: mi.Type) -> str:
    match info:
        case mi.BytesType(min_length=low, max_length=high) if low is not None and low == high:
            return f"bin({low})"
        case mi.BytesType():
            return "bin"
        case mi.IntType(ge=0) | mi.IntType(gt=0):
            return "uint"
        case mi.IntType():
            return "int"
        case mi.StrType():
            return "str"
        case mi.BoolType():
            return "bool"
        case mi.EnumType(cls=cls):
            return " | ".join(repr(m.value) for m in cls)
        case mi.ListType(item_type=item) | mi.VarTupleType(item_type=item):
            return f"[{_type_text(item)}, ...]"
        case mi.UnionType(types=types):
            return " | ".join(_type_text(t) for t in types)
        case mi.NoneType():
            return "nil"
        case mi.StructType(fields=fields, tag=tag):
            # A tagged struct inside an action (a member of a union) starts with its tag.
            items = [f'"{tag}"'] if isinstance(tag, str) else []
            items += [f"{f.encode_name}: {_type_text(f.type)}" for f in fields]
            return "[" + ", ".join(items) + "]"
    return type(info).__name__


def replace_section(document: str, section: str) -> str:
    """`document` with the text between BEGIN and END replaced by `section`."""
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    return document[:start] + "\n\n" + section + "\n" + document[end:]


def extract_section(document: str) -> str:
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    return document[start:end].strip("\n") + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/PROTOCOL.md")
    path.write_text(replace_section(path.read_text(), render_actions(REGISTRY)))
    print(f"rewrote the module actions of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["BEGIN", "END", "extract_section", "render_actions", "replace_section"]
