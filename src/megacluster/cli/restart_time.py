"""The ``restart-time`` command: a job's restart from its parts at several sizes, against published
figures."""

from __future__ import annotations

from typing import Any

import typer

from megacluster.cli.kit import SET_HELP, handle_errors, print_json, set_overrides

DEFAULT_GPUS = "1024,16384,100000"
LLAMA3_405B_CHECKPOINT_BYTES = 405e9 * 14
"""[D] 405e9 parameters x 14 B (BF16 weights, FP32 master weights, Adam m and v): the size used without a
scenario. [B]"""


def _sizes(text: str) -> tuple[int, ...]:
    from megacluster.errors import InputError

    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError(None, "--gpus", f"comma-separated whole numbers of GPUs, got {text!r}") from None
    if not sizes or any(g < 1 or g > 10_000_000 for g in sizes):
        raise InputError(None, "--gpus", f"GPU counts between 1 and 10,000,000, got {text!r}")
    return sizes


@handle_errors
def restart_time(
    scenario: str | None = typer.Argument(
        None, metavar="[SCENARIO]", help="Scenario TOML file or preset name (default: Llama 3 405B, defaults)"
    ),
    gpus: str = typer.Option(DEFAULT_GPUS, "--gpus", metavar="N,N,...", help="Job sizes in GPUs"),
    sets: list[str] | None = typer.Option(None, "--set", metavar="FIELD=VALUE", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the table and the anchors as JSON only"),
) -> None:
    """Restart time after a failure from its parts (detection, rescheduling, initialisation, checkpoint load,
    warm-up, re-shard) at each job size, with hot spares and with in-memory checkpoints, against the published
    restart and recovery times."""
    from megacluster.reliability import ReliabilityConfig, mean_time_to_interruption_s
    from megacluster.reliability.restart import restart_anchors, restart_table

    sizes = _sizes(gpus)
    cfg, ckpt, name = ReliabilityConfig(), LLAMA3_405B_CHECKPOINT_BYTES, "Llama 3 405B checkpoint, defaults"
    if scenario is not None:
        from megacluster.performance.memory import checkpoint_bytes_for
        from megacluster.scenario.load import load_scenario

        model = load_scenario(scenario, set_overrides(sets))
        cfg = model.reliability
        if model.training is not None:
            ckpt = checkpoint_bytes_for(model.training.shape().total_params())
        name = f"{model.name}, [reliability] as given"
    rate = cfg.unexpected_rate_per_gpu_hour()
    rows = restart_table(cfg, sizes, ckpt)
    for row in rows:
        mtti = float(mean_time_to_interruption_s(row["gpus"], rate, cfg.planned_interruptions_per_day))
        row["mtti_s"] = mtti
        row["restart_share"] = row["total_s"] / (mtti + row["total_s"]) if mtti < float("inf") else 0.0
    anchors = [a.__dict__ for a in restart_anchors()]
    if as_json:
        print_json({"basis": name, "checkpoint_bytes": ckpt, "rows": rows, "anchors": anchors})
        return
    _print(name, ckpt, rows, anchors)


def _print(name: str, ckpt: float, rows: list[dict[str, float]], anchors: list[dict[str, Any]]) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True, markup=False)
    console.print(f"Restart after a failure, from its parts ({name}; checkpoint {ckpt / 1e12:.2f} TB)")
    console.print(
        f"{'GPUs':>9} {'detect':>6} {'resched':>7} {'init':>5} {'load':>5} {'warmup':>6} | {'restart':>7} "
        f"{'spare':>6} {'memory':>6} {'reshard':>7} | {'MTTI':>6} {'share':>5}"
    )
    console.print(f"{'':>9} {'[s]':>33} | {'[min]':>30} | {'[h]':>6} {'':>5}")
    for r in rows:
        parts = " ".join(
            f"{r[k]:>{w},.0f}"
            for k, w in (("detect_s", 6), ("reschedule_s", 7), ("init_s", 5), ("load_s", 5), ("warmup_s", 6))
        )
        mins = " ".join(
            f"{r[k] / 60:>{w},.1f}"
            for k, w in (("total_s", 7), ("hot_spare_s", 6), ("in_memory_s", 6), ("reshard_total_s", 7))
        )
        console.print(
            f"{r['gpus']:>9,.0f} {parts} | {mins} | {r['mtti_s'] / 3600:>6,.2f} {r['restart_share']:>5.0%}"
        )
    console.print(
        "restart: no spare (the job is re-planned); spare: a hot spare swapped in; memory: shards from "
        "peers' "
        "memory, with a spare; reshard: no spare and the replica count changes; MTTI: mean time to an "
        "interruption; share: restart / (MTTI + restart)."
    )
    console.print("Published restart and recovery times:")
    signs = {"upper": "at most ", "lower": "at least ", "value": "", "none": ""}
    for a in anchors:
        figure = (
            "no figure found" if a["kind"] == "none" else f"{signs[a['kind']]}{a['seconds'] / 60:,.1f} min"
        )
        size = f"{a['gpus']:,} GPUs" if a["gpus"] else "no job size"
        console.print(f"  {a['label']}: {size}, {figure} — {a['what']}")


def register(app: typer.Typer) -> None:
    """Add ``restart-time`` to the command-line app."""
    app.command(name="restart-time")(restart_time)
