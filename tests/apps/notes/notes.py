"""A small module that lives only in the test suite: signed public notes.

It shows what adding a module takes: this folder (the manifest is in __init__.py) and one
registry line (registry.py). Nothing else in the tree is edited for it, and the tests of
test_everywhere.py find it in the API, the CLI, the client, the docs tables, the simulator and
the layer test.

State (under b"notes/"):  note/<author 20 bytes><id utf-8>  ->  MessagePack [text, height]
                          params                             ->  MessagePack NotesParams
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import msgspec

from chainbook import codec
from chainbook.apps.base import (
    KVReader,
    KVStore,
    ModuleError,
    QueryContext,
    Rng,
    TxContext,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Height

NOTE_ID_CHARS_MAX = 32
AddressBytes = Annotated[bytes, msgspec.Meta(min_length=20, max_length=20)]


class Post(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="notes.post"
):
    """Publish a note under an id of the sender's; an id is used once."""

    id: str
    text: str


class Delete(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="notes.delete"
):
    """Delete one of the sender's notes."""

    id: str


class NoteExists(ModuleError):
    code = "notes.exists"


class NoteNotFound(ModuleError):
    code = "notes.not_found"


class NoteTooLong(ModuleError):
    code = "notes.too_long"


class NotesGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text_bytes_max: int = 140


class NotesParams(msgspec.Struct, array_like=True, frozen=True):
    text_bytes_max: int


class StoredNote(msgspec.Struct, array_like=True, frozen=True):
    text: str
    height: Height


class NoteRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    author: AddressBytes
    id: str


class Note(msgspec.Struct, frozen=True):
    author: Address
    id: str
    found: bool
    text: str = ""
    height: Height = 0


def note_key(author: Address, note_id: str) -> bytes:
    return b"note/" + author + note_id.encode()


def get_params(view: KVReader) -> NotesParams:
    raw = view.get(b"params")
    assert raw is not None, "notes params missing: state not initialised from genesis"
    return codec.decode(raw, NotesParams)


def verify_post(view: KVReader, ctx: TxContext, action: Post) -> None:
    if not 1 <= len(action.id) <= NOTE_ID_CHARS_MAX:
        raise NoteTooLong(f"id has {len(action.id)} characters, accepted 1..{NOTE_ID_CHARS_MAX}")
    limit = get_params(view).text_bytes_max
    if len(action.text.encode()) > limit:
        raise NoteTooLong(f"text is {len(action.text.encode())} bytes, limit {limit}")
    if view.get(note_key(ctx.sender, action.id)) is not None:
        raise NoteExists(f"note {action.id!r} of {ctx.sender.hex()} exists; pick another id")


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    match action:
        case Post():
            verify_post(view, ctx, action)
            view.set(
                note_key(ctx.sender, action.id), codec.encode(StoredNote(action.text, ctx.height))
            )
            return [Event("notes", "posted", [("author", ctx.sender.hex()), ("id", action.id)])]
        case Delete():
            key = note_key(ctx.sender, action.id)
            if view.get(key) is None:
                raise NoteNotFound(f"no note {action.id!r} of {ctx.sender.hex()}")
            view.delete(key)
            return []
    raise AssertionError(f"notes received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: NotesGenesis) -> None:
    view.set(b"params", codec.encode(NotesParams(section.text_bytes_max)))


def query_note(ctx: QueryContext, request: NoteRequest) -> Note:
    """One note of an author, or found=false."""
    raw = ctx.view.get(note_key(request.author, request.id))
    if raw is None:
        return Note(author=request.author, id=request.id, found=False)
    stored = codec.decode(raw, StoredNote)
    return Note(request.author, request.id, True, stored.text, stored.height)


class NotesWorkload:
    def __init__(self) -> None:
        self.count = 0

    def genesis_section(self, accounts: Sequence[Address]) -> NotesGenesis | None:
        return None

    def next_action(self, rng: Rng, sender: Address, accounts: Sequence[Address]) -> msgspec.Struct:
        self.count += 1
        return Post(id=f"n{self.count}", text="x" * rng.randint(0, 40))

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        pass
