"""`chainbook bench stages` measures every stage it names (no threshold on speed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainbook.bench.cli import main
from chainbook.bench.stages import STAGES, run_stages


def test_every_stage_is_measured_over_real_blocks() -> None:
    result = run_stages(blocks=2, txs_per_block=20, accounts=10)
    per_tx = result["cpu_us_per_tx"]
    assert list(per_tx) == list(STAGES)
    assert all(us > 0 for us in per_tx.values()), per_tx
    assert result["cpu_us_per_tx_validator"] == pytest.approx(
        sum(per_tx.values()) - per_tx["propose"], abs=0.05
    )
    assert result["config"]["tx_bytes_measured"] == pytest.approx(250, abs=2)


def test_the_command_writes_its_json_and_refuses_nonsense(tmp_path: Path) -> None:
    assert main(["stages", "--blocks", "1", "--txs", "10", "--accounts", "5", "--out",
                 str(tmp_path)]) == 0
    written = json.loads((tmp_path / "stages.json").read_text())
    assert written["scenario"] == "stages" and written["config"]["blocks"] == 1
    with pytest.raises(SystemExit, match="--txs must be >= 1"):
        main(["stages", "--txs", "0", "--out", str(tmp_path)])
