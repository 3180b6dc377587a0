"""`chainbook notary anchor FILE...` and `chainbook notary verify FILE RECEIPT --genesis G`.

    chainbook notary anchor FILE [FILE ...] --key K [--title T] [--metadata M]
                            [-o OUT | --out-dir DIR] [--node URL]
    chainbook notary verify FILE RECEIPT --genesis G

`anchor` hashes the files locally (SHA-256; the documents never leave the machine), sends one
`notary.anchor` for one file or one `notary.anchor_batch` for several (their RFC 6962 root,
apps/notary/batch.py), waits for the commit and writes a notary receipt per document: by
default FILE.notary.json beside it (an existing file is never overwritten). `verify` checks a
document against its notary receipt offline, contacting no node, trusting only the genesis
file, and says when the document was recorded and by whom: height, block time, signer.

A notary receipt file (format "chainbook/notary-receipt", version 1) is JSON:

    { "format": "chainbook/notary-receipt", "version": 1,
      "document_hash": hex SHA-256 of the document,
      "batch": null                                   for notary.anchor
             | { "index": uint, "size": uint,         for notary.anchor_batch: the document's
                 "path": [hex hash, ...] },           leaf and its RFC 6962 audit path
      "receipt": { the transaction's receipt file, docs/PROTOCOL.md "Proof files" } }

Checking one, in order: the file's SHA-256 is `document_hash`; `receipt` verifies as a
receipt file (the transaction, its outcome and its block certified by > 2/3 of the
validators followed from the genesis file); the outcome is a success; its action is either
notary.anchor of exactly that hash (and `batch` is null), or notary.anchor_batch whose
`hashes` is `batch.size` and whose `root` the audit path leads to from the document's leaf.
A plain receipt file of a notary.anchor transaction is accepted too (the document's hash is
then the one its action names).

These commands replace the generated `notary anchor` (which takes a hash, not a file); the
generated `notary anchor-batch` and `notary anchored` stay (cli/modules.py).
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)

NOTARY_RECEIPT_FORMAT = "chainbook/notary-receipt"
NOTARY_RECEIPT_VERSION = 1
NOTARY_RECEIPT_BYTES_MAX = 4 * 1024 * 1024 + 64 * 1024
"""A receipt file (at most PROOF_FILE_BYTES_MAX, api/proof_views.py) plus an audit path."""
READ_CHUNK_BYTES = 1 << 20
RECEIPT_SUFFIX = ".notary.json"
COMMIT_WAIT_S = 30.0


class BatchPosition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    index: int
    size: int
    path: list[str]
    """Hex hashes: the RFC 6962 audit path of the document's leaf, leaf side first."""


class NotaryReceiptFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: str
    version: int
    document_hash: str
    batch: BatchPosition | None
    receipt: Any
    """A receipt file (api/proof_views.py ReceiptFile), checked by verify_receipt_file."""


class VerifiedAnchoring(msgspec.Struct, frozen=True):
    """What a notary receipt proves about a document, every field checked."""

    document_hash: bytes
    chain_id: str
    height: int
    time_ms: int
    signer: bytes
    tx_hash: bytes
    block_hash: bytes
    title: str
    metadata: str
    batch_index: int | None
    batch_size: int | None
    batch_root: bytes | None


# --- documents and receipts (no IO beyond the files named) -------------------------------------


def hash_file(path: Path) -> bytes:
    """SHA-256 of a file, read in chunks (a document of any size)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(READ_CHUNK_BYTES):
            digest.update(chunk)
    return digest.digest()


def build_notary_receipts(
    document_hashes: list[bytes], receipt_file: msgspec.Struct, batch: bool
) -> list[NotaryReceiptFile]:
    """One notary receipt per document of an anchoring transaction's receipt file."""
    from chainbook.apps.notary import compute_audit_paths

    receipt = msgspec.to_builtins(receipt_file)
    if not batch:
        (only,) = document_hashes
        return [
            NotaryReceiptFile(
                NOTARY_RECEIPT_FORMAT, NOTARY_RECEIPT_VERSION, only.hex(), None, receipt
            )
        ]
    paths = compute_audit_paths(document_hashes)
    size = len(document_hashes)
    return [
        NotaryReceiptFile(
            NOTARY_RECEIPT_FORMAT,
            NOTARY_RECEIPT_VERSION,
            document.hex(),
            BatchPosition(index, size, [h.hex() for h in path]),
            receipt,
        )
        for index, (document, path) in enumerate(zip(document_hashes, paths, strict=True))
    ]


