"""The presets of issue 20 (the 2025-2026 campuses) and the short horizon the tests run them on."""

from __future__ import annotations

NEW_PRESETS = ("colossus-2", "stargate-frontier", "meta-prometheus", "microsoft-fairwater", "aws-rainier")
"""The presets of the 2025-2026 campuses."""

SHORT = {"simulation.horizon_days": 120, "simulation.step": "1h"}
"""Four months at hourly steps: each new preset has GPUs arriving, power flowing, a job waiting or running."""
