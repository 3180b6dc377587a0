"""`python -m tests.chaos`: run the chaos suite (see tests/chaos/__init__.py).

    python -m tests.chaos --profile short --seed 1            # every fault once (~2 min)
    python -m tests.chaos --profile long --seed 7 --duration-s 1800 --hold-s 5

Exits 1 if any check failed; the report is printed and written to DIR/chaos_report.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.chaos.run import run_chaos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos")
    parser.add_argument("--profile", choices=["short", "long"], default="short")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hold-s", type=float, default=2.5)
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument("--dir", type=Path, default=None, help="default: a fresh temp folder")
    args = parser.parse_args(argv)
    root = args.dir or Path(tempfile.mkdtemp(prefix="chainbook-chaos-")) / "net"
    report = run_chaos(root, args.seed, args.profile, args.hold_s, args.duration_s)
    print(report.table())
    print(f"report: {root / 'chaos_report.json'}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
