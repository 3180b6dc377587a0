"""The `notes` module of the test suite (see notes.py for why it exists)."""

from chainbook.apps.base import GenesisSection, Module, Query
from tests.apps.notes.notes import (
    Delete,
    Note,
    NoteExists,
    NoteNotFound,
    NoteRequest,
    NotesGenesis,
    NotesWorkload,
    NoteTooLong,
    Post,
    process,
    process_genesis,
    query_note,
)

MODULE = Module(
    name="notes",
    summary="Signed public notes (a module that exists only in the test suite).",
    actions=(Post, Delete),
    process=process,
    queries=(Query("note", NoteRequest, Note, query_note),),
    genesis=GenesisSection(NotesGenesis, process_genesis),
    errors=(NoteExists, NoteNotFound, NoteTooLong),
    limits={"note_id_chars_max": 32},
    workload=NotesWorkload,
)

__all__ = ["MODULE", "Delete", "Note", "NoteRequest", "NotesGenesis", "Post"]
