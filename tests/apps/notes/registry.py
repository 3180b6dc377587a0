"""The registry line for the test module: this build's modules plus `notes`."""

from chainbook.apps.registry import MODULES, Registry
from tests.apps.notes import MODULE

REGISTRY = Registry([*MODULES, MODULE])
