"""The job's event loop gives exactly the figures it gave before it was made faster (issue 13, part 3).

Each case runs a small job and compares its figures with ones pinned from the loop as it was at d89ec9d
(before the list look-ups, the phase heap and the fast-forward on lists): floats exactly equal, the event and
restart tables through a hash of their columns. A change that moves any float by one ulp fails here; a
deliberate change of the model re-pins the figures (``PYTHONPATH=tests python
tests/reliability/test_job_loop_identical.py`` prints them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pytest

from megacluster.power.policy import PowerPolicy
from megacluster.reliability import JobInputs, ReliabilityConfig, run_job
from megacluster.reliability.jobdata import JobResult
from reliability.helpers import power_allotment

STEP_S = 300.0


def _constant(gpus: int, days: float, rate: float, target: float = 1e40, **config: object) -> JobInputs:
    """``gpus`` GPUs in replicas of 128 for ``days`` days of 5-minute steps, at ``rate`` per GPU-hour, to
    ``target`` FLOP."""
    n = round(days * 86400 / STEP_S)
    held = np.full(n, gpus, dtype=np.int64)
    return JobInputs(
        step_start_s=np.arange(n) * STEP_S,
        dt_s=STEP_S,
        flop_rate=held * 989e12 * 0.4,
        job_gpus=held,
        replica_gpus=128,
        target_flop=target,
        start_s=0.0,
        config=ReliabilityConfig.model_validate({"interruption_rate_per_gpu_hour": rate, **config}),
        checkpoint_bytes=405e9 * 14,
    )


def _varying(**config: object) -> JobInputs:
    """A job that doubles its GPUs on day 5 and loses them all for half of day 9 (a wiggling rate)."""
    n = 20 * 288
    starts = np.arange(n) * STEP_S
    held = np.where(starts < 5 * 86400, 4096, 8192)
    held[(starts >= 9 * 86400) & (starts < 9.5 * 86400)] = 0
    rate = held * 3e14 * (1 + 0.02 * np.sin(starts / 86400 * 2 * np.pi))
    cfg = ReliabilityConfig.model_validate({"interruption_rate_per_gpu_hour": 5e-5, **config})
    return JobInputs(starts, STEP_S, rate, held, 256, 2.5e26, 3600.0, cfg, 1e14)


def _powered(policy: PowerPolicy = PowerPolicy.BEST, **config: object) -> JobInputs:
    """512 GPUs in replicas of 64 under a power allotment that drops to nothing, dips and rises again every
    few hours (waits, power stops, capped running and grows), with site power events."""
    levels = np.array([1.0, 0.55, 0.0, 0.9, 0.3, 1.0, 0.7, 0.0, 1.0, 0.55, 1.0, 0.9])
    share = np.tile(np.repeat(levels, 30), 3)
    n, held = share.size, 512
    gpus = np.full(n, held, dtype=np.int64)
    allot = power_allotment(share * held * 1200.0, gpus, policy=policy)
    cfg = ReliabilityConfig.model_validate(
        {"interruption_rate_per_gpu_hour": 1e-3, "planned_interruptions_per_day": 2.0, **config}
    )
    return JobInputs(
        step_start_s=np.arange(n) * STEP_S,
        dt_s=STEP_S,
        flop_rate=gpus * 4e14,
        job_gpus=gpus,
        replica_gpus=64,
        target_flop=1e40,
        start_s=0.0,
        config=cfg,
        checkpoint_bytes=1e12,
        replica_flop_rate=np.arange(held // 64 + 1) * 64 * 4e14,
        power=allot,
        site_event_rate_per_s=np.full(n, 1.0 / 36000.0),
    )


CASES: dict[str, tuple[Callable[[], JobInputs], int]] = {
    "default": (lambda: _constant(16_384, 12, 1e-4), 0),
    "shrink": (lambda: _constant(16_384, 12, 1e-4, on_shortage="shrink", repair_median_h=6.0), 1),
    "async": (lambda: _constant(16_384, 12, 1e-4, checkpoint_mode="async"), 2),
    "fixed_interval": (lambda: _constant(16_384, 12, 1e-4, checkpoint_interval_min=20), 3),
    "uncorrelated": (lambda: _constant(16_384, 12, 1e-4, correlated_failures=False), 4),
    "finishes": (lambda: _constant(16_384, 12, 1e-4, target=2e24, auto_method="saxena"), 7),
    "varying_wait": (lambda: _varying(on_shortage="wait", repair_median_h=3.0), 8),
    "varying_async": (lambda: _varying(checkpoint_mode="async", async_stall_s=1.0, spares_gpus=64), 8),
    "powered_shrink": (lambda: _powered(on_shortage="shrink", spares_gpus=8, grow_threshold=1.0), 5),
    "powered_wait": (lambda: _powered(PowerPolicy.CAP_FIRST, grow_threshold=0.0, checkpoint_mode="async"), 6),
}


def _digest(*columns: np.ndarray) -> str:
    """A short hash of the columns' values (text joined, numbers as their bytes)."""
    h = hashlib.sha256()
    for col in columns:
        data = np.ascontiguousarray(col)
        h.update("\x1f".join(data.tolist()).encode() if data.dtype.kind in "UO" else data.tobytes())
        h.update(b"\x1e")
    return h.hexdigest()[:16]


