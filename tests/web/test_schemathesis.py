"""Schemathesis against the app's ``/openapi.json``: every answer matches the schema (status, headers, body),
no 5xx, schema-violating requests are refused, undocumented methods get 405 with ``Allow``. A short, seeded,
deterministic budget, in-process (no network at all)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from simulators import engine_simulate

from megacluster.web.app import create_app
from megacluster.web.limits import Limits

SEED = 20_261_207
"""Seed of the whole run; with ``deterministic`` every run sends the same requests. [-]"""

MAX_EXAMPLES = 25
"""Generated requests per operation and phase: reaches every error path in a few seconds. [-]"""

LIMITS = Limits(max_steps=2_000)
"""The app's limits here: whole-year presets are refused (422) instead of run, so the engine only runs the
short scenarios (the schema's example and its variations) and the budget stays in seconds."""

CONFIG = {
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
    "phases": {"stateful": {"enabled": False}},
    "operations": [
        {
            # JSON Schema cannot say that a scenario's job fits its fleet, or that a run fits the server's
            # memory: a well-formed request may still be refused with 422 (invalid scenario) or 413 (too
            # large), never with anything else, and never with 5xx.
            "include-path": "/api/simulate",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "413", "422", "429"]}},
        }
    ],
}

APP = create_app(LIMITS, simulator=engine_simulate)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=SchemathesisConfig.from_dict(CONFIG))

SENT: Counter[tuple[str, str, int]] = Counter()
"""(operation, method, status) of every request sent, for the coverage check below."""


@pytest.mark.slow
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_matches_its_schema(case: Any) -> None:
    response = case.call_and_validate()
    SENT[(case.operation.label, case.method, response.status_code)] += 1


def test_the_run_reached_every_kind_of_answer() -> None:
    """Runs after the schemathesis test (same module, in order): it sent real successes, refusals and
    undocumented methods, on every operation."""
    if not SENT:
        return  # run alone (-k): nothing to check
    statuses = {status for _, _, status in SENT}
    assert {200, 404, 405, 422} <= statuses, SENT
    assert {label for label, _, _ in SENT} == {
        "GET /api/presets",
        "GET /api/presets/{name}",
        "POST /api/simulate",
    }
    assert SENT[("POST /api/simulate", "POST", 200)] > 0, SENT
    print(f"\nschemathesis sent {sum(SENT.values())} requests: {dict(SENT)}")
