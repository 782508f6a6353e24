# %% [markdown]
# # megacluster from Python
#
# A notebook-style script (run it with `uv run python examples/notebook.py`, or open it as a notebook in an
# editor that reads `# %%` cells). It loads the flagship scenario, simulates a shorter horizon, reads the
# typed summary and the time series, and writes the HTML report. The test suite runs it.

# %%
import tempfile
from pathlib import Path

import megacluster
from megacluster import load_scenario, simulate

print("megacluster", megacluster.__version__)

# %% A scenario: a preset (or a TOML file), with dotted overrides
scenario = load_scenario("colossus-2024", overrides={"simulation.horizon_days": 120, "simulation.step": "1h"})
print(scenario.name, scenario.simulation.start, scenario.total_gpus(), "GPUs")

# %% Simulate: the same seed gives the same results
results = simulate(scenario, seed=0)
s = results.summary
print(f"energy {s.energy_mwh.total:,.0f} MWh, of which {s.energy_mwh.generators:,.0f} MWh from generators")
print(f"CO2 {s.emissions_t.co2:,.0f} t ({s.emissions_t.co2_generators:,.0f} t on site)")
if s.training is not None:
    t = s.training
    print(f"training: {t.completed_flop:.3g} of {t.target_flop:.3g} FLOP, MFU {t.mfu or 0:.1%}")

# %% The time series: pandas, one row per step, UTC timestamps
ts = results.timeseries
daily = ts.set_index("time")[["gpus_installed", "gpus_powered"]].resample("D").mean()
print(daily.tail(3))
first_full = daily.index[(daily["gpus_powered"] >= daily["gpus_installed"]) & (daily["gpus_installed"] > 99_000)]
print("first day with every one of 100,000 GPUs powered:", first_full[0].date() if len(first_full) else "none")

# %% The events of the training job: kinds and causes are enums
events = results.events
print(events["kind"].value_counts().to_dict())

# %% The report: one self-contained HTML file
out = Path(tempfile.mkdtemp()) / "colossus-2024.html"
results.to_report(out)
print("report written to", out, f"({out.stat().st_size / 1e6:.1f} MB)")
