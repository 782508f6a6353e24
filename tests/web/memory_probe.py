"""Two concurrent requests at the documented limits against the real engine, in a fresh process so that
``getrusage`` sees only this server and its workers; prints what happened and the peak memory as JSON.

Run by ``test_web_limits.py::test_two_requests_at_the_limit_stay_under_the_memory_cap`` (or by hand:
``uv run python tests/web/memory_probe.py``). Pair A is the issue's request (every documented limit, the
failure rate at 1 per GPU-hour on a 1M-GPU job): refused by its estimate before any work. Pair B is the
same request with the largest training job the estimate accepts: both run, in two workers at once. Pair C is
the issue's request again with the estimate switched off and a smaller cap: the workers' own memory cap
stops both runs with a JSON 413 (a smaller cap than the default, so that two such workers fit a small CI
machine; the mechanism is the same).
"""

from __future__ import annotations

import json
import os
import resource
import threading
from typing import Any

from fastapi.testclient import TestClient

from megacluster.engine.budget import estimate_work
from megacluster.web import scenarios
from megacluster.web.app import create_app
from megacluster.web.limits import Limits
from megacluster.web.scenarios import WorkTooLarge, check_work, scenario_for_request

PRESET = "gigacampus-1m"
"""The 1,000,000-GPU preset: ``Limits.max_gpus``."""

PAIR_C_CAP_BYTES = 768 * 2**20
"""Memory cap of pair C's workers. [B]
Two such workers plus the server stay under 2 GB; the issue's run reaches it within seconds."""


def at_the_limit(limits: Limits, job_gpus: int) -> dict[str, Any]:
    """Overrides of the issue's request: 1M GPUs, 2 days at 1 h steps, 1 interruption per GPU-hour."""
    return {
        "simulation.horizon_days": 2,
        "simulation.step": "1h",
        "reliability.interruption_rate_per_gpu_hour": 1.0,
        "fleet[0].count": limits.max_gpus,
        "fleet[0].install_start": "2027-01-01",
        "fleet[0].install_end": "2027-01-02",
        "training.start": "2027-01-01",
        "training.job_gpus": job_gpus,
    }


def largest_accepted_job(limits: Limits) -> int:
    """The largest training job whose run the server's estimate accepts (bisection). [-]"""
    low, high = 1, limits.max_gpus
    while low < high:
        mid = (low + high + 1) // 2
        scenario = scenario_for_request(PRESET, None, at_the_limit(limits, 1), limits)
        try:
            check_work(scenario.model_copy(update={"training": scenario.training.model_copy(
                update={"job_gpus": mid})}), limits)  # fmt: skip
        except WorkTooLarge:
            high = mid - 1
        else:
            low = mid
    return low


def statm_bytes() -> tuple[int, int]:
    """Address space and resident memory of this process now. [B]"""
    with open("/proc/self/statm", encoding="ascii") as statm:
        size, resident = statm.read().split()[:2]
    page = os.sysconf("SC_PAGE_SIZE")
    return int(size) * page, int(resident) * page


def children_peak_bytes() -> int:
    """Peak resident memory of the largest worker so far. [B]"""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def two_at_once(client: TestClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Status and body of two identical requests sent at the same time."""
    answers: list[dict[str, Any]] = [{}, {}]

    def send(i: int) -> None:
        r = client.post("/api/simulate", json=body)
        answers[i] = {"status": r.status_code, "body": r.json()}

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


class RssSampler:
    """The largest resident memory of this process while it runs (sampled every ``period_s``). [B]

    ``ru_maxrss`` would also count peaks from before the measurement (imports, set-up), which vary with what
    ran earlier in the machine's life; the sampler sees only the requests' own window."""

    def __init__(self, period_s: float = 0.01) -> None:
        self.period_s = period_s
        self.peak = statm_bytes()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, statm_bytes()[1])
            self._stop.wait(self.period_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, statm_bytes()[1])


def main() -> None:
    limits = Limits()
    job = largest_accepted_job(limits)
    accepted = scenario_for_request(PRESET, None, at_the_limit(limits, job), limits)
    issue = {"preset": PRESET, "overrides": at_the_limit(limits, limits.max_gpus)}
    with TestClient(create_app(limits)) as client:
        client.get("/api/presets")
        address_space, baseline = statm_bytes()
        with RssSampler() as during_ab:
            pair_a = two_at_once(client, issue)
            pair_b = two_at_once(
                client, {"preset": PRESET, "overrides": at_the_limit(limits, job), "seed": 1}
            )
    peak_b = children_peak_bytes()
    scenarios.check_work = lambda *args, **kwargs: None  # pair C: no estimate, only the worker's cap
    pair_c_app = create_app(Limits(max_run_memory_bytes=PAIR_C_CAP_BYTES))
    with TestClient(pair_c_app) as client, RssSampler() as during_c:
        pair_c = two_at_once(client, issue)
    for answer in pair_b:
        if answer["status"] == 200:
            answer["body"] = {"elapsed_s": answer["body"]["elapsed_s"]}
    print(
        json.dumps(
            {
                "cap_bytes": limits.max_run_memory_bytes,
                "pair_c_cap_bytes": PAIR_C_CAP_BYTES,
                "max_concurrent": limits.max_concurrent,
                "server_rss_before_bytes": baseline,
                "server_address_space_before_bytes": address_space,
                "server_peak_bytes": max(during_ab.peak, during_c.peak),
                "server_lifetime_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "worker_peak_b_bytes": peak_b,
                "worker_peak_c_bytes": children_peak_bytes(),
                "accepted_job_gpus": job,
                "accepted_estimate_bytes": estimate_work(accepted).memory_bytes,
                "pair_a": pair_a,
                "pair_b": pair_b,
                "pair_c": pair_c,
            }
        )
    )


if __name__ == "__main__":
    main()
