"""Module types outside the core: to and from JSON, command-line text and JSON Schema.

Every generic interface (the HTTP API's /apps routes, the CLI's module commands, the client's
query methods, the docs) turns a module's request, response and action Structs into JSON or
text and back through these functions, so the rules are the same everywhere:

- bytes are lowercase hex strings (a 20-byte address is 40 hex characters), never base64;
- integers are JSON integers; on a command line or in a URL they are ASCII decimal digits
  (no other digits: "²" or Arabic-Indic digits are refused, though Python's int() takes them);
- booleans are true/false; a nested struct or list is given as JSON;
- a struct becomes a JSON object of its fields (also an array_like one), an action with its
  tag under "type"; a field holding one of several tagged structs (a union) names its member
  the same way, by "type";
- every refusal is an InvalidInput naming the field, the value and what is accepted.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any, TypeVar

import msgspec
import msgspec.inspect as mi

from chainbook.errors import InvalidInput

T = TypeVar("T")

_DECIMAL = re.compile(r"^-?[0-9]+$")
_HEX = re.compile(r"^(?:0x)?([0-9a-fA-F]{2})*$")


class InvalidField(InvalidInput):
    """A request or action field that does not hold a valid value."""

    code = "invalid_request"


class RecordNotFound(InvalidInput):
    """A query named one record (by its id) that does not exist: HTTP 404 `not_found`.
    A query that answers a `found` flag instead is as good; an absence is never a 400."""

    code = "not_found"


# --- values to JSON ---------------------------------------------------------------------------


def to_json_value(value: Any) -> Any:
    """A module value as JSON-ready builtins (bytes as hex, structs as objects)."""
    if isinstance(value, msgspec.Struct):
        fields = {name: to_json_value(getattr(value, name)) for name in value.__struct_fields__}
        tag = value.__struct_config__.tag
        return {"type": tag, **fields} if isinstance(tag, str) else fields
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(to_json_value(k)): to_json_value(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    return value


def encode_json(value: Any) -> bytes:
    return msgspec.json.encode(to_json_value(value))


# --- JSON to values ---------------------------------------------------------------------------


def from_json_value(obj: Any, type_: type[T], where: str = "") -> T:
    """Build a `type_` value from JSON builtins (the inverse of to_json_value)."""
    value = _from_json(obj, mi.type_info(type_), where or getattr(type_, "__name__", "value"))
    return _validated(value, type_, where)


def _from_json(obj: Any, info: mi.Type, where: str) -> Any:
    match info:
        case mi.BytesType():
            return _parse_hex(obj, where, info)
        case mi.StructType(cls=cls, fields=fields):
            if not isinstance(obj, dict):
                raise InvalidField(f"{where}: expected an object, got {_show(obj)}")
            extra = set(obj) - {f.encode_name for f in fields} - {"type"}
            if extra:
                known = ", ".join(f.encode_name for f in fields)
                raise InvalidField(f"{where}: unknown field {sorted(extra)[0]!r}; fields: {known}")
            kwargs = {
                f.name: _from_json(obj[f.encode_name], f.type, f"{where}.{f.encode_name}")
                for f in fields
                if f.encode_name in obj
            }
            missing = [f.encode_name for f in fields if f.required and f.encode_name not in obj]
            if missing:
                raise InvalidField(f"{where}: missing field {missing[0]!r}")
            return cls(**kwargs)
        case mi.ListType(item_type=item) | mi.VarTupleType(item_type=item):
            if not isinstance(obj, list):
                raise InvalidField(f"{where}: expected a list, got {_show(obj)}")
            return [_from_json(x, item, f"{where}[{i}]") for i, x in enumerate(obj)]
        case mi.DictType(value_type=value_type):
            if not isinstance(obj, dict):
                raise InvalidField(f"{where}: expected an object, got {_show(obj)}")
            return {k: _from_json(v, value_type, f"{where}.{k}") for k, v in obj.items()}
        case mi.UnionType(types=types):
            if obj is None and any(isinstance(t, mi.NoneType) for t in types):
                return None
            tagged = {
                t.tag: t
                for t in types
                if isinstance(t, mi.StructType) and isinstance(t.tag, str)
            }
            if tagged:
                # A tagged union of structs: the object names its member under "type".
                tag = obj.get("type") if isinstance(obj, dict) else None
                if tag not in tagged:
                    raise InvalidField(
                        f"{where}: expected an object whose \"type\" is one of "
                        f"{', '.join(sorted(tagged))}, got {_show(obj)}"
                    )
                return _from_json(obj, tagged[tag], where)
            for option in types:
                if not isinstance(option, mi.NoneType):
                    return _from_json(obj, option, where)
    return obj


def _validated(value: Any, type_: type[T], where: str) -> T:
    """Every constraint of `type_` checked (lengths, bounds, types) by a strict round trip."""
    try:
        return msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=type_)
    except (msgspec.ValidationError, msgspec.DecodeError, TypeError) as exc:
        prefix = f"{where}: " if where else ""
        raise InvalidField(f"{prefix}{exc}") from None


# --- text (command line, URL query) to values ------------------------------------------------


def parse_text(text: str, info: mi.Type, where: str) -> Any:
    """One field's value from its text form (see the module docstring)."""
    match info:
        case mi.BytesType():
            return _parse_hex(text, where, info)
        case mi.IntType():
            return _parse_decimal(text, where)
        case mi.EnumType(cls=cls) if issubclass(cls, enum.IntEnum):
            return _parse_decimal(text, where)
        case mi.BoolType():
            if text.lower() not in ("true", "false", "1", "0"):
                raise InvalidField(f"{where}: expected true or false, got {text!r}")
            return text.lower() in ("true", "1")
        case mi.StrType():
            return text
        case mi.LiteralType(values=values) if all(isinstance(v, str) for v in values):
            if text not in values:
                choices = ", ".join(repr(v) for v in values)
                raise InvalidField(f"{where}: {text!r} is not one of {choices}")
            return text
        case mi.UnionType(types=types) if len(
            [t for t in types if not isinstance(t, mi.NoneType)]
        ) == 1:
            (option,) = [t for t in types if not isinstance(t, mi.NoneType)]
            return parse_text(text, option, where)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidField(f"{where}: expected JSON, got {text!r} ({exc})") from None
    return _from_json(obj, info, where)


