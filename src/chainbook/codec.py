"""Canonical encoding: MessagePack for the wire and storage, JSON for the API (msgspec).

Every hashed or signed structure is a msgspec Struct declared `array_like=True`: it encodes as a
MessagePack array of its fields in declaration order, with msgspec's shortest-form integers and
byte strings. That encoding is canonical (one value, one byte string), which docs/PROTOCOL.md
spells out for clients in other languages. Decoding is strict: wrong types, missing or extra
fields are refused with a message naming the field, and `decode_canonical` also refuses bytes
that decode but are not the canonical encoding of what they decode to.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from chainbook.errors import DecodeError

T = TypeVar("T")

_encoder = msgspec.msgpack.Encoder()
_json_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}


def encode(value: Any) -> bytes:
    """The canonical MessagePack encoding of a struct (or any msgspec-encodable value)."""
    return _encoder.encode(value)


def _decoder_for(type_: type[T]) -> msgspec.msgpack.Decoder[T]:
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = msgspec.msgpack.Decoder(type_)
        _decoders[type_] = decoder
    return decoder


def decode(data: bytes, type_: type[T]) -> T:
    """Decode MessagePack `data` as `type_`, raising DecodeError with msgspec's reason."""
    try:
        return _decoder_for(type_).decode(data)
    except msgspec.ValidationError as exc:
        raise DecodeError(f"invalid {_name(type_)}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise DecodeError(f"malformed {_name(type_)}: {exc}") from None


def decode_canonical(data: bytes, type_: type[T]) -> T:
    """Decode, then refuse any encoding other than the canonical one.

    Used for everything whose hash is an identity (transactions, blocks): without it two byte
    strings could stand for one transaction and get two hashes.
    """
    value = decode(data, type_)
    if encode(value) != data:
        raise DecodeError(f"non-canonical encoding of {_name(type_)}")
    return value


def to_json(value: Any) -> bytes:
    return _json_encoder.encode(value)


def to_builtins(value: Any) -> Any:
    """JSON-ready builtins (bytes become base64 by msgspec's rule; the API hexes hashes itself)."""
    return msgspec.to_builtins(value)


def _name(type_: Any) -> str:
    return getattr(type_, "__name__", repr(type_))


__all__ = ["decode", "decode_canonical", "encode", "to_builtins", "to_json"]
