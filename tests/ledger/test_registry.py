"""The action registry and the module framework's guarantees."""

import ast
import pathlib

import msgspec
import pytest

from chainbook import codec
from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.apps.base import Module
from chainbook.apps.registry import REGISTRY, Registry, decode_action
from chainbook.errors import DecodeError, UnknownAction

from .ledger_support import BOB


def test_actions_round_trip_as_tagged_arrays() -> None:
    for action in (Transfer(BOB.address, 5, "hi"), MultiTransfer([Output(BOB.address, 1)])):
        raw = codec.encode(action)
        assert msgspec.msgpack.decode(raw)[0] == type(action).__struct_config__.tag
        assert decode_action(raw) == action
    assert REGISTRY.module_for(Transfer(BOB.address, 1)).name == "bank"


def test_unknown_tag_names_the_tag() -> None:
    with pytest.raises(UnknownAction, match="unknown action 'vote.cast'; known actions: bank."):
        decode_action(codec.encode(["vote.cast", 1]))
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


def test_registry_refuses_conflicts() -> None:
    ping = Module("ping", (Ping,), _noop)  # type: ignore[arg-type]
    assert Registry([ping]).decode_action(codec.encode(Ping(1))) == Ping(1)
    with pytest.raises(ValueError, match="taken or reserved"):
        Registry([ping, ping])
    with pytest.raises(ValueError, match="taken or reserved"):
        Registry([Module("acct", (), _noop)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must start with 'other.'"):
        Registry([Module("other", (Ping,), _noop)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="array_like"):
        Registry([Module("pong", (Loose,), _noop)])  # type: ignore[arg-type]


FORBIDDEN = {"asyncio", "socket", "sqlite3", "time", "random", "threading", "os", "subprocess"}
CORE_FILES = [
    "ledger/state.py",
    "ledger/execute.py",
    "apps/base.py",
    "apps/registry.py",
    "apps/bank/__init__.py",
    "apps/bank/actions.py",
    "apps/bank/process.py",
    "apps/bank/queries.py",
    "core/mempool.py",
]


@pytest.mark.parametrize("relative", CORE_FILES)
def test_core_module_imports_no_io(relative: str) -> None:
    import chainbook

    path = pathlib.Path(chainbook.__file__).parent / relative
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
        if isinstance(node, ast.ImportFrom) and node.module:
            forbidden = ("chainbook.runtime", "chainbook.p2p", "chainbook.api")
            assert not node.module.startswith(forbidden)
    assert not imported & FORBIDDEN, imported & FORBIDDEN
