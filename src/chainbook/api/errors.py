"""The API's errors: one body, and one HTTP status per error code, everywhere.

Every error answer is {"error": "<code>", "message": "<what was wrong, the value, what is
accepted>"}, and its status is `get_status_for_code(code)`, a function of the code alone:

    400  every code not listed below: a refused transaction (invalid_signature,
         invalid_nonce, <module>.<reason>, ...), a malformed body (malformed_json,
         invalid_request, invalid_hex), a bad path or query value (invalid_hash,
         invalid_address, invalid_height, invalid_cursor, invalid_request)
    404  not_found (no such block, transaction, route), unknown_query
    405  method_not_allowed
    408  request_timeout (headers or body not received in time; api/server.py)
    413  request_too_large (api/body_limit.py)
    503  mempool_full (with Retry-After), not_ready (/health), too_many_connections,
         index_unavailable, not_provable_yet (a record newer than the latest proven state),
         pending_full (private contents waiting for their blocks): the node cannot serve
         now, a retry later or elsewhere may succeed

A route never picks a status: it raises ApiProblem(code, message) (or an InvalidInput with a
`code`), and the handlers here look the status up. A query parameter FastAPI refuses (a
timeout out of range) is invalid_request, so 400 as well, never 422.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from chainbook.api import views
from chainbook.errors import InvalidInput

STATUS_BY_CODE: dict[str, int] = {
    "not_found": 404,
    "unknown_query": 404,
    "method_not_allowed": 405,
    "request_timeout": 408,
    "request_too_large": 413,
    "mempool_full": 503,
    "not_ready": 503,
    "too_many_connections": 503,
    "index_unavailable": 503,
    "not_provable_yet": 503,
    "pending_full": 503,
}
STATUS_DEFAULT = 400
RETRY_AFTER_S = 1
"""Retry-After of every 503: the node is at capacity or not ready, not the client at fault."""
ERROR_DESCRIPTIONS = {
    400: "Invalid input",
    404: "Not found",
    405: "Method not allowed",
    408: "Request not received in time",
    413: "Request body too large",
    503: "Not available now; retry later (Retry-After)",
}


def get_status_for_code(code: str) -> int:
    return STATUS_BY_CODE.get(code, STATUS_DEFAULT)


class ApiProblem(Exception):
    """An error the API reports as it is: its code and message; the status follows the code.

    `ApiProblem(code, message)`; the older form `ApiProblem(status, code, message)` is
    accepted while the status agrees with the code (a disagreement is a bug of ours).
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 3:
            status, code, message = args
            assert status == get_status_for_code(code), (status, code)
        else:
            code, message = args
        super().__init__(message)
        self.code: str = code
        self.message: str = message
        self.status = get_status_for_code(code)


class JSONView(Response):
    """A response encoded by msgspec (the project's JSON codec), not by FastAPI's encoder."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def error_response(code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    status = get_status_for_code(code)
    headers = dict(headers or {})
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_S)
    return JSONView(views.ErrorView(error=code, message=message), status, headers=headers)


def get_error_code(exc: InvalidInput) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    return "decode_error" if type(exc).__name__ == "DecodeError" else "invalid_input"


def get_error_status(exc: InvalidInput) -> int:
    return get_status_for_code(get_error_code(exc))


def describe_validation_errors(errors: Any) -> str:
    """FastAPI's error list as one line naming each field: "query.timeout: ..."."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


async def _on_invalid_input(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInput)
    return error_response(get_error_code(exc), str(exc))


async def _on_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return error_response(exc.code, exc.message)


async def _on_request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response("invalid_request", describe_validation_errors(exc.errors()))


async def _on_http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    if code is None:  # Starlette's own 400 (a malformed request line or form)
        code = "invalid_request"
    # Keep Starlette's headers: a 405 carries Allow, the methods the route takes (RFC 9110).
    return error_response(code, str(exc.detail), dict(exc.headers or {}))


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvalidInput, _on_invalid_input)
    app.add_exception_handler(ApiProblem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses (the one ErrorView body)."""
    return {
        status: {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorView"}}
            },
        }
        for status in statuses
    }


__all__ = [
    "ERROR_DESCRIPTIONS",
    "RETRY_AFTER_S",
    "STATUS_BY_CODE",
    "ApiProblem",
    "JSONView",
    "add_error_handlers",
    "describe_validation_errors",
    "error_response",
    "error_responses",
    "get_error_code",
    "get_error_status",
    "get_status_for_code",
]
