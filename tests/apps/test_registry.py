"""The action registry and the module framework's guarantees."""

import msgspec
import pytest

from chainbook import codec
from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.apps.base import GenesisSection, Module, ModuleError, Query
from chainbook.apps.registry import REGISTRY, Registry, decode_action
from chainbook.errors import DecodeError, UnknownAction
from tests.support import BOB


def test_actions_round_trip_as_tagged_arrays() -> None:
    for action in (Transfer(BOB.address, 5, "hi"), MultiTransfer([Output(BOB.address, 1)])):
        raw = codec.encode(action)
        assert msgspec.msgpack.decode(raw)[0] == type(action).__struct_config__.tag
        assert decode_action(raw) == action
    assert REGISTRY.module_for(Transfer(BOB.address, 1)).name == "bank"


def test_unknown_tag_names_the_tag() -> None:
    known = "unknown action 'nomodule.cast'; known actions: .*bank.transfer"
    with pytest.raises(UnknownAction, match=known):
        decode_action(codec.encode(["nomodule.cast", 1]))
    with pytest.raises(UnknownAction, match="unknown action 7"):
        decode_action(codec.encode([7, 1]))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xc1", "malformed action"),
        (codec.encode([]), "malformed action"),
        (codec.encode(["bank.transfer", BOB.address, "5", ""]), "Expected `int`"),
        (codec.encode(["bank.transfer", BOB.address, 5, "", 0]), "at most length 3"),
        (codec.encode(["bank.transfer", BOB.address, 5]), "non-canonical"),
        (b"\x94\xadbank.transfer\xc4\x14" + BOB.address + b"\xd0\x05\xa0", "non-canonical"),
    ],
)
def test_bad_action_bytes_are_refused_with_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_action(raw)


class Ping(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="ping.go"):
    n: int


class Loose(msgspec.Struct, tag="pong.go"):
    n: int


def _noop(*_: object) -> list[object]:
    return []


def _module(name: str, actions: tuple[type[msgspec.Struct], ...], **extra: object) -> Module:
    return Module(name, f"the {name} module", actions, _noop, **extra)  # type: ignore[arg-type]


class PingError(ModuleError):
    code = "ping.refused"


class StrayError(ModuleError):
    code = "refused"


class NoDefaults(msgspec.Struct):
    n: int


def test_registry_refuses_conflicts() -> None:
    ping = _module("ping", (Ping,), errors=(PingError,))
    assert Registry([ping]).decode_action(codec.encode(Ping(1))) == Ping(1)
    with pytest.raises(ValueError, match="taken or reserved"):
        Registry([ping, ping])
    with pytest.raises(ValueError, match="taken or reserved"):
        Registry([_module("acct", ())])
    with pytest.raises(ValueError, match="must start with 'other.'"):
        Registry([_module("other", (Ping,))])
    with pytest.raises(ValueError, match="array_like"):
        Registry([_module("pong", (Loose,))])


def test_registry_refuses_a_manifest_that_breaks_the_conventions() -> None:
    with pytest.raises(ValueError, match="code 'refused'; it must start with 'ping.'"):
        Registry([_module("ping", (Ping,), errors=(StrayError,))])
    query = Query("q", NoDefaults, int, _noop)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="declares a query name twice"):
        Registry([_module("ping", (Ping,), queries=(query, query))])
    section = GenesisSection(NoDefaults, _noop)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a default for every field"):
        Registry([_module("ping", (Ping,), genesis=section)])


def test_every_module_of_this_build_keeps_the_conventions() -> None:
    for module in REGISTRY.modules:
        for error in module.errors:
            assert error.code.startswith(module.name + "."), error
        assert module.summary and module.queries, module.name
