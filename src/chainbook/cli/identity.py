"""`chainbook identity commit FILE ...` and `chainbook identity verify FILE --salt S --proof P
--genesis G`: a credential's commitment made on the holder's machine, and a presented
document checked against a credential offline.

    chainbook identity commit FILE --kind K --subject HEX [--salt HEX]
    chainbook identity verify FILE --salt HEX --proof P --genesis G

`commit` hashes the document locally (it never leaves the machine), draws a 32-byte salt
unless one is given, and prints the salt and the commitment as two plain lines
(apps/identity/commitment.py):
the issuer sends `chainbook identity issue --commitment C --kind K --subject S` and hands the
holder the document and the salt.

`verify` contacts no node. P is a state proof file of `identity.credential` (`chainbook proof
get identity credential commitment=C -o P`, fetched by anyone, at any time). In order it
checks: P verifies under the validators followed from the genesis file G (client/verify.py:
every key read is proven under a certified header, the query re-run gives the answer); the
query is identity.credential; the commitment recomputed from the file's SHA-256, the salt and
the kind and subject the chain recorded is the one P asks about. Then it says the status at
P's height (valid, revoked, expired; unknown is a failure: no such credential), who issued
it, and the issuer's standing. Exit 0 only for "valid".

These join the generated `identity issue`, `identity revoke` and `identity credential`
(cli/modules.py).
"""

from __future__ import annotations

import hashlib
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)

READ_CHUNK_BYTES = 1 << 20
SALT_BYTES = 32


class VerifiedCredential:
    """What a document, its salt and a credential's state proof establish, every field checked."""

    __slots__ = ("answer", "document_hash", "height", "time_ms")

    def __init__(self, document_hash: bytes, answer: dict[str, Any], height: int, time_ms: int):
        self.document_hash = document_hash
        self.answer = answer
        self.height = height
        self.time_ms = time_ms


