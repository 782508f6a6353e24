"""Calibration on Llama 3 (54 days, 16,384 H100) and the prediction of mean time to interruption by job size.

The Llama 3 test is *calibration*: the rates come from the same 419 interruptions. The MTTI-by-size table is a
*prediction* compared with Kokolis et al. 2024; it is not tuned, and it disagrees. The test pins the known
disagreement that the README reports (the model's MTTI is x6.3 / x1.7 / x1.7 Kokolis's), so a change that
moves the model fails here and the README table must be updated with it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from megacluster.reliability import ReliabilityConfig, llama3_causes, mean_time_to_interruption_s, run_job
from megacluster.units import SECONDS_PER_HOUR

from .helpers import LLAMA3_CHECKPOINT_BYTES, LLAMA3_REPLICA_GPUS, constant_job

ALPHA = 0.01

KOKOLIS_MTTF_H = {1024: 7.9, 16_384: 1.8, 131_072: 14 / 60}
"""[S] Kokolis et al. 2024 (arXiv 2410.21680) via Clockwork blog: 7.9 h, 1.8 h, ~14 min (facts.md 5.2). [h]"""


def test_llama3_54_days_calibration() -> None:
    inp = constant_job(
        16_384,
        54.0,
        ReliabilityConfig(),
        replica_gpus=LLAMA3_REPLICA_GPUS,
        checkpoint_bytes=LLAMA3_CHECKPOINT_BYTES,
    )
    r = run_job(inp, np.random.default_rng(2024))
    top = sorted(r.by_cause.items(), key=lambda kv: -kv[1])[:6]
    print(
        f"\nLlama 3 calibration: {r.interruptions_unexpected} unexpected (paper 419), "
        f"{r.interruptions_planned} planned (paper 47), goodput {r.goodput:.3f} (paper > 0.90), "
        f"checkpoint every {r.checkpoint_interval_s / 60:.1f} min, write {r.checkpoint_write_s:.2f} s; "
        f"top causes {top}"
    )
    band = stats.poisson(419)
    assert band.ppf(ALPHA / 2) <= r.interruptions_unexpected <= band.ppf(1 - ALPHA / 2)
    assert stats.poisson(47).ppf(ALPHA / 2) <= r.interruptions_planned <= stats.poisson(47).ppf(1 - ALPHA / 2)
    assert r.goodput > 0.90
    # the cause mix follows the table: faulty GPUs are the largest share
    assert top[0][0] == "faulty_gpu"
    expected = llama3_causes().shares() * r.interruptions_unexpected
    observed = np.array(list(r.by_cause.values()))
    big = expected >= 5  # chi-square on the causes with enough expected counts, the rest pooled
    obs = np.append(observed[big], observed[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    assert stats.chisquare(obs, exp).pvalue > ALPHA


README_MODEL_OVER_KOKOLIS = {1024: 6.26, 16_384: 1.72, 131_072: 1.66}
"""The 'model / Kokolis' column of the README's table 'Prediction: mean time to interruption by job
size'. [-]"""

README_TOLERANCE = 0.005
"""The README quotes the ratios to two decimals: a ratio must round to the quoted one. [-]"""


def test_mtti_by_job_size_disagrees_with_kokolis_as_the_readme_reports() -> None:
    """A known disagreement, not an agreement: the model (Llama 3 rates, linear in GPUs) predicts a *longer*
    mean time to interruption than Kokolis et al. 2024 at every size, by x6.26 / x1.72 / x1.66 at 1,024 /
    16,384 / 131,072 GPUs (README: x6.3 / x1.7 / x1.7). Both the direction and the size are pinned.

    The simulation is checked against the model's own 1 / (rate x N): unexpected interruptions only (Kokolis
    et al. count failures), and ample spares so the job keeps its size.
    """
    rate = llama3_causes().total_rate_per_gpu_hour()
    cfg = ReliabilityConfig(planned_interruptions_per_day=0.0, spares_gpus=1_000_000)
    lines = []
    for gpus, kokolis_h in KOKOLIS_MTTF_H.items():
        predicted_h = float(mean_time_to_interruption_s(gpus, rate)) / SECONDS_PER_HOUR
        ratio = predicted_h / kokolis_h
        hours = 400 * predicted_h  # about 400 interruptions
        r = run_job(constant_job(gpus, hours / 24, cfg, step_s=3600.0), np.random.default_rng(gpus))
        held_h = (r.wall_s - r.waiting_s) / SECONDS_PER_HOUR
        simulated_h = held_h / r.interruptions_unexpected
        lines.append(
            f"{gpus:>8,} GPUs: model {predicted_h:7.3f} h (simulated {simulated_h:7.3f} h, "
            f"{r.interruptions_unexpected} events), Kokolis {kokolis_h:5.2f} h, ratio {ratio:4.2f}"
        )
        # the simulation reproduces the model's own prediction (Poisson band for ~400 events)
        band = stats.poisson(held_h / predicted_h)
        assert band.ppf(ALPHA / 2) <= r.interruptions_unexpected <= band.ppf(1 - ALPHA / 2)
        # the disagreement with Kokolis et al.: its direction (model and simulation both fail less often) ...
        assert predicted_h > kokolis_h and simulated_h > kokolis_h
        # ... and its size, as the README states it
        assert ratio == pytest.approx(README_MODEL_OVER_KOKOLIS[gpus], abs=README_TOLERANCE)
    print("\n" + "\n".join(lines))
