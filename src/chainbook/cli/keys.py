"""`chainbook keys`: create, inspect, encrypt and decrypt Ed25519 key files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    err_console,
    friendly_errors,
    key_value_table,
    print_json,
)
from chainbook.cli.passphrases import PassphraseFileOption, existing_passphrase, new_passphrase
from chainbook.crypto import PrivateKey
from chainbook.keyfile import (
    compute_key_file,
    decrypt_key_file,
    encrypt_key_file,
    read_key_file_info,
    verify_new_passphrase,
    write_key_file,
)

keys_app = typer.Typer(
    help="Create, inspect, encrypt and decrypt Ed25519 key files.", no_args_is_help=True
)

KeyFileArgument = Annotated[Path, typer.Argument(help="A key file.")]


@keys_app.command("new")
def keys_new(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the key here (mode 0600, never overwritten)."),
    ] = None,
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="Encrypt the file under a passphrase.")
    ] = False,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Create a new random key. Without --out, print the key file JSON to stdout."""
    with friendly_errors():
        key = PrivateKey.generate()
        if out is None:
            if encrypt:
                raise UserError("--encrypt needs --out FILE (an encrypted key is a file)")
            sys.stdout.write(msgspec.json.encode(compute_key_file(key)).decode() + "\n")
            err_console.print("[yellow]not saved: this output holds the secret seed[/]")
            return
        passphrase = None
        if encrypt:
            passphrase = new_passphrase(passphrase_file, f"key file {out}")
            verify_new_passphrase(passphrase)
        write_key_file(out, key, passphrase)
        form = "encrypted, mode 0600" if encrypt else "mode 0600"
        console.print(f"address [bold]{key.address.hex()}[/]  saved to {out} ({form})")


@keys_app.command("show")
def keys_show(file: KeyFileArgument, json: JsonOption = False) -> None:
    """Show a key file's address and public key (never its seed; no passphrase needed)."""
    with friendly_errors():
        info = read_key_file_info(file)
        if json:
            print_json(
                {
                    "file": str(file),
                    "address": info.address.hex(),
                    "public_key": info.public_key.hex(),
                    "encrypted": info.encrypted,
                }
            )
            return
        rows: list[tuple[str, object]] = [
            ("address", info.address.hex()),
            ("public key", info.public_key.hex()),
            ("encrypted", "yes" if info.encrypted else "no"),
        ]
        console.print(key_value_table(f"key file {file}", rows))


@keys_app.command("address")
def keys_address(file: KeyFileArgument) -> None:
    """Print only the key file's address (40 hex), for scripts: ADDR=$(chainbook keys address F)."""
    with friendly_errors():
        print(read_key_file_info(file).address.hex())


@keys_app.command("encrypt")
def keys_encrypt(file: KeyFileArgument, passphrase_file: PassphraseFileOption = None) -> None:
    """Encrypt a plaintext key file in place under a new passphrase (same key)."""
    with friendly_errors():
        if read_key_file_info(file).encrypted:
            raise UserError(f"key file {file} is already encrypted")
        passphrase = new_passphrase(passphrase_file, f"key file {file}")
        info = encrypt_key_file(file, passphrase)
        console.print(f"{file}: encrypted (address {info.address.hex()})")


@keys_app.command("decrypt")
def keys_decrypt(file: KeyFileArgument, passphrase_file: PassphraseFileOption = None) -> None:
    """Replace an encrypted key file by the same key in plaintext (mode 0600)."""
    with friendly_errors():
        if not read_key_file_info(file).encrypted:
            raise UserError(f"key file {file} is not encrypted")
        info = decrypt_key_file(file, existing_passphrase(passphrase_file, f"key file {file}"))
        console.print(f"{file}: decrypted (address {info.address.hex()}); it is plaintext now")


__all__ = ["keys_app"]
