"""The FastAPI application: JSON API over ``simulate`` and the dashboard page.

``create_app(limits, simulator)`` builds an app holding its own limits and run slots; nothing global.
Run it with ``megacluster serve`` or ``uvicorn --factory megacluster.web.app:create_app``.
"""

from __future__ import annotations

import asyncio
import http
from importlib import resources
from pathlib import Path
from typing import Any

import plotly
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from megacluster.errors import InputError, unknown_choice_message
from megacluster.scenario.load import load_scenario, preset_names, preset_text
from megacluster.scenario.schema import Scenario
from megacluster.web.limits import Limits, RunSlots
from megacluster.web.models import ErrorBody, PresetDetail, PresetInfo, SimulateRequest, SimulateResponse
from megacluster.web.runner import RunFailure, RunTimeout, Simulator, run_limited
from megacluster.web.scenarios import scenario_for_request

_KINDS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 408: "timeout", 413: "too_large"}
_KINDS |= {422: "invalid_input", 429: "busy", 500: "simulation_failed", 503: "unavailable"}


def _error(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=_KINDS.get(status, "error"), message=message, field=field)
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)


class BodyTooLarge(StarletteHTTPException):
    """The request body is over the limit."""


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413 (declared or streamed). [bytes]"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = f"request body over the limit of {self.max_bytes:,} bytes"
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _error(413, too_big)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(status_code=413, detail=too_big)
            return message

        await self.app(scope, counted, send)


def _default_simulator(scenario: Scenario, seed: int | None) -> Any:
    from megacluster.engine.simulate import simulate

    return simulate(scenario, seed=seed)


def _static_dir() -> Path:
    return Path(str(resources.files("megacluster.web").joinpath("static")))


def _plotly_js_path() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "invalid request", None
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    field = ".".join(loc) or None
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        message = "unknown request field; valid: preset, scenario, overrides, seed"
    elif first.get("type") == "json_invalid":
        message = "the body is not valid JSON"
    return message, field


def create_app(limits: Limits | None = None, simulator: Simulator | None = None) -> FastAPI:
    """The web application.

    Parameters
    ----------
    limits : request and run bounds (default :class:`Limits`).
    simulator : ``simulate(scenario, seed) -> Results`` (default the engine's ``simulate``).
    """
    limits = limits or Limits()
    run_simulation: Simulator = simulator or _default_simulator
    slots = RunSlots(limits.max_concurrent)
    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": http.HTTPStatus(code).phrase}
        for code in (408, 413, 422, 429)
    }
    app = FastAPI(
        title="megacluster",
        version="0.1.0",
        description="Simulate giant AI-training campuses: presets, runs, a dashboard. Errors are JSON "
        "`{error, message, field}`; units are in the field names.",
    )
    app.state.limits = limits
    app.state.slots = slots
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = _validation_message(exc)
        return _error(422, message, field)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return _error(422, exc.expected, exc.field)

    @app.get("/api/presets", response_model=list[PresetInfo], summary="List the shipped presets")
    def list_presets() -> list[PresetInfo]:
        return [
            PresetInfo(name=name, description=load_scenario(name).description.strip())
            for name in preset_names()
        ]

    @app.get(
        "/api/presets/{name}",
        response_model=PresetDetail,
        responses={404: {"model": ErrorBody, "description": "Unknown preset"}},
        summary="One preset, resolved, with its TOML",
    )
    def get_preset(name: str) -> PresetDetail | JSONResponse:
        if name not in preset_names():
            return _error(404, unknown_choice_message("preset", name, preset_names()), "name")
        scenario = load_scenario(name)
        return PresetDetail(
            name=name,
            description=scenario.description.strip(),
            scenario=scenario.model_dump(mode="json", by_alias=True),
            toml=preset_text(name),
        )

    @app.post(
        "/api/simulate",
        response_model=SimulateResponse,
        responses={**errors, 500: {"model": ErrorBody, "description": "The simulation failed"}},
        summary="Simulate a preset or an inline scenario",
    )
    async def simulate_endpoint(body: SimulateRequest) -> JSONResponse:
        scenario = scenario_for_request(body.preset, body.scenario, body.overrides, limits)
        if not slots.try_acquire():
            return _error(
                429,
                f"{limits.max_concurrent} simulation(s) already running; try again shortly",
                None,
                {"Retry-After": "5"},
            )
        try:
            payload = await asyncio.to_thread(
                run_limited,
                run_simulation,
                scenario,
                body.seed,
                limits.timeseries_points,
                limits.run_timeout_s,
            )
        except RunTimeout:
            return _error(
                408,
                f"the simulation took longer than the limit of {limits.run_timeout_s:g} s and was stopped; "
                "use a shorter horizon or a longer step",
            )
        except RunFailure as exc:
            if exc.kind == "input":
                return _error(422, exc.message, exc.field)
            return _error(500, f"the simulation failed: {exc.message}")
        finally:
            slots.release()
        return JSONResponse(payload)

    @app.get("/", include_in_schema=False)
    def dashboard() -> HTMLResponse:
        return HTMLResponse((_static_dir() / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(_plotly_js_path(), media_type="application/javascript")

    app.mount("/static", StaticFiles(directory=_static_dir()), name="static")
    return app
