"""Serving the app with uvicorn under the HTTP server's own limits (``megacluster serve``).

The app bounds what a request may ask for; these options bound the connections that carry requests:
how long a request head and an idle kept-alive connection may take, how many connections may be open, and
how large a request head may be. uvicorn has no timeout for a request head that never completes (a
half-open or trickling client would hold its connection for ever), so :class:`HeadTimeoutH11Protocol` adds
one to uvicorn's h11 protocol; the request body's timeout is the app's (``BodyTimeout``, 408).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from megacluster.web.limits import Limits

GRACEFUL_SHUTDOWN_S = 5
"""On Ctrl-C, how long running requests may finish before they are cancelled (their workers killed). [s]
Long enough for a short run; a long one is not worth waiting for."""


class HeadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection which has no complete request head
    ``head_timeout_s`` after it opened or after its previous response. [s]"""

    head_timeout_s: float = Limits.header_timeout_s

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        busy = self.cycle is not None and not self.cycle.response_complete
        if not busy:  # no request in progress: its head never came (a running request has its own limits)
            self.transport.close()


def head_timeout_protocol(timeout_s: float) -> type[HeadTimeoutH11Protocol]:
    """:class:`HeadTimeoutH11Protocol` with its timeout set (uvicorn builds protocols from a class). [s]"""
    return type("HeadTimeoutH11Protocol", (HeadTimeoutH11Protocol,), {"head_timeout_s": timeout_s})


def serve_options(limits: Limits | None = None) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` that apply ``limits``' connection bounds."""
    limits = limits or Limits()
    return {
        "http": head_timeout_protocol(limits.header_timeout_s),
        "timeout_keep_alive": limits.keep_alive_s,
        "limit_concurrency": limits.max_connections,
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
    }


def run_server(app: FastAPI, host: str, port: int, log_level: str = "info") -> None:
    """Serve ``app`` (from :func:`~megacluster.web.app.create_app`) on ``host:port`` under its limits."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level, **serve_options(app.state.limits))
