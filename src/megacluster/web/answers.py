"""Every error answer of the web API: JSON ``{error, message, field}`` with a kind per status."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse

from megacluster.web.models import ErrorBody

_KINDS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    413: "too_large",
    422: "invalid_input",
    429: "busy",
    499: "client_closed",
    500: "simulation_failed",
    503: "unavailable",
}
"""The ``error`` kind of each status."""

CLIENT_CLOSED = 499
"""Status logged for a run stopped because its client went away (nginx's convention; nobody receives it)."""

CLOSE = {"Connection": "close"}
"""Headers of an answer sent before the request's body was read: the rest of the body cannot be told from
the next request, so the server closes the connection after answering."""


def error_response(
    status: int,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> JSONResponse:
    """A JSON error answer: the kind of the status (or ``kind``), a sentence, the field at fault."""
    body = ErrorBody(error=kind or _KINDS.get(status, "error"), message=message, field=field)
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)
