"""Each single-rule break of the machine (mutations.py) makes at least one script fail.

The control: the same rebuild with nothing changed must pass every script, or a "kill"
would only show that the rebuild is broken.
"""

from __future__ import annotations

import pytest

from .mutations import MODULES, MUTANTS, Mutant, killing_scripts


@pytest.mark.parametrize("module", MODULES)
def test_the_rebuilt_but_unchanged_machine_passes_every_script(module: str) -> None:
    identity = Mutant(
        "identity",
        "nothing",
        module,
        "from __future__ import annotations",
        "from __future__ import annotations",
    )
    assert killing_scripts(identity) == []


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_killed(mutant: Mutant) -> None:
    assert killing_scripts(mutant), f"no script fails when {mutant.breaks}"
