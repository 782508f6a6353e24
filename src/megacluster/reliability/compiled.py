"""The job's state as arrays for the compiled event loop (``kernel.py``), its books back into a ``Ledger``.

``JobMachine`` makes the draws, the hazard, the layouts and the checkpoint policy (all in Python, as for its
own loop); this module hands them to the compiled loop and turns what it wrote into the same ``JobResult``.
Importing it imports numba (~0.5 s), so ``job.run_job`` imports it only when the compiled loop runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability import kernel as k
from megacluster.reliability.checkpoint import AutoMethod, CheckpointMode
from megacluster.reliability.config import RestartModel
from megacluster.reliability.jobdata import JobResult
from megacluster.reliability.kinds import RestartTrigger
from megacluster.reliability.ledger import LOSSES, RUN_MODES
from megacluster.reliability.machine import JobMachine
from megacluster.reliability.restart import GB, restart_parts, storage_load_s

_AUTO = {AutoMethod.DALY: 1, AutoMethod.YOUNG: 2, AutoMethod.SAXENA: 3}
_POWER_FIELDS = ("allot_w", "held_gpus", "slope_w", "fixed_w", "idle_w", "load", "exponent", "floor_cap")
_CAUSE_NAMES = np.array([c.value for c in k.CAUSES], dtype=object)
_KIND_NAMES = np.array([e.value for e in k.KINDS], dtype=object)
_BLAST_NAMES = np.array(k.BLASTS, dtype=object)


def supported(machine: JobMachine) -> bool:
    """Whether the compiled loop can run this job: without a power limit, or with the engine's
    ``JobAllotment`` (whose cap factor it computes itself). [-]"""
    power = machine.layouts.power
    return power is None or all(hasattr(power, name) for name in _POWER_FIELDS)


def _constants(m: JobMachine) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    cfg, pol, lay = m.cfg, m.policy, m.layouts
    size = m.inp.checkpoint_bytes
    c = np.zeros(k.N_C)
    c[[k.C_T0, k.C_DT, k.C_T_END, k.C_TARGET, k.C_RATE_S, k.C_PLANNED_S]] = (
        m.t0, m.dt, m.t_end, m.target, m.rate_s, m.planned_s,
    )  # fmt: skip
    c[[k.C_STALL, k.C_WRITE, k.C_MAX_TAU, k.C_MIN_TAU]] = (
        pol.stall_s, pol.write_s, pol.max_interval_s, pol.min_interval_s,
    )  # fmt: skip
    c[k.C_FIXED_TAU] = np.nan if pol.fixed_interval_s is None else pol.fixed_interval_s
    c[[k.C_GROW_THR, k.C_RESHARD, k.C_DETECT, k.C_RESCHED_SPARE, k.C_RESCHED, k.C_INIT_PER_GPU]] = (
        cfg.grow_threshold, cfg.reshard_s, cfg.detection_s, cfg.reschedule_spare_s, cfg.reschedule_s,
        cfg.init_s_per_gpu,
    )  # fmt: skip
    c[k.C_LOAD_STORAGE] = storage_load_s(size, cfg.read_tb_s())
    c[k.C_CKPT_BYTES] = 0.0 if size is None else float(size)
    c[k.C_PEER_DIV] = cfg.peer_bandwidth_gb_s * GB
    c[k.C_WARMUP] = cfg.warmup_s
    c[k.C_FIXED_RESTART] = restart_parts(cfg, 0, size, RestartTrigger.FAILURE).fixed_s
    c[k.C_START] = float(m.inp.start_s)
    power: Any = lay.power  # a JobAllotment (``supported``)
    if power is not None:
        c[[k.C_SLOPE, k.C_FIXED_W, k.C_IDLE_W, k.C_LOAD, k.C_FLOOR_CAP, k.C_EXPONENT]] = (
            power.slope_w, power.fixed_w, power.idle_w, power.load, power.floor_cap(), power.exponent,
        )  # fmt: skip
    i = np.zeros(k.N_K, dtype=np.int64)
    i[[k.K_N, k.K_RG, k.K_SHRINK, k.K_SPARES, k.K_SAXENA]] = (
        m.n, lay.replica_gpus, m.shrink, m.spares, m.saxena,
    )  # fmt: skip
    i[k.K_AUTO] = 0 if pol.fixed_interval_s is not None else _AUTO[pol.auto_method]
    i[k.K_SYNC] = pol.mode is CheckpointMode.SYNC
    i[k.K_FLOOR_ASYNC] = pol.mode is CheckpointMode.ASYNC
    i[k.K_PARTS_MODEL] = cfg.restart_model == RestartModel.PARTS
    i[k.K_IN_MEMORY] = cfg.in_memory_checkpoint
    i[k.K_HAS_POWER] = power is not None
    i[k.K_PER_REPLICA] = lay.per_replica is not None
    i[k.K_WINDOW] = lay.window
    i[k.K_SITE_CAUSE] = m.causes.site
    return c, i


def _f8(values: Any) -> NDArray[np.float64]:
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64)).ravel()


def _i8(values: Any) -> NDArray[np.int64]:
    return np.ascontiguousarray(np.asarray(values, dtype=np.int64)).ravel()


class _Memory:
    """Builds one of the kernel's two memories (``F`` or ``I``): regions appended end to end, each one's
    start written into the integer constants."""

    def __init__(self, consts: NDArray[Any], kk: NDArray[np.int64], size: int) -> None:
        self.parts: list[tuple[int, NDArray[Any]]] = [(0, consts)]  # (start, values); the rest stays zero
        self.kk = kk
        self.size = size
        self.dtype = consts.dtype

    def add(self, values: NDArray[Any], at: int | None = None) -> int:
        """Append ``values``; their start (also into ``kk[at]``). [-]"""
        flat = np.asarray(values, dtype=self.dtype).ravel()
        start = self.zeros(flat.size, at)
        self.parts.append((start, flat))
        return start

    def zeros(self, size: int, at: int | None = None) -> int:
        """Append ``size`` zeros; their start (also into ``kk[at]``). [-]"""
        start = self.size
        self.size += size
        if at is not None:
            self.kk[at] = start
        return start

    def regions(self, at: int, parts: list[NDArray[Any]]) -> None:
        """Append ``parts``, their starts and the end into ``kk[at:]``. [-]"""
        for x, values in enumerate(parts):
            self.add(values, at + x)
        self.kk[at + len(parts)] = self.size

    def books(self, columns: tuple[tuple[int, int], ...]) -> None:
        """Room for the books' columns ``(index, rows)``, each start into ``kk[index]``. [-]"""
        for index, rows in columns:
            self.zeros(rows, index)

    def done(self) -> NDArray[Any]:
        """The memory: zeros (fresh pages from the system), each region copied once to its start. [-]"""
        out = np.zeros(self.size, dtype=self.dtype)
        for start, values in self.parts:
            out[start : start + values.size] = values
        return out