def load_notary_receipt(data: bytes, document_hash: bytes) -> NotaryReceiptFile:
    """A notary receipt, or a plain receipt file wrapped as one; ProofError naming the fault."""
    from chainbook.api.proof_views import RECEIPT_FORMAT
    from chainbook.client.verify import ProofError

    if len(data) > NOTARY_RECEIPT_BYTES_MAX:
        raise ProofError(f"receipt of {len(data)} bytes, at most {NOTARY_RECEIPT_BYTES_MAX}")
    try:
        head = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ProofError(f"not a receipt (malformed or truncated JSON): {exc}") from None
    kind = head.get("format") if isinstance(head, dict) else None
    if kind == RECEIPT_FORMAT:
        return NotaryReceiptFile(
            NOTARY_RECEIPT_FORMAT, NOTARY_RECEIPT_VERSION, document_hash.hex(), None, head
        )
    if kind != NOTARY_RECEIPT_FORMAT:
        raise ProofError(
            f"unknown format {kind!r}; accepted: {NOTARY_RECEIPT_FORMAT}, {RECEIPT_FORMAT}"
        )
    if head.get("version") != NOTARY_RECEIPT_VERSION:
        raise ProofError(
            f"{kind} version {head.get('version')!r}; this verifier reads version "
            f"{NOTARY_RECEIPT_VERSION}"
        )
    try:
        return msgspec.convert(head, NotaryReceiptFile)
    except msgspec.ValidationError as exc:
        raise ProofError(f"{kind}: {exc}") from None


def verify_notary_receipt(
    document_hash: bytes, data: bytes, root: Any, registry: Any = None
) -> VerifiedAnchoring:
    """What the receipt `data` proves about the document whose SHA-256 is `document_hash`,
    under the trust root `root` (client/verify.py); ProofError naming the first failed check."""
    from chainbook.api.proof_views import ReceiptFile
    from chainbook.apps.fields import from_json_value
    from chainbook.apps.notary import Anchor, AnchorBatch, is_document_in_batch
    from chainbook.apps.registry import REGISTRY
    from chainbook.client.verify import ProofError, verify_receipt_file

    notary = load_notary_receipt(data, document_hash)
    if notary.document_hash != document_hash.hex():
        raise ProofError(
            f"the document's SHA-256 is {document_hash.hex()}, the receipt is for "
            f"{notary.document_hash}: this is not the anchored document (or it changed)"
        )
    try:
        receipt = msgspec.convert(notary.receipt, ReceiptFile)
    except msgspec.ValidationError as exc:
        raise ProofError(f"receipt: {exc}") from None
    verified = verify_receipt_file(receipt, root, registry or REGISTRY)
    if not verified.ok:
        raise ProofError(
            f"the anchoring transaction was refused ({verified.code}: {verified.error}): it "
            "anchored nothing"
        )
    tag = verified.action.get("type")
    batch = notary.batch
    if tag == "notary.anchor":
        action = from_json_value(verified.action, Anchor)
        if batch is not None:
            raise ProofError("a notary.anchor transaction anchors one document, not a batch")
        if action.hash != document_hash:
            raise ProofError(
                f"the transaction anchored {action.hash.hex()}, not this document "
                f"({document_hash.hex()})"
            )
        title, metadata, root_hash = action.title, action.metadata, None
    elif tag == "notary.anchor_batch":
        batch_action = from_json_value(verified.action, AnchorBatch)
        if batch is None:
            raise ProofError("a batch anchoring needs the document's position and audit path")
        if batch.size != batch_action.hashes:
            raise ProofError(
                f"the receipt places the document in a batch of {batch.size}, the transaction "
                f"anchored a batch of {batch_action.hashes}"
            )
        path = [_hash_from_hex(f"batch.path[{i}]", h) for i, h in enumerate(batch.path)]
        if not is_document_in_batch(
            document_hash, batch.index, batch.size, path, batch_action.root
        ):
            raise ProofError(
                f"the audit path does not lead from the document (leaf {batch.index} of "
                f"{batch.size}) to the anchored root {batch_action.root.hex()}"
            )
        title, metadata, root_hash = batch_action.title, batch_action.metadata, batch_action.root
    else:
        raise ProofError(f"the transaction is a {tag!r}, not a notary anchoring")
    return VerifiedAnchoring(
        document_hash=document_hash,
        chain_id=verified.chain_id,
        height=verified.height,
        time_ms=verified.time_ms,
        signer=verified.sender,
        tx_hash=verified.tx_hash,
        block_hash=verified.block_hash,
        title=title,
        metadata=metadata,
        batch_index=batch.index if batch is not None else None,
        batch_size=batch.size if batch is not None else None,
        batch_root=root_hash,
    )


