"""The explorer: the web page every node serves at `/`, and its static assets.

    GET /                                  the page (src/chainbook/api/explorer/index.html)
    GET /explorer/<file>                   its scripts and style (explorer/*.js, *.css, *.svg)
    GET /explorer/<folder>/<file>          pages/, views/ (one file per module view) and
                                           verifier/ (the project's JavaScript verifier,
                                           js/verifier, linked into the package)
    GET /explorer/views/index.json         the module view files, so that adding a module's
                                           view is adding one file to explorer/views/

Rules kept:
- Everything the page needs comes from the node: no CDN, no build step, no font or script
  from elsewhere, so it works on an air-gapped network. The Content-Security-Policy says so
  to the browser too: scripts, styles and connections only from the node itself, no inline
  script, no plugin, no framing.
- Only names matching ASSET_NAME_PATTERN inside ASSET_FOLDERS are served, looked up in the
  package's own files: a path cannot reach anything else (no "..", no absolute path).
- The page reads the chain through the public API alone (GET routes and WebSocket /events),
  as any other client does; it holds no route of its own that reads the node.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response

from chainbook.api.errors import ApiProblem, JSONView

EXPLORER_PACKAGE = "chainbook.api"
EXPLORER_FOLDER = "explorer"
ASSETS_PREFIX = "/explorer"
ASSET_FOLDERS = frozenset({"", "pages", "views", "verifier"})
ASSET_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.(js|css|svg)$")
CONTENT_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A node upgrade changes the page: the browser asks again each time (cheap, small files).
    "Cache-Control": "no-cache",
}


def get_explorer_root() -> Traversable:
    return resources.files(EXPLORER_PACKAGE) / EXPLORER_FOLDER


def read_asset(path: str) -> tuple[bytes, str]:
    """The bytes and content type of the asset at `path` ("app.js", "views/bank.js");
    ApiProblem not_found for anything that is not one of the explorer's files."""
    folder, _, name = path.rpartition("/")
    match = ASSET_NAME_PATTERN.match(name)
    if folder not in ASSET_FOLDERS or match is None:
        raise ApiProblem(
            "not_found",
            f"no explorer asset {path[:80]!r} (names are [a-z0-9_-].js/.css/.svg in "
            f"{', '.join(sorted(f or '/' for f in ASSET_FOLDERS))})",
        )
    location = get_explorer_root()
    for part in (folder, name):
        if part:
            location = location / part
    if not location.is_file():
        raise ApiProblem("not_found", f"no explorer asset {path[:80]!r}")
    return location.read_bytes(), CONTENT_TYPES[match.group(1)]


def list_module_views() -> list[str]:
    """The module view files (views/*.js), sorted: the page imports each of them."""
    views = get_explorer_root() / "views"
    return sorted(
        entry.name
        for entry in views.iterdir()
        if entry.is_file() and ASSET_NAME_PATTERN.match(entry.name) and entry.name.endswith(".js")
    )


def add_explorer_routes(app: FastAPI) -> None:
    page = (get_explorer_root() / "index.html").read_bytes()

    @app.get("/", include_in_schema=False)
    async def get_explorer() -> Response:
        return HTMLResponse(page, headers=PAGE_HEADERS)

    @app.get(ASSETS_PREFIX + "/views/index.json", include_in_schema=False)
    async def get_module_views() -> Response:
        return JSONView({"views": list_module_views()}, headers={"Cache-Control": "no-cache"})

    @app.get(ASSETS_PREFIX + "/{path:path}", include_in_schema=False)
    async def get_asset(path: str) -> Response:
        data, content_type = read_asset(path)
        return Response(data, media_type=content_type, headers=PAGE_HEADERS)


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "add_explorer_routes",
    "list_module_views",
    "read_asset",
]
