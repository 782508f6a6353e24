"""The JSON API: presets, simulate, every validation error, oversized bodies, time and concurrency limits."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from simulators import engine_simulate, slow_simulate

from megacluster.web.app import create_app
from megacluster.web.limits import Limits

SHORT = {"simulation.horizon_days": 10, "simulation.step": "1h"}


def _limit_above_estimate(margin_s: float) -> float:
    """A run-time limit the estimate of a SHORT flagship run passes by ``margin_s`` (so it is not refused
    with 413, and the stand-in simulator is stopped at the limit instead). [s]"""
    from megacluster.engine.budget import estimate_work
    from megacluster.scenario.load import load_scenario

    return estimate_work(load_scenario("colossus-2024", SHORT)).seconds + margin_s


def _simulate(client: TestClient, **body: Any) -> Any:
    return client.post("/api/simulate", json=body)


def test_presets(client: TestClient) -> None:
    listed = client.get("/api/presets").json()
    names = [p["name"] for p in listed]
    assert "colossus-2024" in names and all(p["description"] for p in listed)
    detail = client.get("/api/presets/colossus-2024").json()
    assert detail["scenario"]["fleet"][0]["count"] == 100_000
    assert detail["scenario"]["power"]["grid"][0]["from"] == "2024-07-01"
    assert "source" in detail["toml"].lower() or "[S]" in detail["toml"]


def test_unknown_preset_is_404_with_hint(client: TestClient) -> None:
    r = client.get("/api/presets/colossus-2042")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found" and "colossus-2024" in r.json()["message"]


def test_simulate_preset_success(client: TestClient) -> None:
    r = _simulate(client, preset="colossus-2024", overrides=SHORT, seed=3)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["scenario"] == "colossus-2024"
    assert body["summary"]["seed"] == 3
    ts = body["timeseries"]
    assert len(ts["time"]) == 240 and len(ts["gpus_powered"]) == 240
    assert body["timeseries_step_s"] == 3600
    assert {"gpus_installed", "grid_mw", "generators_mw", "battery_mw", "cumulative_flop"} <= set(ts)
    assert any(f["label"] == "GPUs installed (peak)" for f in body["key_figures"])


def test_overrides_change_the_answer(client: TestClient) -> None:
    base = {"simulation.horizon_days": 40, "simulation.step": "1h"}
    few = _simulate(client, preset="colossus-2024", overrides={**base, "power.generators[0].count": 2}).json()
    many = _simulate(
        client, preset="colossus-2024", overrides={**base, "power.generators[0].count": 40}
    ).json()
    assert many["summary"]["gpus_powered_mean"] > few["summary"]["gpus_powered_mean"]


def test_downsampled_to_at_most_the_limit() -> None:
    with TestClient(create_app(Limits(timeseries_points=100), simulator=engine_simulate)) as c:
        body = _simulate(
            c, preset="colossus-2024", overrides={"simulation.horizon_days": 30, "simulation.step": "5min"}
        )
    ts = body.json()["timeseries"]
    assert 50 <= len(ts["time"]) <= 100


def test_inline_scenario_with_extends(client: TestClient) -> None:
    scenario = {
        "extends": "colossus-2024",
        "name": "mine",
        "simulation": {"horizon_days": 5, "step": "1h"},
        "power": {"grid": [{"from": "2024-07-01", "mw": 300}]},
    }
    r = _simulate(client, scenario=scenario)
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["scenario"] == "mine"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"preset": "colossus-2042"}, "preset", "did you mean 'colossus-202"),
        ({}, None, "exactly one of 'preset' or 'scenario'"),
        ({"preset": "colossus-2024", "scenario": {"name": "x"}}, None, "exactly one"),
        ({"preset": "colossus-2024", "bogus": 1}, "bogus", "unknown request field"),
        ({"preset": "colossus-2024", "seed": -1}, "seed", "greater than or equal to 0"),
        ({"preset": "colossus-2024", "seed": "abc"}, "seed", "integer"),
        (
            {"preset": "colossus-2024", "overrides": {"power.generators[0].count": -3}},
            "power.generators[0].count",
            "greater than or equal to 0",
        ),
        ({"preset": "colossus-2024", "overrides": {"fleet[0].count": 0}}, "fleet[0].count", "greater than 0"),
        (
            {"preset": "colossus-2024", "overrides": {"fleet[0].accelerator": "h100-sxn"}},
            "fleet[0].accelerator",
            "h100-sxm",
        ),
        (
            {"preset": "colossus-2024", "overrides": {"power.generators[9].count": 1}},
            "power.generators[9].count",
            "out of range",
        ),
        ({"preset": "colossus-2024", "overrides": {"name.x": 1}}, "name.x", "no such field"),
        (
            {"preset": "colossus-2024", "overrides": {"simulation.horizon_dayz": 3}},
            "simulation.horizon_dayz",
            "did you mean",
        ),
        (
            {
                "preset": "colossus-2024",
                "overrides": {
                    "power.grid": [{"from": "2024-09-01", "mw": 5}, {"from": "2024-08-01", "mw": 9}]
                },
            },
            "power.grid",
            "date order",
        ),
        (
            {"preset": "colossus-2024", "overrides": {"power.battery": {"power_mw": 500, "energy_mwh": 10}}},
            "power.battery",
            "MW vs MWh",
        ),
        (
            {"preset": "colossus-2024", "overrides": {"training.target_flop": "lots"}},
            "training.target_flop",
            "number",
        ),
        (
            {"preset": "colossus-2024", "overrides": {"simulation.step": "fortnightly"}},
            "simulation.step",
            "duration",
        ),
        (
            {"preset": "colossus-2024", "overrides": {"simulation.horizon_days": 3000}},
            "simulation.horizon_days",
            "at most 400",
        ),
        (
            {
                "preset": "colossus-2024",
                "overrides": {"simulation.horizon_days": 400, "simulation.step": "1min"},
            },
            "simulation.step",
            "steps",
        ),
        (
            {"preset": "colossus-2024", "overrides": {"simulation.replicas": 100, **SHORT}},
            "simulation.replicas",
            "at most 8",
        ),
        (
            {"preset": "colossus-2024", "overrides": {"fleet[0].count": 5_000_000, **SHORT}},
            "fleet[0].count",
            "GPUs",
        ),
        ({"scenario": {"extends": "colossus-2042"}}, "extends", "colossus-2024"),
        ({"scenario": {"extends": "/etc/passwd"}}, "extends", "unknown preset"),
        ({"scenario": {"name": "x"}}, "simulation", "required"),
    ],
)
def test_validation_errors(client: TestClient, body: dict[str, Any], field: str | None, words: str) -> None:
    r = client.post("/api/simulate", json=body)
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["error"] == "invalid_input"
    assert err["field"] == field, err
    assert words.lower() in err["message"].lower(), err


def test_not_json_is_422(client: TestClient) -> None:
    r = client.post("/api/simulate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "not valid JSON" in r.json()["message"]


def test_oversized_body_is_413(client: TestClient) -> None:
    big = {"preset": "colossus-2024", "overrides": {"description": "x" * 200_000}}
    r = client.post("/api/simulate", json=big)
    assert r.status_code == 413
    assert r.json()["error"] == "too_large" and "bytes" in r.json()["message"]


def test_oversized_streamed_body_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024

    r = client.post("/api/simulate", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_time_limit_is_408_and_stops_the_worker() -> None:
    limit = round(_limit_above_estimate(0.5), 1)
    app = create_app(Limits(run_timeout_s=limit), simulator=slow_simulate)
    with TestClient(app) as c:
        start = time.perf_counter()
        r = _simulate(c, preset="colossus-2024", overrides=SHORT)
        took = time.perf_counter() - start
        assert r.status_code == 408
        assert f"{limit:g} s" in r.json()["message"]
        assert took < 10
        assert app.state.slots.in_use == 0
        import multiprocessing

        assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_concurrent_runs_are_bounded() -> None:
    app = create_app(
        Limits(run_timeout_s=_limit_above_estimate(1.5), max_concurrent=1), simulator=slow_simulate
    )
    with TestClient(app) as c:
        first: dict[str, int] = {}
        worker = threading.Thread(
            target=lambda: first.update(
                code=_simulate(c, preset="colossus-2024", overrides=SHORT).status_code
            )
        )
        worker.start()
        deadline = time.perf_counter() + 5
        while app.state.slots.in_use == 0 and time.perf_counter() < deadline:
            time.sleep(0.02)
        second = _simulate(c, preset="colossus-2024", overrides=SHORT)
        worker.join()
    assert second.status_code == 429 and second.headers["retry-after"] == "5"
    assert "already running" in second.json()["message"]
    assert first["code"] == 408


def test_simulation_failure_is_json() -> None:
    def broken(scenario: Any, seed: int | None) -> Any:
        raise RuntimeError("boom")

    with TestClient(create_app(simulator=broken)) as c:
        r = _simulate(c, preset="colossus-2024", overrides=SHORT)
    assert r.status_code == 500 and r.json() == {
        "error": "simulation_failed",
        "message": "the simulation failed: RuntimeError: boom",
        "field": None,
    }


def test_openapi_documents_the_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/presets", "/api/presets/{name}", "/api/simulate"} <= set(spec["paths"])
    post = spec["paths"]["/api/simulate"]["post"]
    assert "SimulateRequest" in str(post["requestBody"]) and {"200", "408", "413", "422", "429"} <= set(
        post["responses"]
    )
    assert "SimulateResponse" in spec["components"]["schemas"]


def test_dashboard_and_local_plotly(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    js = client.get("/static/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert "https://" not in "".join(
        line for line in page.text.splitlines() if "<script" in line or "<link" in line
    )


def test_real_engine_short_run() -> None:
    """The default simulator (the engine) answers a short run."""
    with TestClient(create_app()) as c:
        r = _simulate(c, preset="colossus-2024", overrides=SHORT, seed=1)
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["gpus_installed_peak"] > 0


def test_every_preset_loads_and_runs(client: TestClient) -> None:
    for preset in client.get("/api/presets").json():
        detail = client.get(f"/api/presets/{preset['name']}")
        assert detail.status_code == 200, preset
        assert detail.json()["scenario"]["fleet"], preset
        r = _simulate(client, preset=preset["name"], overrides=SHORT)
        assert r.status_code == 200, (preset, r.text)


def test_battery_override_and_removal(client: TestClient) -> None:
    on = {**SHORT, "power.battery": {"power_mw": 50, "energy_mwh": 200}}
    assert _simulate(client, preset="colossus-2024", overrides=on).status_code == 200
    off = {**SHORT, "power.battery": None}
    assert _simulate(client, preset="colossus-2025", overrides=off).status_code == 200


def test_serve_command_is_registered() -> None:
    import typer
    from typer.testing import CliRunner

    from megacluster.cli.report import register

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """megacluster (test shell)."""

    register(app)
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "--host" in result.output


def test_api_docs_work_offline() -> None:
    from fastapi.testclient import TestClient

    from megacluster.web.app import create_app

    client = TestClient(create_app())
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert "cdn.jsdelivr" not in page.text and "unpkg.com" not in page.text
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert assets, page.text[:500]
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