def hash_file(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(READ_CHUNK_BYTES):
            digest.update(chunk)
    return digest.digest()


def parse_hex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise UserError(f"{what}: expected hex, got {text[:70]!r}") from None


def verify_credential(
    document_hash: bytes, salt: bytes, proof: bytes, root: Any, registry: Any = None
) -> VerifiedCredential:
    """Check a document (by its SHA-256) and salt against a credential's state proof file
    under the trust root `root`; ProofError naming the first failed check."""
    from chainbook.apps.identity import compute_commitment, is_salt_size_valid
    from chainbook.apps.registry import REGISTRY
    from chainbook.client.verify import ProofError, verify_state_proof_file

    verified = verify_state_proof_file(proof, root, registry or REGISTRY)
    if (verified.module, verified.query) != ("identity", "credential"):
        raise ProofError(
            f"the proof is of {verified.module}.{verified.query}, not identity.credential"
        )
    answer = verified.answer
    assert isinstance(answer, dict)
    if not answer["found"]:
        raise ProofError(
            f"the chain holds no credential {answer['commitment']} (status unknown at height "
            f"{answer['height']})"
        )
    if not is_salt_size_valid(salt):
        raise ProofError(f"a salt is 16 to 64 bytes, got {len(salt)}")
    commitment = compute_commitment(
        answer["kind"], bytes.fromhex(answer["subject"]), document_hash, salt
    )
    if commitment.hex() != answer["commitment"]:
        raise ProofError(
            f"the document and salt commit to {commitment.hex()}, the credential is "
            f"{answer['commitment']}: this is not the credentialled document (or the salt is "
            "wrong, or it changed)"
        )
    return VerifiedCredential(document_hash, answer, verified.height, verified.time_ms)


def commit(
    file: Annotated[Path, typer.Argument(help="The document.")],
    kind: Annotated[str, typer.Option("--kind", help="birth, marriage, degree, ...")],
    subject: Annotated[
        str, typer.Option("--subject", help="An address (40 hex) or a 32-byte hash (64 hex).")
    ],
    salt: Annotated[
        str | None, typer.Option("--salt", help="The salt (hex); default: 32 random bytes.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Compute a document's commitment (and a salt) on this machine."""
    from chainbook.apps.identity import compute_commitment

    with friendly_errors():
        salt_bytes = parse_hex(salt, "--salt") if salt else secrets.token_bytes(SALT_BYTES)
        try:
            commitment = compute_commitment(
                kind, parse_hex(subject, "--subject"), hash_file(file), salt_bytes
            )
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if json:
            print_json({"salt": salt_bytes.hex(), "commitment": commitment.hex()})
            return
        # Plain lines, so a script reads them (awk '/^salt/ {print $2}').
        sys.stdout.write(f"salt {salt_bytes.hex()}\ncommitment {commitment.hex()}\n")


def verify(
    file: Annotated[Path, typer.Argument(help="The presented document.")],
    salt: Annotated[str, typer.Option("--salt", help="Its salt (hex), from the holder.")],
    proof: Annotated[
        Path, typer.Option("--proof", help="A state proof file of identity.credential.")
    ],
    genesis: Annotated[
        Path, typer.Option("--genesis", help="The genesis file whose validators are trusted.")
    ],
    json: JsonOption = False,
) -> None:
    """Check a document against a credential offline: valid, revoked or expired at a height."""
    from chainbook.api.proof_views import PROOF_FILE_BYTES_MAX
    from chainbook.cli.notary import format_time_ms
    from chainbook.client.verify import trust_root_from_genesis
    from chainbook.ledger.genesis import load_genesis

    with friendly_errors():
        size = proof.stat().st_size
        if size > PROOF_FILE_BYTES_MAX:
            raise UserError(f"{proof}: {size} bytes, a proof file has at most "
                            f"{PROOF_FILE_BYTES_MAX}")
        trust = trust_root_from_genesis(
            load_genesis(genesis.read_bytes()), f"the genesis file {genesis}"
        )
        checked = verify_credential(
            hash_file(file), parse_hex(salt, "--salt"), proof.read_bytes(), trust
        )
        answer = checked.answer
        if json:
            print_json(
                {
                    "document": str(file),
                    "document_hash": checked.document_hash.hex(),
                    "height": checked.height,
                    "time_ms": checked.time_ms,
                    "credential": answer,
                }
            )
            if answer["status"] != "valid":
                raise typer.Exit(1)
            return
        rows: list[tuple[str, object]] = [
            ("document", f"{file} (SHA-256 {checked.document_hash.hex()})"),
            ("credential", answer["commitment"]),
            ("kind", answer["kind"]),
            ("subject", answer["subject"]),
            ("issuer", f"{answer['issuer']} ({answer['issuer_name'] or '-'}), "
                       f"{answer['issuer_status']}"),
            ("issued", f"height {answer['issued_height']}"),
            ("valid until", answer["valid_until_height"] or "no end"),
            ("status", f"{answer['status']} after block {checked.height} "
                       f"({format_time_ms(checked.time_ms)})"),
        ]
        if answer["status"] == "revoked":
            rows.append(("revoked", f"height {answer['revoked_height']}: "
                                    f"{answer['revoke_reason']}"))
        if answer["issuer_status"] == "revoked":
            rows.append(("issuer revoked", f"height {answer['issuer_revoked_height']}"))
        console.print(key_value_table("identity credential", rows))
        status = answer["status"]
        colour = "green" if status == "valid" else "red"
        console.print(
            f"[bold {colour}]{status}[/]: {file} is the document of credential "
            f"{answer['commitment'][:16]}… ({answer['kind']}, issued by {answer['issuer']}); "
            f"{status} after block {checked.height}, proven under a header certified by more "
            "than 2/3 of the validators followed from the genesis file",
            soft_wrap=True,
            highlight=False,
        )
        if status != "valid":
            raise typer.Exit(1)


def add_identity_commands(app: typer.Typer) -> None:
    """Put `commit` and `verify` in the generated `identity` group of `app`."""
    for group in app.registered_groups:
        if group.name == "identity" and group.typer_instance is not None:
            group.typer_instance.command("commit")(commit)
            group.typer_instance.command("verify")(verify)
            return


__all__ = ["VerifiedCredential", "add_identity_commands", "verify_credential"]
