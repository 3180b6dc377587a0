"""`pip install chainbook` is the SDK alone: the client must import and work in a Python that
has no fastapi, uvicorn, starlette, matplotlib, numpy, typer or rich. A subprocess blocks
those imports (a finder that refuses them) and talks to a real node API over loopback; the
package's base dependencies must not list them either."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from tests.support.fake_node import CHAIN_ID, FakeNode

NODE_ONLY = (
    "fastapi",
    "fastapi_offline",
    "uvicorn",
    "starlette",
    "matplotlib",
    "numpy",
    "typer",
    "rich",
    "prometheus_client",
    "psutil",
    "cryptography",
)
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys

    BLOCKED = set(sys.argv[2].split(","))

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not installed in this test")
            return None

    sys.meta_path.insert(0, Refuse())

    from chainbook.client import Client, PrivateKey, Wallet, build_action, from_display
    from chainbook.client import AsyncClient, sign_tx, verify_tx_proof  # noqa: F401
    from chainbook.client import verify_receipt_file, trust_root_from_genesis  # noqa: F401

    client = Client(sys.argv[1])
    status = client.status()
    key = PrivateKey.from_label("alice")
    action = build_action("bank", "transfer", to="bb" * 20, amount=from_display("0.000005"))
    sent = Wallet(key, status.chain_id, client).send(action)
    print(status.chain_id, sent.status, len(sent.hash))
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    """
)


def test_the_client_works_without_the_node_dependencies(
    served_node: tuple[FakeNode, str],
) -> None:
    _, url = served_node
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, ",".join(NODE_ONLY)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [CHAIN_ID, "pending", "64"]


def test_the_base_install_lists_none_of_the_node_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"]).lower().replace("-", "_")
    assert not [name for name in NODE_ONLY if name in base]
    extras = project["optional-dependencies"]
    node = " ".join(extras["node"])
    assert "fastapi" in node and "uvicorn" in node
    assert "matplotlib" in " ".join(extras["bench"]) and "matplotlib" not in node
