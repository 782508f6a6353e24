"""Installed GPUs over time from dated deliveries (pure, vectorised)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def installed_gpus(
    times_s: npt.NDArray[np.float64],
    count: int,
    install_start_s: float,
    install_end_s: float,
    gpus_per_server: int,
) -> npt.NDArray[np.int64]:
    """GPUs of one delivery installed at each time, coming online server by server.

    Servers come online at an even pace from ``install_start_s`` (first server) to ``install_end_s``
    (last server); a server's GPUs all arrive together; a last partial server holds the remainder.

    Parameters
    ----------
    times_s : times at which to count, seconds on the simulation clock. [s]
    count : GPUs delivered in all. [-]
    install_start_s, install_end_s : when the first and the last server come online. [s]
    gpus_per_server : GPUs per server. [-]

    Returns
    -------
    Installed GPUs at each time. [-]
    """
    times_s = np.asarray(times_s, dtype=np.float64)
    servers = -(-count // gpus_per_server)
    span = install_end_s - install_start_s
    if servers <= 1 or span <= 0:
        online = np.where(times_s >= install_start_s, servers, 0)
    else:
        # server k (0-based) comes online at start + k * span / (servers - 1)
        online = np.floor((times_s - install_start_s) / span * (servers - 1)) + 1
        online = np.clip(online, 0, servers)
    return np.minimum(online.astype(np.int64) * gpus_per_server, count)
