"""Make ``chainbook`` importable when the project is not installed into the environment.

With ``pip install -e .`` (what ``make test`` does) this does nothing.
"""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("chainbook") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
