"""Where the CLI gets a passphrase: --passphrase-file, an environment variable, or a prompt.

The order is the same for every command (keyfile.resolve_passphrase): an explicit file first,
then the environment (CHAINBOOK_KEY_PASSPHRASE for key files, CHAINBOOK_CA_PASSPHRASE for the
CA key), then a hidden prompt; a new passphrase typed at the prompt is asked twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainbook.keyfile import PASSPHRASE_ENV, PassphraseRequired, resolve_passphrase

PassphraseFileOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help=f"Read the passphrase from this file (mode 0600). Else ${PASSPHRASE_ENV}, else a "
        "prompt.",
    ),
]


def _ask(what: str, env_name: str, text: str, confirm: bool) -> bytes:
    """A hidden prompt; end of input (a script, no terminal) becomes a clear error."""
    try:
        answer = typer.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True)
    except typer.Abort:
        raise PassphraseRequired(
            f"{what} needs a passphrase and none was typed: give it with --passphrase-file FILE "
            f"or the environment variable {env_name}"
        ) from None
    return str(answer).encode()


def existing_passphrase(
    passphrase_file: Path | None, what: str, env_name: str = PASSPHRASE_ENV
) -> bytes:
    """The passphrase of something that already exists (asked once when prompting)."""

    def prompt() -> bytes:
        return _ask(what, env_name, f"passphrase of {what}", confirm=False)

    return resolve_passphrase(passphrase_file, prompt, env_name=env_name, what=what)


def new_passphrase(
    passphrase_file: Path | None, what: str, env_name: str = PASSPHRASE_ENV
) -> bytes:
    """A passphrase to encrypt with (typed twice when prompting)."""

    def prompt() -> bytes:
        return _ask(what, env_name, f"new passphrase for {what}", confirm=True)

    return resolve_passphrase(passphrase_file, prompt, env_name=env_name, what=what)


__all__ = ["PassphraseFileOption", "existing_passphrase", "new_passphrase"]
