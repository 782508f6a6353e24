"""ASGI middleware of the web app: bodies bounded in size and in the time they take to arrive."""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from megacluster.web.answers import CLOSE, error_response


class BodyTooLarge(StarletteHTTPException):
    """The request body is over the limit."""


class BodyTimedOut(StarletteHTTPException):
    """The request body did not arrive in time."""


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413 (declared or streamed). [B]"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = f"request body over the limit of {self.max_bytes:,} bytes"
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, too_big, headers=CLOSE)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(status_code=413, detail=too_big, headers=CLOSE)
            return message

        await self.app(scope, counted, send)


class BodyTimeout:
    """ASGI middleware answering 408 when a request body is not complete within ``timeout_s`` of the request
    head (a stalled or trickling client), instead of holding the request open for ever. [s]"""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        complete = False

        async def timed() -> Message:
            nonlocal complete
            if complete:  # after the body: disconnect checks pass straight through
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise BodyTimedOut(
                    status_code=408,
                    detail=f"the request body did not arrive within {self.timeout_s:g} s; send it at once",
                    headers=CLOSE,
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed, send)
