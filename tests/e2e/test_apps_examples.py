"""Every worked example of docs/APPS.md, run end to end against a real testnet, so the docs
cannot rot.

A fenced block of docs/APPS.md whose info string holds the word `example` (` ```sh example `,
` ```python example `) is an example; every other block is only text. The examples run in the
order of the page, each in a process of its own, all in one folder holding a fresh
4-validator testnet `net/` (`chainbook testnet init --validators 4 --dir net`, then `up`),
with the environment a reader has after `make demo`: this project's `.venv/bin` first on PATH
(`chainbook`, `python`) and CHAINBOOK_NODE set to node0's API (`testnet init` may not find
its default ports free, so a test cannot assume them). They share the chain and the folder,
not shell variables.

- `sh` (or `bash`, `shell`) blocks run under `bash -e`: a command that fails fails the example.
  A refusal the example shows is piped into `grep` for the words it must contain (without
  pipefail, so the pipeline's status is grep's: the words must be there).
- `python` blocks run with this interpreter; `assert` is their check.

To add an example, write it in docs/APPS.md with the `example` word: nothing here changes.
Each example has EXAMPLE_TIMEOUT_S; a failure shows the section, the block and its output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainbook import testnet

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "APPS.md"
EXAMPLE_TIMEOUT_S = 240
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_SHELLS = {"sh", "bash", "shell"}


@dataclass(frozen=True)
class Example:
    section: str
    """The `## ` heading it is under (its module)."""
    number: int
    """Its position among the examples of its section, from 1."""
    language: str
    code: str
    line: int

    @property
    def name(self) -> str:
        return f"{self.section}-{self.number}"


def extract_examples(text: str) -> list[Example]:
    """The example blocks of a Markdown page, in order; an example of an unknown language is
    refused (it would otherwise be skipped silently)."""
    examples: list[Example] = []
    counts: dict[str, int] = {}
    for match in _FENCE.finditer(text):
        words = match.group(1).split()
        if "example" not in words:
            continue
        language = words[0] if words else ""
        line = text.count("\n", 0, match.start()) + 1
        if language not in _SHELLS | {"python"}:
            raise ValueError(f"{DOC.name}:{line}: example in {language!r}; sh or python run")
        headings = re.findall(r"^## (.+)$", text[: match.start()], re.MULTILINE)
        section = headings[-1].strip() if headings else "intro"
        counts[section] = counts.get(section, 0) + 1
        examples.append(Example(section, counts[section], language, match.group(2), line))
    return examples


EXAMPLES = extract_examples(DOC.read_text())


def test_the_extraction_finds_examples_and_only_them() -> None:
    page = (
        "## one\n```sh example\necho a\n```\n```sh\nnot run\n```\n"
        "## two\n```python example\nprint(1)\n```\n```json\n{}\n```\n"
    )
    found = extract_examples(page)
    assert [(e.name, e.language, e.code) for e in found] == [
        ("one-1", "sh", "echo a\n"),
        ("two-1", "python", "print(1)\n"),
    ]
    with pytest.raises(ValueError, match="example in 'ruby'"):
        extract_examples("```ruby example\nputs 1\n```\n")
    sections = {"notary", "ip", "vote", "identity", "iot", "assets", "private", "evidence", "trace",
                "royalty", "loans", "settlement"}
    assert sections <= {e.section for e in EXAMPLES}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with a running testnet `net/` (what every example assumes)."""
    root = tmp_path_factory.mktemp("apps-examples")
    net = root / "net"
    testnet.init_testnet(net, validators=4, seed="apps-examples")
    testnet.up(net)
    try:
        testnet.wait_until_ready(net, timeout_s=60)
        testnet.wait_until_height(net, 2, timeout_s=60)
        yield root
    finally:
        testnet.down(net)


def environment(root: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["CHAINBOOK_NODE"] = testnet.load_testnet(root / "net").node("node0").api_url
    env["COLUMNS"] = "200"
    env.pop("PYTHONPATH", None)
    return env


def command(example: Example) -> list[str]:
    if example.language == "python":
        return [sys.executable, "-c", example.code]
    return ["bash", "-e", "-c", example.code]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_the_example_runs(folder: Path, example: Example) -> None:
    try:
        done = subprocess.run(
            command(example),
            cwd=folder,
            env=environment(folder),
            capture_output=True,
            text=True,
            timeout=EXAMPLE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{DOC.name}:{example.line} ({example.name}) ran over "
                    f"{EXAMPLE_TIMEOUT_S} s:\n{exc.stdout!r}\n{exc.stderr!r}")
    assert done.returncode == 0, (
        f"{DOC.name}:{example.line} ({example.name}) exited {done.returncode}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
