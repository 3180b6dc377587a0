"""Mutation checks of the accounts, fees, multi-signer and mempool-fee rules: break each rule
(one textual change), run the tests that guard it, expect a failure, restore the file.

    .venv/bin/python -m tests.apps.fees.mutations      (about two minutes; not part of `make test`)

A mutation that survives means a rule no test enforces: the script exits 1 and names it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = [
    "tests/apps/accounts",
    "tests/apps/fees",
    "tests/chain/test_tx.py",
    "tests/core/test_mempool_fees.py",
    "tests/ledger/test_tx_invariants.py",
]
SRC = "src/chainbook/"
MUTATIONS: list[tuple[str, str, str]] = [
    (  # k of n: one weight short must not pass
        "apps/account_policy.py",
        "compute_signed_weight(policy, key_addresses) >= policy.threshold",
        "compute_signed_weight(policy, key_addresses) >= policy.threshold - 1",
    ),
    (
        "ledger/authorization.py",
        "for account in tx.accounts[1:]:",
        "for account in tx.accounts[2:]:",
    ),
    ("apps/accounts/process.py", "    verify_new_policy_met(policy, ctx)", "    pass"),
    ("apps/fees/process.py", "    if fee < needed:", "    if fee < needed - 1:"),
    ("apps/fees/process.py", '    view.call("bank", "burn", ctx, ctx.sender, fee)', "    pass"),
    (
        "core/mempool.py",
        "len(queue.entries) >= self.txs_per_sender_max",
        "len(queue.entries) > self.txs_per_sender_max",
    ),
    (
        "core/mempool.py",
        "if item is None or item[0] >= rate:",
        "if item is None or item[0] > rate:",
    ),
    ("core/mempool.py", "if len(self._rates) <= 1:", "if len(self._rates) <= 2:"),
    (
        "core/mempool.py",
        "if entry is None or size + entry.size > bytes_max:\n                    continue",
        "if entry is None or size + entry.size > bytes_max:\n                    break",
    ),
    (
        "chain/tx.py",
        "        and body.accounts is None\n        and len(keys[0])",
        "        and len(keys[0])",
    ),
    (
        "ledger/execute.py",
        "        if len(tx.accounts) > 1:\n"
        "            authorizer.verify_cosigners(tx)\n"
        "        events",
        "        events",
    ),
    (
        "ledger/execute.py",
        "    if rule.param is not None and governor is not None",
        "    if False and governor is not None",
    ),
    (
        "core/mempool.py",
        "get_min_fee_per_byte(state.registry, state.kv, state.height + 1)",
        "get_min_fee_per_byte(state.registry, state.kv, state.height + 2)",
    ),
    (
        "apps/accounts/workload.py",
        "while nonce is not None and history and history[-1][0] >= nonce:",
        "while False:",
    ),
]


def run_mutation(path: str, old: str, new: str) -> bool:
    """True when a test fails with the mutation in place (the file is always restored)."""
    file = Path(SRC + path)
    source = file.read_text()
    assert source.count(old) == 1, f"{path}: the mutated text must occur once: {old!r}"
    file.write_text(source.replace(old, new))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        file.write_text(source)
    return result.returncode != 0


def main() -> int:
    survived = []
    for path, old, new in MUTATIONS:
        caught = run_mutation(path, old, new)
        print(("caught   " if caught else "SURVIVED ") + f"{path}: {old.strip()!r}", flush=True)
        if not caught:
            survived.append(path)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
