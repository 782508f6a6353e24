"""summary.json is a typed, versioned model: its JSON Schema is published in docs/ and every written summary
validates against it; every figure's description names its unit."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from megacluster.engine.simulate import simulate
from megacluster.results.summary import SCHEMA_VERSION, Summary, summary_schema
from megacluster.results.writers import summary_json
from megacluster.scenario.load import load_scenario

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "summary.schema.json"


def test_published_schema_matches_the_model() -> None:
    published = json.loads(SCHEMA_FILE.read_text("utf-8"))
    assert published == summary_schema(), "run: uv run python scripts/write_output_docs.py"


@pytest.mark.parametrize(("preset", "days"), [("colossus-2024", 40), ("llama3-meta-24k", 3)])
def test_a_written_summary_validates_and_carries_versions(preset: str, days: float) -> None:
    results = simulate(load_scenario(preset, {"simulation.horizon_days": days, "simulation.step": "1h"}))
    data = json.loads(summary_json(results))
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text("utf-8")))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["megacluster_version"] and len(data["scenario_sha256"]) == 64
    assert Summary.model_validate(data) == results.summary  # round trip


def test_a_broken_summary_fails_the_schema() -> None:
    results = simulate(
        load_scenario("colossus-2024", {"simulation.horizon_days": 2, "simulation.step": "1h"})
    )
    data = json.loads(summary_json(results))
    data["energy_mwh"]["total"] = "a lot"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text("utf-8")))


def _leaf_descriptions(schema: dict[str, object]) -> list[tuple[str, str]]:
    """(field, description) of every number field in the schema and its definitions."""
    out = []
    defs = schema.get("$defs", {})
    assert isinstance(defs, dict)
    for name, model in [("Summary", schema), *defs.items()]:
        props = model.get("properties", {}) if isinstance(model, dict) else {}
        for field, spec in props.items():
            kinds = {s.get("type") for s in spec.get("anyOf", [spec])}
            if kinds & {"number", "integer"}:
                out.append((f"{name}.{field}", str(spec.get("description", ""))))
    return out


def test_every_number_says_its_unit() -> None:
    missing = [f for f, d in _leaf_descriptions(summary_schema()) if not d.rstrip().endswith("]")]
    allowed = {"PermitYear.year", "PermitExceedance.year", "Summary.seed"}
    assert sorted(set(missing) - allowed) == []


def test_readme_lists_every_summary_field() -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts" / "write_output_docs.py"
    spec = importlib.util.spec_from_file_location("write_output_docs", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = module.README.read_text("utf-8")
    assert module.readme_with_fields(readme) == readme, "run: uv run python scripts/write_output_docs.py"


def test_every_parquet_column_is_documented_and_carries_its_unit(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from megacluster.results.columns import EVENTS_COLUMNS, TIMESERIES_COLUMNS
    from megacluster.results.writers import write_run_files

    scenario = load_scenario(
        "colossus-2024", {"simulation.horizon_days": 25, "simulation.step": "1h", "simulation.replicas": 2}
    )
    results = simulate(scenario)
    assert set(results.timeseries.columns) <= set(TIMESERIES_COLUMNS)
    assert set(results.events.columns) == set(EVENTS_COLUMNS)
    write_run_files(results, tmp_path)
    for name, columns in (("timeseries", TIMESERIES_COLUMNS), ("events", EVENTS_COLUMNS)):
        schema = pq.read_schema(tmp_path / f"{name}.parquet")
        assert schema.metadata[b"scenario_sha256"].decode() == results.summary.scenario_sha256
        assert schema.metadata[b"megacluster_version"].decode() == results.summary.megacluster_version
        for field in schema:
            assert field.metadata[b"unit"].decode() == columns[field.name][0]
        assert str(schema.field("time").type) == "timestamp[us, tz=UTC]" or "UTC" in str(
            schema.field("time").type
        )
