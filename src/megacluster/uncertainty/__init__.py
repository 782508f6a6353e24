"""Uncertain assumptions: distributions, Latin-hypercube samples, and which assumption drives an output.

A model package (plain arrays and its own config types): the scenario layer decides which fields are uncertain
(scenario/distributions.py), the engine runs the samples (engine/uncertain.py).
"""
