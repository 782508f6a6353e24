"""What one web request may ask for, how much a run may take, and how many runs may go at once.

Held by the app, never global. Every default says why it is what it is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from megacluster.errors import MAX_NESTING


@dataclass(frozen=True)
class Limits:
    """Bounds on requests to the web API, on each run and on the HTTP server."""

    max_body_bytes: int = 64 * 1024
    """Largest request body. [B]
    An inline scenario is a few KiB; 64 KiB leaves room for long grid schedules and bounds what a request
    can make the server hold while it parses JSON."""
    max_nesting: int = MAX_NESTING
    """Deepest nesting of objects and arrays in ``scenario`` and ``overrides``. [-]
    The same as for scenario files: real scenarios nest at most 4 levels."""
    max_horizon_days: float = 400.0
    """Longest simulated span. [d]
    A year and a little more, the longest horizon of the shipped presets."""
    max_steps: int = 120_000
    """Most time steps per replica (horizon / step): a year at 5-minute steps. [-]"""
    max_gpus: int = 1_000_000
    """Most GPUs over all deliveries. [-]
    The largest preset (gigacampus-1m)."""
    max_replicas: int = 8
    """Most Monte Carlo replicas. [-]
    Enough for a spread; more belongs on the command line or in a sweep."""
    max_run_memory_bytes: int = 2 * 2**30
    """Memory one run may take: runs estimated above it are refused with 413 before any work, and the
    worker process cannot grow past it (``RLIMIT_AS``), so a wrong estimate ends in MemoryError, never
    in the machine running out. [B]
    Every shipped preset at the largest size the other limits allow (400 days at 5-minute steps, 8 replicas)
    is estimated under it; ``max_concurrent`` such runs plus the ~150 MB server fit in a machine of 8 GB."""
    run_timeout_s: float = 60.0
    """Wall-clock limit of one simulation; runs estimated above it are refused with 413, and the worker
    process is killed past it. [s]
    A dashboard user waits a minute at most; longer runs belong on the command line."""
    max_concurrent: int = 2
    """Simulations running at once; more are refused with 429. [-]
    One per core of a small server; with ``max_run_memory_bytes`` this bounds the server's memory."""
    timeseries_points: int = 3000
    """Most rows of the returned time series (bucketed to at least an hour). [-]
    More points than a plot's width in pixels; keeps a response under ~1 MB."""
    disconnect_poll_s: float = 0.25
    """How often a running request checks that its client is still connected; a run whose client has
    gone is killed and its slot freed. [s]
    A quarter second frees a slot before anyone notices; each check is one non-blocking receive."""
    body_timeout_s: float = 10.0
    """Time from the request head to the last byte of its body; slower bodies are answered 408. [s]
    A 64 KiB body takes ~2 s at 256 kbit/s; a client stalled longer only holds a connection."""
    header_timeout_s: float = 10.0
    """Time a connection may take to send a complete request head, from opening or from the previous
    response; then it is closed (``megacluster serve`` only). [s]
    A browser sends its head in one packet; a half-open or trickling client is cut after this."""
    keep_alive_s: int = 5
    """Idle time after a response before a kept-alive connection is closed (``megacluster serve``). [s]
    uvicorn's default; a dashboard reuses the connection within that while the user works."""
    max_connections: int = 64
    """Open connections plus running requests; beyond it uvicorn answers 503 (``megacluster serve``). [-]
    Far above what ``max_concurrent`` runs and a few dashboards need; bounds buffered bodies to
    ``max_connections x max_body_bytes`` (4 MiB)."""
    max_header_bytes: int = 16 * 1024
    """Largest request head (request line and headers) (``megacluster serve``). [B]
    uvicorn's default for h11; browsers send 1-2 KiB."""

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "max_nesting",
            "max_steps",
            "max_gpus",
            "max_replicas",
            "max_run_memory_bytes",
            "max_concurrent",
            "timeseries_points",
            "max_connections",
            "max_header_bytes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be at least 1")
        for name in (
            "max_horizon_days",
            "run_timeout_s",
            "disconnect_poll_s",
            "body_timeout_s",
            "header_timeout_s",
            "keep_alive_s",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive")


class RunSlots:
    """A non-blocking counter of running simulations (refuse rather than queue)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._used = 0
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take a slot if one is free. [-]"""
        with self._lock:
            if self._used >= self._size:
                return False
            self._used += 1
            return True

    def release(self) -> None:
        """Give a slot back."""
        with self._lock:
            self._used = max(0, self._used - 1)

    @property
    def in_use(self) -> int:
        """Slots taken now. [-]"""
        with self._lock:
            return self._used