def build_from_text(type_: type[T], params: dict[str, str]) -> T:
    """A request or action Struct from text parameters (URL query, command-line options)."""
    info = mi.type_info(type_)
    assert isinstance(info, mi.StructType)
    by_name = {f.encode_name: f for f in info.fields}
    unknown = sorted(set(params) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "none"
        raise InvalidField(f"unknown parameter {unknown[0]!r}; parameters: {known}")
    missing = [f.encode_name for f in info.fields if f.required and f.encode_name not in params]
    if missing:
        raise InvalidField(f"missing parameter {missing[0]!r}")
    kwargs = {
        by_name[name].name: parse_text(text, by_name[name].type, name)
        for name, text in params.items()
    }
    return _validated(type_(**kwargs), type_, "")


# --- describing fields --------------------------------------------------------------------------


class FieldSpec(msgspec.Struct, frozen=True):
    """One field of a request or action type, for generated parameters and options."""

    name: str
    required: bool
    default: Any
    """The default value (None when required or when the default is None)."""
    info: Any
    """Its msgspec.inspect type (for parse_text)."""
    schema: dict[str, Any]
    is_scalar: bool
    """Given as plain text (bytes, int, bool, str); otherwise as JSON."""


def describe_fields(type_: type[msgspec.Struct]) -> list[FieldSpec]:
    info = mi.type_info(type_)
    assert isinstance(info, mi.StructType)
    specs = []
    for f in info.fields:
        default = None if f.default is msgspec.NODEFAULT else f.default
        scalar = isinstance(f.type, mi.BytesType | mi.IntType | mi.BoolType | mi.StrType) or (
            isinstance(f.type, mi.LiteralType) and all(isinstance(v, str) for v in f.type.values)
        )
        specs.append(FieldSpec(f.encode_name, f.required, default, f.type, _schema(f.type), scalar))
    return specs


# --- JSON Schema --------------------------------------------------------------------------------


def json_schema(type_: Any) -> dict[str, Any]:
    """The JSON Schema of a module type as the API encodes it (bytes as hex strings)."""
    return _schema(mi.type_info(type_))


def _schema(info: mi.Type) -> dict[str, Any]:
    match info:
        case mi.BytesType(min_length=low, max_length=high):
            if low is not None and low == high:
                return {"type": "string", "pattern": f"^[0-9a-f]{{{2 * low}}}$"}
            return {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
        case mi.IntType(ge=ge, le=le, gt=gt, lt=lt):
            schema: dict[str, Any] = {"type": "integer"}
            if ge is not None:
                schema["minimum"] = ge
            if gt is not None:
                schema["exclusiveMinimum"] = gt
            if ge is None and gt is None:
                schema["minimum"] = INT_MIN  # what msgpack holds
            if le is not None:
                schema["maximum"] = le
            if lt is not None:
                schema["exclusiveMaximum"] = lt
            if le is None and lt is None:
                schema["maximum"] = INT_MAX
            return schema
        case mi.EnumType(cls=cls):
            return {"enum": [m.value for m in cls]}
        case mi.LiteralType(values=values):
            if all(isinstance(v, str) for v in values):
                return {"type": "string", "enum": list(values)}
            return {"enum": list(values)}
        case mi.BoolType():
            return {"type": "boolean"}
        case mi.StrType(max_length=high):
            return {"type": "string"} if high is None else {"type": "string", "maxLength": high}
        case mi.NoneType():
            return {"type": "null"}
        case mi.ListType(item_type=item) | mi.VarTupleType(item_type=item):
            return {"type": "array", "items": _schema(item)}
        case mi.TupleType(item_types=items):
            return {
                "type": "array",
                "prefixItems": [_schema(t) for t in items],
                "minItems": len(items),
                "maxItems": len(items),
            }
        case mi.DictType(value_type=value_type):
            return {"type": "object", "additionalProperties": _schema(value_type)}
        case mi.UnionType(types=types):
            return {"anyOf": [_schema(t) for t in types]}
        case mi.StructType(cls=cls, fields=fields):
            properties = {f.encode_name: _schema(f.type) for f in fields}
            tag = cls.__struct_config__.tag
            if isinstance(tag, str):
                properties = {"type": {"const": tag}, **properties}
            return {
                "title": cls.__name__,
                "type": "object",
                "properties": properties,
                "required": [f.encode_name for f in fields if f.required],
                "additionalProperties": False,
            }
    return {}


# --- helpers ------------------------------------------------------------------------------------


INT_MIN, INT_MAX = -(2**63), 2**64 - 1
"""What msgpack (hence a transaction or a state record) can hold."""


def _parse_decimal(text: str, where: str) -> int:
    if not _DECIMAL.match(text) or len(text) > 21:
        raise InvalidField(f"{where}: expected an integer in decimal digits, got {text[:40]!r}")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise InvalidField(f"{where}: {value} is out of range ({INT_MIN}..{INT_MAX})")
    return value


def _parse_hex(obj: Any, where: str, info: mi.BytesType) -> bytes:
    if not isinstance(obj, str) or not _HEX.match(obj):
        raise InvalidField(f"{where}: expected hex (pairs of 0-9a-f), got {_show(obj)}")
    value = bytes.fromhex(obj.removeprefix("0x"))
    low, high = info.min_length, info.max_length
    if low is not None and low == high and len(value) != low:
        raise InvalidField(
            f"{where}: expected {low} bytes ({2 * low} hex characters), got {len(value)}"
        )
    return value


def _show(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = [
    "FieldSpec",
    "InvalidField",
    "RecordNotFound",
    "build_from_text",
    "describe_fields",
    "encode_json",
    "from_json_value",
    "json_schema",
    "parse_text",
    "to_json_value",
]