def _fill_tables(m: JobMachine, sf: NDArray[np.float64], si: NDArray[np.int64]) -> None:
    """The per-step rows (``R_*``), n + 1 wide, written into the memories' zeroed tables. [-]"""
    lay, n = m.layouts, m.n
    sf[k.R_EDGES] = m.edges
    for row, values in (
        (k.R_FLOOR, lay.fit_floor), (k.R_UNCAPPED, lay.fit_uncapped), (k.R_PER_GPU, lay.per_gpu),
        (k.R_FIT_END, np.frombuffer(lay.fit_to_end, dtype=np.float64)),
        (k.R_MULT, np.frombuffer(m.mult_banded, dtype=np.float64)),
    ):  # fmt: skip
        sf[row, :n] = values
    si[k.R_HELD, :n], si[k.R_FULL, :n], si[k.R_PREFER, :n] = lay.held, lay.full_gpus, lay.prefer
    power: Any = lay.power  # a JobAllotment (``supported``)
    if power is not None:
        sf[k.R_ALLOT, :n] = power.allot_w
        si[k.R_P_HELD, :n] = power.held_gpus


def _pack(m: JobMachine, caps: tuple[int, int, int, int]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The kernel's two memories (``kernel.run``): constants, state, inputs and books of ``caps`` rows."""
    c, kk = _constants(m)
    lay, d, causes = m.layouts, m.draws, m.causes
    hcap = len(d.cand_t) + 8
    kk[[k.K_N_RADII, k.K_HCAP, k.K_W]] = len(causes.radius_gpus), hcap, m.n + 1
    kk[[k.K_CAP_LOG, k.K_CAP_RS, k.K_CAP_COMMIT, k.K_CAP_LAYOUT]] = caps
    n_log, n_rs, n_commit, n_layout = caps
    f = _Memory(c, kk, k.F_H + hcap)
    i = _Memory(kk, kk, k.I_VAR)
    i.add(np.zeros(len(causes.ids)), k.K_O_BYC)
    i.add(np.full(int(lay.prefer.max(initial=0)) + 2, -1), k.K_O_SLOT_OF)
    i.add(np.zeros(3 * hcap), k.K_O_HEAP)
    w = m.n + 1
    f.zeros(k.N_RF * w, k.K_SF)
    i.zeros(k.N_RI * w, k.K_SI)
    per_replica = lay.per_replica if lay.per_replica is not None else np.zeros(1)
    f.regions(k.K_FOFF, [
        per_replica, _f8(d.cand_t), _f8(d.cand_u), _f8(d.cand_blast), _f8(d.cand_repair), _f8(d.planned_t),
        _f8(d.site_t), _f8(causes.radius_repair), _f8(causes.blast_cdf),
    ])  # fmt: skip
    members = _i8([k.CAUSES.index(member) for member in causes.members])
    i.regions(k.K_IOFF, [
        _i8(lay._positive), _i8(lay._rises), _i8(lay._rise_value),
        np.frombuffer(m.mult_change, dtype=np.int64), _i8(d.cand_cause), members, _i8(causes.radius_gpus),
        _i8(lay._rise_block_max),
    ])  # fmt: skip
    f.books((
        (k.K_B_LOG_T, n_log), (k.K_B_LOG_LOST, n_log), (k.K_B_RS_T, n_rs), (k.K_B_RS_PARTS, 7 * n_rs),
        (k.K_B_COMMIT_T, n_commit), (k.K_B_COMMIT_W, n_commit), (k.K_B_LAY_T, n_layout),
        (k.K_B_RUN_T, n_layout),
    ))  # fmt: skip
    i.books((
        (k.K_B_LOG_KIND, n_log), (k.K_B_LOG_CAUSE, n_log), (k.K_B_LOG_GPUS, n_log), (k.K_B_LOG_REP, n_log),
        (k.K_B_LOG_BLAST, n_log), (k.K_B_RS_CAUSE, n_rs), (k.K_B_RS_REP, n_rs), (k.K_B_RS_GPUS, n_rs),
        (k.K_B_LAY_R, n_layout), (k.K_B_RUN_R, n_layout),
    ))  # fmt: skip
    fm, im = f.done(), i.done()  # the integer memory last: its constants (kk) are complete only now
    _fill_tables(
        m, fm[kk[k.K_SF] : kk[k.K_SF] + k.N_RF * w].reshape(k.N_RF, w),
        im[kk[k.K_SI] : kk[k.K_SI] + k.N_RI * w].reshape(k.N_RI, w),
    )  # fmt: skip
    return fm, im


def _names(codes: NDArray[np.int64], names: NDArray[np.object_]) -> NDArray[np.object_]:
    """Names of ``codes`` as the reference's ``ledger.names`` gives them: an object array, one ``str`` per
    distinct name. [-]"""
    return names[codes] if codes.size else np.empty(0, dtype=object)


def first_capacities(events: int, steps: int = 0) -> tuple[int, int, int, int]:
    """Rows the books get at first for a run of ``events`` drawn events on ``steps`` steps: event log,
    restarts, commits, layout changes (a run that books more runs again with the exact sizes). Commits are
    checkpoints, which a run with few failures writes the more of: at least one a step (the uncertain
    flagship's replicas commit 13,000-54,000 times in 86,400 steps; ``4 x events + 4,096`` alone was outgrown
    by 4 of 20, whose loop then ran twice; a row is 16 bytes). [-]"""
    return 2 * events + 256, events + 256, max(4 * events + 4096, steps), 2 * events + 256


def run_compiled(m: JobMachine) -> JobResult:
    """``m.run()`` on the compiled loop: the same result to the last bit. [-]"""
    caps = first_capacities(len(m.draws.cand_t) + len(m.draws.planned_t) + len(m.draws.site_t), m.n)
    args = _pack(m, caps)
    k.run(*args)
    i = args[1]
    counts = (i[k.I_N_LOG], i[k.I_N_RS], i[k.I_N_COMMIT], max(i[k.I_N_LAYOUT], i[k.I_N_RUNNING]))
    if any(n > cap for n, cap in zip(counts, caps, strict=True)):
        # a book outgrew its estimate: run again with the sizes now known (the same draws, the same run)
        n_log, n_rs, n_commit, n_layout = (max(int(n), cap) for n, cap in zip(counts, caps, strict=True))
        args = _pack(m, (n_log, n_rs, n_commit, n_layout))
        k.run(*args)
    return _result(m, args)


def _result(m: JobMachine, args: tuple[NDArray[Any], ...]) -> JobResult:
    """The ledger of ``m`` filled with what the kernel booked, and its result."""
    f, i = args
    kk, bf, bi = i, f, i
    led = m.ledger
    for name, index in (
        ("useful", k.F_USEFUL), ("lost", k.F_LOST), ("overhead", k.F_OVERHEAD), ("waiting", k.F_WAITING),
        ("work", k.F_WORK), ("committed", k.F_COMMITTED), ("uncommitted_s", k.F_UNCOMMITTED),
    ):  # fmt: skip
        setattr(led, name, float(f[index]))
    for name, index in (
        ("n_unexpected", k.I_UNEXPECTED), ("n_planned", k.I_PLANNED), ("n_ckpt", k.I_CKPT),
        ("n_restarts", k.I_RESTARTS), ("n_resizes", k.I_RESIZES), ("n_power", k.I_POWER),
        ("n_grows", k.I_GROWS),
    ):  # fmt: skip
        setattr(led, name, int(i[index]))
    led.by_cause = i[kk[k.K_O_BYC] : kk[k.K_O_BYC] + len(m.causes.ids)].tolist()
    led.lost_by = dict(zip(LOSSES, f[k.F_LOST_BY : k.F_LOST_BY + len(LOSSES)].tolist(), strict=True))
    led.mode = dict(zip(RUN_MODES, f[k.F_MODE : k.F_MODE + len(RUN_MODES)].tolist(), strict=True))

    def col(books: NDArray[Any], index: int, n: int, width: int = 1) -> NDArray[Any]:
        # a copy: a view would keep both memories (~23 MB for a flagship replica of ~45,000 drawn events,
        # most of it per-step tables and unused capacity) alive as long as the result
        return books[kk[index] : kk[index] + width * n].copy()

    n, r = int(i[k.I_N_LOG]), int(i[k.I_N_RS])
    c, lay, run = int(i[k.I_N_COMMIT]), int(i[k.I_N_LAYOUT]), int(i[k.I_N_RUNNING])
    led.columns = [
        col(bf, k.K_B_LOG_T, n), _names(col(bi, k.K_B_LOG_KIND, n), _KIND_NAMES),
        _names(col(bi, k.K_B_LOG_CAUSE, n), _CAUSE_NAMES), col(bi, k.K_B_LOG_GPUS, n),
        col(bf, k.K_B_LOG_LOST, n), col(bi, k.K_B_LOG_REP, n),
        _names(col(bi, k.K_B_LOG_BLAST, n), _BLAST_NAMES),
    ]  # fmt: skip
    books = {  # the ledger's lists as the kernel's arrays (the same values: its result reads them as arrays)
        "rs_t": col(bf, k.K_B_RS_T, r), "rs_replicas": col(bi, k.K_B_RS_REP, r),
        "rs_gpus": col(bi, k.K_B_RS_GPUS, r), "rs_parts": col(bf, k.K_B_RS_PARTS, r, 7).reshape(r, 7),
        "rs_cause": _names(col(bi, k.K_B_RS_CAUSE, r), _CAUSE_NAMES),
        "commit_t": col(bf, k.K_B_COMMIT_T, c), "commit_w": col(bf, k.K_B_COMMIT_W, c),
        "layout_t": col(bf, k.K_B_LAY_T, lay), "layout_r": col(bi, k.K_B_LAY_R, lay),
        "running_t": col(bf, k.K_B_RUN_T, run), "running_r": col(bi, k.K_B_RUN_R, run),
    }  # fmt: skip
    for name, values in books.items():
        setattr(led, name, values)
    finish = None if np.isnan(f[k.F_FINISH]) else float(f[k.F_FINISH])
    tau = None if np.isnan(f[k.F_TAU]) else float(f[k.F_TAU])
    return led.result(float(f[k.F_END]), m.edges[1:], m.causes.ids, finish, tau, m.policy.write_s)
