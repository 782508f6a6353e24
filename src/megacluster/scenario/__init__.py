"""Scenarios: the typed schema, loading from TOML or presets, ``extends`` and overrides."""
