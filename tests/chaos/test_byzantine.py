"""Byzantine validators as real processes: one of four validators misbehaves, three are honest.

One testnet; its validator node3 is restarted in each role of tests/chaos/byzantine.py in turn
(double_sign after invalid_proposal: it costs node3 its power; junk last: the ban it earns
outlasts the test). While clients send transfers, for each role:

    invalid_proposal  no block node3 proposes is ever committed, and the heights it should have
                      proposed are decided in a later round: the round moved on
    double_sign       honest nodes log `equivocation_evidence` naming node3, a block commits
                      the evidence and governance takes node3's power (`evidence_committed`)
    junk              every honest node bans node3 (`peer_banned`) and stops talking to it

and after all three: the honest books agree at every height, hold every acknowledged transfer
where it was acknowledged, and their balances equal the model (tests/chaos/checker.py).
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from chainbook.testnet import layout
from tests.chaos import checker
from tests.chaos.cluster import ChaosCluster
from tests.chaos.workload import Workload

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HONEST = ["node0", "node1", "node2"]
BYZANTINE = "node3"
ROLE_S = 8.0
SEED = 3


def log_events(cluster: ChaosCluster, name: str, event: str) -> list[dict[str, object]]:
    path = cluster.home(name).root / "node.log"
    return [
        record
        for line in path.read_text(errors="replace").splitlines()
        if f'"event":"{event}"' in line and (record := json.loads(line))
    ]


def run_role(cluster: ChaosCluster, role: str) -> tuple[int, int]:
    """node3 in `role` for ROLE_S seconds; returns the honest heights (before, after)."""
    cluster.kill(BYZANTINE, signal.SIGTERM)
    cluster.start(BYZANTINE, byzantine=role)
    before = min(h or 0 for h in checker.get_heights(cluster.net, HONEST).values())
    time.sleep(ROLE_S)
    _, after = checker.wait_for_progress(cluster.net, HONEST, 2, 30)
    return before, min(h or 0 for h in after.values())


def evidence_committed(net: layout.Testnet, validator: str, timeout_s: float = 30.0) -> bool:
    """A block committed evidence against `validator` (40 hex) and governance took its power:
    waits up to `timeout_s` (the evidence is gossiped, proposed, then the power goes to zero
    two heights after the block that carries it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with net.client("node0") as client:
            records = client.apps.governance.evidence(validator=validator).records
            members = {v.address.hex() for v in client.apps.governance.validators().validators}
        if records and validator not in members:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def test_a_byzantine_validator_is_detected_refused_or_banned_and_changes_nothing(
    tmp_path: Path,
) -> None:
    cluster = ChaosCluster(tmp_path / "net", 4, SEED)
    workload = Workload(cluster.net, SEED, nodes=HONEST)
    byzantine_address = cluster.net.node(BYZANTINE).address
    try:
        cluster.start_all()
        checker.wait_for_progress(cluster.net, cluster.names, 2, 60)
        workload.start()

        before, after = run_role(cluster, "invalid_proposal")
        assert log_events(cluster, BYZANTINE, "byzantine_invalid_proposal"), "it never proposed"
        with cluster.net.client("node0") as client:
            blocks = [client.get_block(h) for h in range(before + 1, after + 1)]
        assert all(b.header.proposer != byzantine_address for b in blocks[1:])
        assert any(b.commit is not None and b.commit.round > 0 for b in blocks), (
            "no height went past round 0 while node3 proposed invalid blocks"
        )

        run_role(cluster, "double_sign")
        evidence = [e for n in HONEST for e in log_events(cluster, n, "equivocation_evidence")]
        assert evidence and {e["validator"] for e in evidence} == {byzantine_address}
        assert evidence_committed(cluster.net, byzantine_address), "node3 kept its power"

        run_role(cluster, "junk")
        node3_id = cluster.net.node(BYZANTINE).public_key
        for name in HONEST:
            bans = log_events(cluster, name, "peer_banned")
            assert any(node3_id.startswith(str(b["peer"])) for b in bans), f"{name} kept node3"
            with cluster.net.client(name) as client:
                peers = {p.node_id for p in client.status().peers}
            assert node3_id not in peers, f"{name} still talks to the banned node3"

        history = workload.stop()
        verdict = checker.check_network(cluster.net, HONEST, history, 60)
        assert verdict.ok, verdict.problems
        assert verdict.facts["acked"] > 20, verdict.facts  # type: ignore[operator]
    finally:
        workload.stop()
        cluster.close()