def figures(r: JobResult) -> dict[str, object]:
    """The figures pinned per case: exact floats as ``repr``, counts, and hashes of the tables."""
    ev, det, rs = r.events, r.event_details, r.restart_log
    books = [*r.lost_by_cause_s.values(), *r.mode_s.values(), *r.restart_parts_s.values()]
    counts = (r.interruptions_unexpected, r.interruptions_planned, r.checkpoints, r.restarts, r.resizes)
    return {
        "times_s": [
            repr(x) for x in (r.finish_s, r.useful_s, r.lost_s, r.checkpoint_overhead_s, r.waiting_s)
        ],
        "goodput": repr(r.goodput),
        "flop_end": repr(float(r.cumulative_flop[-1])),
        "counts": [*counts, r.power_stops, r.grows, int(ev["time_s"].size)],
        "work_lost_sum": repr(float(np.sum(ev["work_lost_s"]))),
        "books_hash": _digest(np.array(books)),
        "events_hash": _digest(*(ev[k] for k in sorted(ev)), *(det[k] for k in sorted(det))),
        "restarts_hash": _digest(*(rs[k] for k in sorted(rs))),
        "series_hash": _digest(r.cumulative_flop, r.layout_replicas, r.running_replicas),
    }


# from the loop at d89ec9d (PYTHONPATH at that revision's src, this file run as a script)
PINNED: dict[str, dict[str, object]] = {
    "default": {
        "times_s": ["None", "829872.6787989227", "185500.39120109566", "21426.929999996053", "0.0"],
        "goodput": "0.8004173213724177",
        "flop_end": "5.257157597502638e+24",
        "counts": [409, 5, 7558, 414, 24, 0, 0, 710],
        "work_lost_sum": "19621.834918926816",
        "books_hash": "18f70e97c6107710",
        "events_hash": "7afffd5f7f8fd4b7",
        "restarts_hash": "cf1f4384448f297e",
        "series_hash": "aee044c88e29e7ff",
    },
    "shrink": {
        "times_s": ["None", "802614.1135386633", "213354.30646133935", "20831.579999994992", "0.0"],
        "goodput": "0.7741262669161489",
        "flop_end": "5.143874846253693e+24",
        "counts": [471, 12, 7348, 483, 49, 0, 0, 877],
        "work_lost_sum": "22133.47427267926",
        "books_hash": "26db85eb4f4f4a5b",
        "events_hash": "57d4161de51be7d4",
        "restarts_hash": "cabd88458a5d2f8a",
        "series_hash": "59dc3ec1d51640a4",
    },
    "async": {
        "times_s": ["None", "794690.3714877036", "221606.90851231632", "20502.719999994093", "0.0"],
        "goodput": "0.7664837687960104",
        "flop_end": "5.019940056713264e+24",
        "counts": [507, 13, 7225, 520, 28, 0, 0, 878],
        "work_lost_sum": "24091.28383817452",
        "books_hash": "62cc05cf571b1be2",
        "events_hash": "911d5c28794eb80b",
        "restarts_hash": "bee1cb17167de52f",
        "series_hash": "144bc1b5fac570f7",
    },
    "fixed_interval": {
        "times_s": ["None", "661265.3391986908", "373983.91580131534", "1550.7449999957314", "0.0"],
        "goodput": "0.6377945015419472",
        "flop_end": "4.170833693763576e+24",
        "counts": [429, 8, 547, 437, 32, 0, 0, 741],
        "work_lost_sum": "200867.8574713276",
        "books_hash": "2af3b6870cdf6b1a",
        "events_hash": "774c2d58ec8ba902",
        "restarts_hash": "dc9233491a232d33",
        "series_hash": "30060221d161883a",
    },
    "uncorrelated": {
        "times_s": ["None", "818414.6827711174", "197286.59976957168", "21098.717459327177", "0.0"],
        "goodput": "0.789366013475229",
        "flop_end": "5.17298610118209e+24",
        "counts": [439, 12, 7442, 451, 27, 0, 0, 785],
        "work_lost_sum": "20604.597657164086",
        "books_hash": "89ad67f0db244d08",
        "events_hash": "f37da07af4d23dc6",
        "restarts_hash": "fb60ef63e0ffc91f",
        "series_hash": "fac22c0575808af9",
    },
    "finishes": {
        "times_s": [
            "399036.2563730629",
            "315031.28925118275",
            "76741.69712187754",
            "7263.270000000759",
            "0.0",
        ],
        "goodput": "0.789480364803385",
        "flop_end": "2e+24",
        "counts": [170, 5, 2562, 175, 3, 0, 0, 278],
        "work_lost_sum": "8897.501537083856",
        "books_hash": "f278e80e3a81cc2e",
        "events_hash": "c3dce0cfa250fb32",
        "restarts_hash": "2e87c8995dd8baeb",
        "series_hash": "61a544c1e89c2205",
    },
    "varying_wait": {
        "times_s": ["None", "692064.1601717557", "952635.839828244", "36500.0", "43200.0"],
        "goodput": "0.41164891754208643",
        "flop_end": "1.4300934067794162e+24",
        "counts": [82, 2, 730, 85, 1, 0, 0, 149],
        "work_lost_sum": "42760.525417653036",
        "books_hash": "40824d0e55033ef5",
        "events_hash": "40ec9710b9b6e212",
        "restarts_hash": "9a5afdd3fe0810c3",
        "series_hash": "211c5e3df4a3947c",
    },
    "varying_async": {
        "times_s": ["None", "1574715.8745518418", "94990.12544816053", "11494.0", "43200.0"],
        "goodput": "0.9366618335426135",
        "flop_end": "3.262575202278974e+24",
        "counts": [173, 9, 11427, 184, 14, 0, 1, 312],
        "work_lost_sum": "19637.71587500075",
        "books_hash": "76dfce86f17ce80c",
        "events_hash": "53a3621e37b40759",
        "restarts_hash": "1f2370367ef37c5f",
        "series_hash": "7813afb0ae0f7a08",
    },
    "powered_shrink": {
        "times_s": ["None", "246370.02265899658", "22295.477341003185", "1334.5", "54000.0"],
        "goodput": "0.912481565403691",
        "flop_end": "3.363669353784562e+22",
        "counts": [41, 10, 2669, 66, 28, 3, 6, 88],
        "work_lost_sum": "2079.335752061097",
        "books_hash": "21985087d5f684f3",
        "events_hash": "cea6155af7a4f214",
        "restarts_hash": "00dc077aa6f2d0aa",
        "series_hash": "95c1d06bda1ea77e",
    },
    "powered_wait": {
        "times_s": ["None", "249809.48064273255", "18818.519357267483", "1372.0", "54000.0"],
        "goodput": "0.9252202986767872",
        "flop_end": "3.300257333974902e+22",
        "counts": [34, 5, 2743, 55, 22, 4, 6, 68],
        "work_lost_sum": "1909.1459237877991",
        "books_hash": "04cdf76e10f398f1",
        "events_hash": "9e7591d21fa27a71",
        "restarts_hash": "8e059f5b5b5dfc70",
        "series_hash": "d45f7beaddd8bc3d",
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_loop_reproduces_the_pinned_figures(case: str) -> None:
    build, seed = CASES[case]
    assert figures(run_job(build(), np.random.default_rng(seed))) == PINNED[case]


if __name__ == "__main__":  # print the figures of the code on the path (to re-pin after a model change)
    import pprint

    pprint.pprint(
        {c: figures(run_job(b(), np.random.default_rng(s))) for c, (b, s) in CASES.items()}, width=110
    )
