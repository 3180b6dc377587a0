"""Rewrite the hashes of docs/PROTOCOL.md's genesis and header examples after a genesis change.

    .venv/bin/python -m tests.docs.rewrite_protocol_examples

A module that adds a genesis section changes the example genesis, hence its hash, block 1's
prev_block_hash, the block hash, the vote signature and block 2's last_commit_hash. Edit the
`canonical` bytes of the example and genesis_hash() in tests/docs/test_protocol_doc.py by
hand (they are the rule a reader follows); this recomputes the values that follow from them
and puts them on their lines. Read the diff before committing it.
"""

from __future__ import annotations

import re
import sys

import nacl.signing

from tests.docs.test_protocol_doc import DOC, SEED, genesis_hash, header_bytes, pack, sha


def rewrite(text: str) -> str:
    genesis = genesis_hash().hex()
    block_hash = sha(header_bytes())
    sign_bytes = b"chainbook/vote/v1\x00chainbook-local\x00" + pack([2, 1, 0, block_hash])
    signature = nacl.signing.SigningKey(SEED).sign(sign_bytes).signature.hex()
    commit_hash = sha(pack([1, 0, block_hash, [[0, bytes.fromhex(signature)]]])).hex()
    hex64 = "[0-9a-f]{64}"
    rules = [
        (rf"^(genesis hash ){hex64}$", genesis),
        (rf"^(prev_block_hash +){hex64}( \(genesis\))$", genesis),
        (rf"^(block hash +){hex64}$", block_hash.hex()),
        (rf"^(signature \(seed [^)]*\)\n +){hex64}$", signature[:64]),
        (rf"^(signature \(seed [^)]*\)\n +{hex64}\n +){hex64}$", signature[64:]),
        (rf"^(last_commit_hash of block 2\n +){hex64}$", commit_hash),
    ]
    for pattern, value in rules:
        text, count = re.subn(
            pattern, lambda m, v=value: m.group(1) + v + (m.group(2) if m.lastindex == 2 else ""),
            text, flags=re.MULTILINE,
        )  # fmt: skip
        if count != 1:
            raise SystemExit(f"{DOC}: expected one line for {pattern!r}, found {count}")
    return text


def main() -> int:
    before = DOC.read_text()
    after = rewrite(before)
    DOC.write_text(after)
    print("rewrote" if after != before else "unchanged", DOC)
    return 0


if __name__ == "__main__":
    sys.exit(main())
