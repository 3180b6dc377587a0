"""`chainbook`: keys, local testnets, a node, transfers, queries, the demo and the simulator.

Exit codes: 0 success; 1 a mistake the message explains (bad argument, missing or unsafe file,
timeout); 2 the node refused the request; 3 no node answered; 2 is also typer's code for a
malformed command line. Heavy or separately built parts (node runtime, simulator, benchmarks)
are imported only by the command that needs them.

Each command group is a file of this package: init.py (a node's home), keys.py, ca.py (the
network CA), node.py and node_setup.py (certificates and genesis of a home), testnet.py,
chain.py (commands that ask a node), tools.py (demo, simulate, verify, bench), proofs.py
(receipt and state proof files) and genesis.py (a genesis assembled from public keys,
checked and hashed).
"""

from __future__ import annotations

import typer

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.cli import chain, governance, init, node_setup, tools
from chainbook.cli.ca import ca_app
from chainbook.cli.evidence import add_evidence_commands
from chainbook.cli.genesis import genesis_app
from chainbook.cli.identity import add_identity_commands
from chainbook.cli.keys import keys_app
from chainbook.cli.loans import add_loans_commands
from chainbook.cli.modules import add_module_commands
from chainbook.cli.node import node_app
from chainbook.cli.notary import add_notary_commands
from chainbook.cli.private import add_private_commands
from chainbook.cli.proofs import proof_app, receipt_app
from chainbook.cli.settlement import add_settlement_commands
from chainbook.cli.testnet import testnet_app
from chainbook.cli.trace import add_trace_commands

BUILT_IN_GROUPS = frozenset({"keys", "ca", "testnet", "node", "receipt", "proof", "genesis"})
node_app.add_typer(node_setup.commands)


def build_app(registry: Registry = REGISTRY) -> typer.Typer:
    """The root command, with a command group per app module of `registry` (cli/modules.py)."""
    app = typer.Typer(
        name="chainbook",
        help="chainbook: a decentralized ledger with BFT consensus and offline-verifiable "
        "receipts.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,  # locals may hold key seeds
    )
    app.add_typer(init.commands)
    app.add_typer(keys_app, name="keys")
    app.add_typer(ca_app, name="ca")
    app.add_typer(testnet_app, name="testnet")
    app.add_typer(node_app, name="node")
    app.add_typer(chain.commands)
    app.add_typer(tools.commands)
    app.add_typer(receipt_app, name="receipt")
    app.add_typer(proof_app, name="proof")
    app.add_typer(genesis_app, name="genesis")
    clash = BUILT_IN_GROUPS & {m.name for m in registry.modules}
    if clash:
        raise ValueError(f"module names {sorted(clash)} clash with built-in command groups")
    add_module_commands(app, registry)
    governance.add_commands(app)
    add_notary_commands(app)
    add_evidence_commands(app)
    add_trace_commands(app)
    add_private_commands(app)
    add_identity_commands(app)
    add_loans_commands(app)
    add_settlement_commands(app)
    return app


app = build_app()

__all__ = ["app", "build_app"]
