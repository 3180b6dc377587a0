"""A test-only entry point: a real node process, with a skewed clock or a Byzantine behaviour.

    python -m tests.chaos.node_entry --home H [--clock-offset-ms MS] [--byzantine KIND]

It runs exactly what `chainbook node start --home H` runs (runtime/node.py run_node: the real
Node, its SQLite book, TLS p2p, API and signature workers), after two test-only changes made
from outside, so the production node carries no switch for either:

- `--clock-offset-ms`: the runtime's clock (runtime.node.now_ms, the one time source of the
  core: block times, timeouts, the block-time check) reads MS later (or earlier, if negative)
  than the machine's. This is the chaos suite's clock-skew hook; faketime is not installed on
  every machine, and a module attribute is all the runtime reads.
- `--byzantine KIND` (tests/chaos/byzantine.py): the node's core or node ledger is
  patched to misbehave in one named way, with the node's own key.

The command line names the home, so chainbook.testnet's pid checks (get_node_process) find it
and `testnet.kill` / `testnet.down` stop it like any node.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from chainbook.runtime import node as runtime_node
from chainbook.runtime.home import Home, configure_node_logging
from tests.chaos import byzantine


def install_clock_offset(offset_ms: int) -> None:
    real_now_ms = runtime_node.now_ms

    def skewed_now_ms() -> int:
        return real_now_ms() + offset_ms

    runtime_node.now_ms = skewed_now_ms


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.node_entry")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--clock-offset-ms", type=int, default=0)
    parser.add_argument("--byzantine", choices=sorted(byzantine.BEHAVIOURS), default=None)
    args = parser.parse_args(argv)
    home = Home(args.home)
    configure_node_logging(home, home.load_config())
    sys.setswitchinterval(runtime_node.GIL_SWITCH_INTERVAL_S)
    if args.clock_offset_ms:
        install_clock_offset(args.clock_offset_ms)
    node = runtime_node.Node(home)
    run = node.run()
    if args.byzantine is not None:
        run = byzantine.BEHAVIOURS[args.byzantine](node)
    try:
        import uvloop

        uvloop.run(run)
    except ImportError:
        asyncio.run(run)


if __name__ == "__main__":
    main()
