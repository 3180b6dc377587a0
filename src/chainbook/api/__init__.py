"""The node's HTTP/JSON API (FastAPI). `create_app(service)` is the entry point.

`create_app` is imported lazily so that `chainbook.api.views`, which the client SDK shares,
can be imported without loading the web framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainbook.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from chainbook.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
