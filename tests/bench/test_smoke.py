"""The smoke benchmark end to end: real node processes on loopback, a real load process.

No threshold on speed (CI machines vary); it checks that the harness measures what it claims:
every field is present, transactions committed, and every accepted transaction committed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainbook.bench import main

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]

STEP_FIELDS = {
    "offered_tps", "offered_tps_measured", "committed_tps", "submitted", "accepted", "refused",
    "committed", "all_committed", "latency_s", "blocks", "block_time_s_mean",
    "txs_per_block_mean", "cpu_s", "cpu_us_per_tx_per_node", "bytes_on_disk_per_tx",
    "submit_mode", "tx_bytes", "node_counters",
}
CONFIG_FIELDS = {"validators", "tx_bytes_measured", "machine", "timeout_commit_ms"}
MACHINE_FIELDS = {"cpu_model", "cpus_usable", "memory_gib", "python"}


def test_smoke_benchmark_commits_every_transaction(tmp_path: Path) -> None:
    out = tmp_path / "results"
    code = main(["smoke", "--out", str(out), "--duration", "8", "--rate", "200"])
    assert code == 0
    result = json.loads((out / "smoke.json").read_text())
    assert result["config"].keys() >= CONFIG_FIELDS
    assert result["config"]["machine"].keys() >= MACHINE_FIELDS
    assert result["config"]["validators"] == 4
    (step,) = result["steps"]
    assert step.keys() >= STEP_FIELDS, STEP_FIELDS - step.keys()
    assert {"p50", "p95", "p99"} <= step["latency_s"].keys()
    assert len(step["cpu_s"]) == 4
    # Each node's /metrics counters were read before and after the step (deltas, so >= 0).
    assert set(step["node_counters"]) == {"node0", "node1", "node2", "node3"}
    for counters in step["node_counters"].values():
        assert counters is not None
        assert counters.keys() == {"txs_checked_in_blocks", "txs_refused", "peer_messages_dropped"}
        assert all(value >= 0 for value in counters.values())
    assert step["committed"] > 0
    assert step["refused"] == {}
    assert step["committed"] == step["submitted"] == step["accepted"]
    assert step["all_committed"] is True
    assert step["latency_s"]["p50"] is not None and step["latency_s"]["p50"] > 0
    assert step["bytes_on_disk_per_tx"] is not None and step["bytes_on_disk_per_tx"] > 0
    assert (out / "smoke.png").stat().st_size > 0
    assert (out / "smoke-txs.csv.gz").stat().st_size > 0
