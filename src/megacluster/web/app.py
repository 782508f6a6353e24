"""The FastAPI application: JSON API over ``simulate`` and the dashboard page.

``create_app(limits, simulator)`` builds an app holding its own limits and run slots; nothing global.
Run it with ``megacluster serve`` (see :mod:`megacluster.web.server` for the HTTP server's own limits) or
``uvicorn --factory megacluster.web.app:create_app``.

Every answer but the dashboard's files is JSON; every error is :class:`ErrorBody` with the status documented
in the OpenAPI schema. Work is bounded before it starts: the body's size, nesting and arrival time, the
scenario's size, and the run's estimated memory and time; the worker's memory is capped and it is killed
past its time or when its client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import threading
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import plotly
from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from megacluster._version import __version__
from megacluster.engine.budget import fmt_bytes, fmt_seconds
from megacluster.errors import InputError, unknown_choice_message
from megacluster.scenario.load import load_scenario, preset_names, preset_text
from megacluster.scenario.schema import Scenario
from megacluster.web.answers import CLIENT_CLOSED, error_response
from megacluster.web.limits import Limits, RunSlots
from megacluster.web.middleware import BodyLimit, BodyTimeout
from megacluster.web.models import ErrorBody, PresetDetail, PresetInfo, SimulateRequest, SimulateResponse
from megacluster.web.runner import RunCancelled, RunFailure, RunTimeout, Simulator, run_limited
from megacluster.web.scenarios import WorkTooLarge, scenario_for_request

RETRY_AFTER_S = 5
"""Seconds a client refused with 429 is asked to wait. [s]
About a short run's time; the dashboard's user would retry by hand anyway."""


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
        field = None
    return message, field


def _header(description: str) -> dict[str, Any]:
    """An OpenAPI response header that is always sent."""
    return {"description": description, "required": True, "schema": {"type": "string"}}


def _responses(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses: ErrorBody for each code, with the given descriptions (``e413=...``) and headers."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {
            "model": ErrorBody,
            "description": described.get(f"e{code}", http.HTTPStatus(code).phrase),
        }
        if code == 405:
            entry["headers"] = {"Allow": _header("The methods the path accepts")}
        if code == 429:
            entry["headers"] = {"Retry-After": _header("Seconds to wait before trying again")}
        out[code] = entry
    return out


def _limits_text(limits: Limits) -> str:
    """The request limits, in words, for the OpenAPI description."""
    return (
        f"Limits: a JSON body of at most {limits.max_body_bytes:,} bytes, complete within "
        f"{limits.body_timeout_s:g} s (else 413, 408); `scenario` and `overrides` nested at most "
        f"{limits.max_nesting} levels; at most {limits.max_horizon_days:g} days, {limits.max_steps:,} steps "
        f"per replica, {limits.max_gpus:,} GPUs and {limits.max_replicas} replicas (else 422); a run "
        f"estimated over {fmt_bytes(limits.max_run_memory_bytes)} or {fmt_seconds(limits.run_timeout_s)} is "
        f"refused with 413 before any work; a run is stopped past {limits.run_timeout_s:g} s (408) or when "
        f"its client disconnects; {limits.max_concurrent} run(s) at once (else 429)."
    )


def create_app(limits: Limits | None = None, simulator: Simulator | None = None) -> FastAPI:
    """The web application.

    Parameters
    ----------
    limits : request and run bounds (default :class:`Limits`).
    simulator : ``simulate(scenario, seed) -> Results`` (default the engine's ``simulate``).
    """
    limits = limits or Limits()
    slots = RunSlots(limits.max_concurrent)
    app = FastAPIOffline(  # /docs and /redoc served from the installed package: no CDN, works offline
        title="megacluster",
        version=__version__,
        description="Simulate giant AI-training campuses: presets, runs, a dashboard. Errors are JSON "
        "`{error, message, field}`; units are in the field names. " + _limits_text(limits),
    )
    app.state.limits = limits
    app.state.slots = slots
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(BodyTimeout, timeout_s=limits.body_timeout_s)
    _add_error_handlers(app, limits)
    _add_preset_routes(app)
    _add_simulate_route(app, limits, slots, simulator or _default_simulator)
    _add_page_routes(app)
    return app


def _add_error_handlers(app: FastAPI, limits: Limits) -> None:
    """Every error as JSON ``{error, message, field}``."""

    @app.exception_handler(StarletteHTTPException)
    async def _httperror_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        cause = exc.__cause__
        if exc.status_code == 400 and isinstance(cause, RecursionError):  # FastAPI's JSON parsing
            return error_response(422, f"the body is nested too deeply (at most {limits.max_nesting} levels)")
        if exc.status_code == 400 and isinstance(cause, UnicodeDecodeError):
            return error_response(422, "the body is not valid JSON (not UTF-8 text)")
        return error_response(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = _validation_message(exc)
        return error_response(422, message, field)

    @app.exception_handler(WorkTooLarge)
    async def _too_much_work(request: Request, exc: WorkTooLarge) -> JSONResponse:
        return error_response(413, exc.expected, exc.field)

    @app.exception_handler(InputError)
    async def _inputerror_response(request: Request, exc: InputError) -> JSONResponse:
        return error_response(422, exc.expected, exc.field)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not the client's fault; still JSON (the traceback goes to the server's log).
        return error_response(500, f"internal error ({type(exc).__name__})", kind="internal_error")


COMMON_ERRORS = (405, 413, 500)
"""Statuses every API route may answer."""


def _add_preset_routes(app: FastAPI) -> None:
    """``GET /api/presets`` and ``GET /api/presets/{name}``."""

    @app.get(
        "/api/presets",
        response_model=list[PresetInfo],
        responses=_responses(*COMMON_ERRORS),
        summary="List the shipped presets",
    )
    def list_presets() -> list[PresetInfo]:
        return [
            PresetInfo(name=name, description=load_scenario(name).description.strip())
            for name in preset_names()
        ]

    @app.get(
        "/api/presets/{name}",
        response_model=PresetDetail,
        responses=_responses(404, 422, *COMMON_ERRORS, e404="Unknown preset"),
        summary="One preset, resolved, with its TOML",
    )
    def get_preset(
        name: Annotated[
            str, PathParam(description="A preset's name", json_schema_extra={"enum": list(preset_names())})
        ],
    ) -> PresetDetail | JSONResponse:
        if name not in preset_names():
            return error_response(404, unknown_choice_message("preset", name, preset_names()), "name")
        scenario = load_scenario(name)
        return PresetDetail(
            name=name,
            description=scenario.description.strip(),
            scenario=scenario.model_dump(mode="json", by_alias=True),
            toml=preset_text(name),
        )


def _simulate_route_options(limits: Limits) -> dict[str, Any]:
    """The OpenAPI description of ``POST /api/simulate``: its answers and limits."""
    return {
        "response_model": SimulateResponse,
        "responses": _responses(
            400,
            408,
            413,
            422,
            429,
            *COMMON_ERRORS,
            e400="The body could not be read",
            e408="The body did not arrive in time, or the run took longer than the limit",
            e413="The body, or the run's estimated memory or time, is over the limit (refused before any "
            "work), or the run outgrew its memory cap (stopped)",
            e422="Invalid request or scenario (`field` names the dotted field)",
            e429="All run slots are busy",
            e500="The simulation failed",
        ),
        "summary": "Simulate a preset or an inline scenario",
        "description": _limits_text(limits),
        "openapi_extra": {
            "x-max-body-bytes": limits.max_body_bytes,
            "x-max-nesting": limits.max_nesting,
            "x-body-timeout-s": limits.body_timeout_s,
            "x-max-run-memory-bytes": limits.max_run_memory_bytes,
            "x-run-timeout-s": limits.run_timeout_s,
            "x-max-horizon-days": limits.max_horizon_days,  # the dashboard picks a step that fits these
            "x-max-steps": limits.max_steps,
        },
    }


def _add_simulate_route(app: FastAPI, limits: Limits, slots: RunSlots, run_simulation: Simulator) -> None:
    """``POST /api/simulate``: one run in its own worker, bounded in slots, time and memory."""

    @app.post("/api/simulate", **_simulate_route_options(limits))
    async def simulate_endpoint(body: SimulateRequest, request: Request) -> JSONResponse:
        scenario = scenario_for_request(body.preset, body.scenario, body.overrides, limits)
        if not slots.try_acquire():
            return error_response(
                429,
                f"{limits.max_concurrent} simulation(s) already running; try again shortly",
                None,
                {"Retry-After": str(RETRY_AFTER_S)},
            )
        cancel = threading.Event()

        def run() -> Any:
            try:
                return run_limited(
                    run_simulation,
                    scenario,
                    body.seed,
                    limits.timeseries_points,
                    limits.run_timeout_s,
                    limits.max_run_memory_bytes,
                    cancel,
                )
            finally:
                slots.release()  # once the worker is gone, not before

        return await _answer(asyncio.ensure_future(asyncio.to_thread(run)), cancel, request, limits)


async def _answer(
    task: asyncio.Future[Any], cancel: threading.Event, request: Request, limits: Limits
) -> JSONResponse:
    """Wait for a run, stopping it when the client goes away; its outcome as a JSON answer."""
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=limits.disconnect_poll_s)
            if not task.done() and not cancel.is_set() and await request.is_disconnected():
                cancel.set()  # the thread kills the worker and frees the slot within CANCEL_POLL_S
        payload = task.result()
    except RunCancelled:
        return error_response(CLIENT_CLOSED, "the client went away; the simulation was stopped")
    except RunTimeout:
        return error_response(
            408,
            f"the simulation took longer than the limit of {limits.run_timeout_s:g} s and was stopped; "
            "use a shorter horizon or a longer step",
        )
    except RunFailure as exc:
        if exc.kind == "input":
            return error_response(422, exc.message, exc.field)
        if exc.kind == "memory":
            return error_response(
                413,
                f"the simulation needed more than this server's memory limit of "
                f"{fmt_bytes(limits.max_run_memory_bytes)} per run and was stopped; use a longer step, "
                "a shorter horizon, fewer replicas, or a smaller training job or failure rate",
                "simulation",
            )
        return error_response(500, f"the simulation failed: {exc.message}")
    finally:
        if not task.done():  # this request was cancelled (server shutting down): stop the worker too
            cancel.set()
            task.add_done_callback(_retrieve)
    return JSONResponse(payload)


def _add_page_routes(app: FastAPI) -> None:
    """The dashboard page, its static files and the vendored plotly.js (no network needed)."""

    @app.get("/", include_in_schema=False)
    def dashboard() -> HTMLResponse:
        return HTMLResponse((_static_dir() / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(_plotly_js_path(), media_type="application/javascript")

    app.mount("/static", StaticFiles(directory=_static_dir()), name="static")


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Collect an abandoned run's outcome so that asyncio does not log it as never retrieved."""
    with contextlib.suppress(BaseException):
        task.result()
