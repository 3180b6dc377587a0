"""The API's documentation pages, served with their own assets: no CDN, so /docs works on an
air-gapped network.

    GET /docs                   Swagger UI over /openapi.json
    GET /redoc                  ReDoc over /openapi.json
    GET /docs/assets/{name}     the pages' scripts and styles

The assets are the Swagger UI and ReDoc bundles shipped by the `fastapi-offline` package
(installed from PyPI with the node extra, read from its package data here; its own app class
is not used). Only the files named in ASSETS are served, so a path cannot reach anything else.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response

from chainbook.api.errors import ApiProblem

ASSETS_PACKAGE = "fastapi_offline"
ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
    "favicon.png": "image/png",
}
ASSETS_PREFIX = "/docs/assets"

_SWAGGER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="{prefix}/favicon.png">
<link rel="stylesheet" href="{prefix}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{prefix}/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "{openapi}", dom_id: "#swagger-ui", deepLinking: true}});</script>
</body></html>
"""
_REDOC_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="{prefix}/favicon.png"></head>
<body><redoc spec-url="{openapi}"></redoc>
<script src="{prefix}/redoc.standalone.js"></script></body></html>
"""


def read_asset(name: str) -> bytes:
    """An asset's bytes; ApiProblem not_found for any name not in ASSETS."""
    if name not in ASSETS:
        raise ApiProblem("not_found", f"no documentation asset {name[:80]!r}")
    return (resources.files(ASSETS_PACKAGE) / "static" / name).read_bytes()


def add_docs_routes(app: FastAPI) -> None:
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def get_docs() -> Response:
        page = _SWAGGER_PAGE.format(title=app.title, prefix=ASSETS_PREFIX, openapi=openapi)
        return HTMLResponse(page)

    @app.get("/redoc", include_in_schema=False)
    async def get_redoc() -> Response:
        page = _REDOC_PAGE.format(title=app.title, prefix=ASSETS_PREFIX, openapi=openapi)
        return HTMLResponse(page)

    @app.get(ASSETS_PREFIX + "/{name}", include_in_schema=False)
    async def get_asset(name: str) -> Response:
        data = read_asset(name)
        return Response(
            data, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"}
        )


__all__ = ["ASSETS", "add_docs_routes", "read_asset"]