def _hash_from_hex(where: str, text: str) -> bytes:
    from chainbook.client.verify import ProofError

    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise ProofError(f"{where}: not hex: {text[:70]!r}") from None
    if len(value) != 32:
        raise ProofError(f"{where}: a hash is 32 bytes, got {len(value)}")
    return value


def format_time_ms(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms // 1000, datetime.UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{ms % 1000:03d} UTC"


# --- the commands ------------------------------------------------------------------------------


def anchor(
    files: Annotated[list[Path], typer.Argument(help="The documents (one, or a batch).")],
    key: Annotated[Path, typer.Option("--key", help="The signer's key file.")],
    title: Annotated[str, typer.Option("--title", help="A title for the anchoring.")] = "",
    metadata: Annotated[
        str, typer.Option("--metadata", help="Metadata (free text, e.g. JSON).")
    ] = "",
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="The receipt file (one document only).")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", help="Write each receipt here (default: beside its document)."),
    ] = None,
    passphrase_file: Annotated[
        Path | None, typer.Option("--passphrase-file", help="The key's passphrase file.")
    ] = None,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Anchor documents' SHA-256 (one, or a batch under one root) and write their receipts."""
    from chainbook.apps.notary import Anchor, AnchorBatch, compute_batch_root, limits
    from chainbook.cli.passphrases import existing_passphrase
    from chainbook.client.http import Client
    from chainbook.client.wallet import Wallet
    from chainbook.keyfile import load_key_file

    with friendly_errors():
        if out is not None and len(files) != 1:
            raise UserError(f"-o names one receipt file; {len(files)} documents given (--out-dir)")
        if len(files) > limits.batch_hashes_max:
            raise UserError(f"{len(files)} documents, a batch holds at most "
                            f"{limits.batch_hashes_max}")
        targets = [out] if out is not None else [
            (out_dir or f.parent) / (f.name + RECEIPT_SUFFIX) for f in files
        ]
        _verify_targets(files, targets)
        hashes = [hash_file(f) for f in files]
        _verify_distinct(files, hashes)
        batch = len(files) > 1
        root = compute_batch_root(hashes) if batch else None
        action: msgspec.Struct = (
            Anchor(hashes[0], title, metadata)
            if root is None
            else AnchorBatch(root, len(hashes), title, metadata)
        )
        signer = load_key_file(key, lambda: existing_passphrase(passphrase_file, f"key file {key}"))
        with Client(node) as client:
            wallet = Wallet(signer, client.status().chain_id, client)
            submitted = wallet.send(action, wait=True, timeout_s=COMMIT_WAIT_S)
            receipt = submitted.receipt
            if receipt is None:
                raise UserError(f"transaction {submitted.hash} not committed within "
                                f"{COMMIT_WAIT_S:.0f} s; ask again with chainbook tx")
            if not receipt.ok:
                raise UserError(f"the anchoring was refused: {receipt.error} [{receipt.code}]")
            receipt_file = client.get_receipt_file(submitted.hash)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        for target, document in zip(
            targets, build_notary_receipts(hashes, receipt_file, batch), strict=True
        ):
            _write_new(target, msgspec.json.format(msgspec.json.encode(document), indent=2))
        rows: list[tuple[str, object]] = [
            ("height", receipt.height),
            ("transaction", submitted.hash),
            ("signer", signer.address.hex()),
        ]
        if root is not None:
            rows.append(("batch root", root.hex()))
        rows += [
            (str(f), f"{h.hex()} -> {t}")
            for f, h, t in zip(files, hashes, targets, strict=True)
        ]
        console.print(key_value_table("notary.anchor" + ("_batch" if batch else ""), rows))


