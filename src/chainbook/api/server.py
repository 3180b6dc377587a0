"""The HTTP server of a node's API: uvicorn, configured with the API's outside-facing bounds."""

from __future__ import annotations

from typing import Any

import uvicorn

from chainbook import limits


def api_server_config(
    app: Any, host: str, port: int, *, connections_max: int = limits.api_connections_max
) -> uvicorn.Config:
    """`connections_max` concurrent connections or requests in progress; uvicorn answers the
    next one 503. (Request bodies are bounded by the app: limits.api_request_bytes_max.)"""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        limit_concurrency=connections_max,
    )


__all__ = ["api_server_config"]
