"""Every interaction script in testdata/ must produce exactly its expected output.

A failure shows the script, the line of the command and a diff of expected vs actual output.
After an intended change of behaviour, regenerate with
`.venv/bin/python -m tests.consensus.interaction --rewrite` (or CHAINBOOK_REWRITE=1) and
read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .interaction import REWRITE_ENV, all_scripts, check_script, rewrite_script


@pytest.mark.parametrize("path", all_scripts(), ids=lambda p: p.stem)
def test_script(path: Path) -> None:
    if os.environ.get(REWRITE_ENV):
        rewrite_script(path)
    mismatches = check_script(path)
    assert not mismatches, "\n\n".join(m.describe(path) for m in mismatches)


def test_there_are_scripts() -> None:
    assert len(all_scripts()) >= 20
