"""The JavaScript verifier (js/verifier/) under the machine's Node.js: its unit tests and the
shared proof vectors, which it must judge as the Python verifier does (`node --test`, no npm)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

VERIFIER = Path(__file__).resolve().parents[2] / "js" / "verifier"
NODE_TIMEOUT_S = 120


def test_the_javascript_verifier_passes_its_tests_and_the_shared_vectors() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (apt-get install nodejs): JS verifier untested")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    assert int(version.stdout.strip().lstrip("v").split(".")[0]) >= 20, version.stdout
    result = subprocess.run(
        [node, "--test", "test/"],
        cwd=VERIFIER,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass " in result.stdout