def verify(
    file: Annotated[Path, typer.Argument(help="The document.")],
    receipt: Annotated[Path, typer.Argument(help="Its notary receipt (or receipt file).")],
    genesis: Annotated[
        Path, typer.Option("--genesis", help="The genesis file whose validators are trusted.")
    ],
    json_output: JsonOption = False,
) -> None:
    """Check a document against its receipt offline: when it was recorded, and by whom."""
    from chainbook.client.verify import trust_root_from_genesis
    from chainbook.ledger.genesis import load_genesis

    with friendly_errors():
        size = receipt.stat().st_size
        if size > NOTARY_RECEIPT_BYTES_MAX:
            raise UserError(f"{receipt}: {size} bytes, a receipt has at most "
                            f"{NOTARY_RECEIPT_BYTES_MAX}")
        trust = trust_root_from_genesis(
            load_genesis(genesis.read_bytes()), f"the genesis file {genesis}"
        )
        verified = verify_notary_receipt(hash_file(file), receipt.read_bytes(), trust)
        if json_output:
            print_json(verified)
            return
        _print_verified(file, verified)


def _print_verified(file: Path, verified: VerifiedAnchoring) -> None:
    rows: list[tuple[str, object]] = [
        ("document", f"{file} (SHA-256 {verified.document_hash.hex()})"),
        ("chain", verified.chain_id),
        ("height", verified.height),
        ("block time", format_time_ms(verified.time_ms)),
        ("signer", verified.signer.hex()),
        ("transaction", verified.tx_hash.hex()),
        ("block", verified.block_hash.hex()),
        ("title", verified.title or "-"),
        ("metadata", verified.metadata or "-"),
    ]
    if verified.batch_root is not None:
        rows.append(
            (
                "batch",
                f"document {verified.batch_index} of {verified.batch_size} under root "
                f"{verified.batch_root.hex()}",
            )
        )
    console.print(key_value_table("notary receipt", rows))
    first = (
        "the first anchoring of this document on the chain"
        if verified.batch_root is None
        else "the first anchoring of its batch's root on the chain"
    )
    console.print(
        f"[bold green]verified[/]: {file} existed at height {verified.height} "
        f"({format_time_ms(verified.time_ms)}), anchored by {verified.signer.hex()}; "
        f"{first}, certified by more than 2/3 of the validators followed from the genesis file",
        soft_wrap=True,
        highlight=False,
    )


def _verify_targets(files: list[Path], targets: list[Path]) -> None:
    """Every document readable and every receipt new, before anything is sent."""
    for document in files:
        if not document.is_file():
            raise UserError(f"{document}: not a file")
    for target in targets:
        if target.exists():
            raise UserError(f"{target} exists; a receipt is never overwritten (move it away)")
    if len(set(targets)) != len(targets):
        raise UserError("two documents would write the same receipt file; use --out-dir")


def _verify_distinct(files: list[Path], hashes: list[bytes]) -> None:
    seen: dict[bytes, Path] = {}
    for document, digest in zip(files, hashes, strict=True):
        if digest in seen:
            raise UserError(f"{seen[digest]} and {document} have the same content; anchor one")
        seen[digest] = document


def _write_new(path: Path, data: bytes) -> None:
    with path.open("xb") as file:
        file.write(data + b"\n")


def add_notary_commands(app: typer.Typer) -> None:
    """Put `anchor` (files in) and `verify` in the generated `notary` group of `app`."""
    for group in app.registered_groups:
        if group.name == "notary" and group.typer_instance is not None:
            commands = group.typer_instance.registered_commands
            commands[:] = [c for c in commands if c.name not in ("anchor", "verify")]
            group.typer_instance.command("anchor")(anchor)
            group.typer_instance.command("verify")(verify)
            return


__all__ = [
    "NOTARY_RECEIPT_FORMAT",
    "BatchPosition",
    "NotaryReceiptFile",
    "VerifiedAnchoring",
    "add_notary_commands",
    "build_notary_receipts",
    "hash_file",
    "load_notary_receipt",
    "verify_notary_receipt",
]
