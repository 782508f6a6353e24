"""What one web request may ask for, and how many runs may go at once. Held by the app, never global."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds on requests to the web API."""

    max_body_bytes: int = 64 * 1024
    """Largest request body. [bytes]"""
    max_horizon_days: float = 400.0
    """Longest simulated span. [d]"""
    max_steps: int = 120_000
    """Most time steps per replica (horizon / step): a year at 5-minute steps. [-]"""
    max_gpus: int = 1_000_000
    """Most GPUs over all deliveries. [-]"""
    max_replicas: int = 8
    """Most Monte Carlo replicas. [-]"""
    run_timeout_s: float = 60.0
    """Wall-clock limit of one simulation; the worker process is killed past it. [s]"""
    max_concurrent: int = 2
    """Simulations running at once; more are refused with 429. [-]"""
    timeseries_points: int = 3000
    """Most rows of the returned time series (bucketed to at least an hour). [-]"""

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "max_steps",
            "max_gpus",
            "max_replicas",
            "max_concurrent",
            "timeseries_points",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be at least 1")
        if self.max_horizon_days <= 0 or self.run_timeout_s <= 0:
            raise ValueError("Limits.max_horizon_days and Limits.run_timeout_s must be positive")


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
