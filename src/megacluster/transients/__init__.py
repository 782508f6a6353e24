"""Seconds-scale power swings of synchronous training, what the grid and on-site turbines see, and what
GPU power floors, ramp limits, rack storage and site batteries buy.

Modules: ``waveform`` (the job's draw from the performance model's phase breakdown), ``facility`` (the
servers' other parts, the rest of the campus, the cooling plant), ``metrics`` (swing, ramps, spectrum),
``storage`` (the smoothing controller and GPU ramp limits), ``island`` (one-machine swing equation),
``limits`` and ``sizing`` (stated limits; the smallest battery or floor meeting them), ``analysis`` (one
window before and after the mitigations), ``year`` (hours in each regime), ``summary`` (the summary's
``swings`` block), ``config`` (the scenario's ``[transients]`` section), ``constants`` (sourced defaults).

Imported lazily by the engine: this package's ``__init__`` imports nothing, so loading a scenario stays light.
"""
