# mypy: disable-error-code="no-untyped-def"
# (numba compiles these functions for the argument types it is given: no annotations)
"""The job's event loop compiled with numba: the same state machine as ``machine.JobMachine`` (with the
layout profiles of ``layout.py``, the fast-forward of ``cycles.py`` and the books of ``ledger.py``), on arrays
instead of objects.

Why a second copy: the job is simulated once per Monte Carlo replica, and the interpreted loop costs ~10 us
an event (~40,000 events a replica for the uncertain flagship, ~70 % of its time). This kernel is the same
arithmetic in the same order, so its results are ``JobMachine``'s to the last bit:
``tests/reliability/test_job_kernel.py`` runs both on random jobs (power limits, repairs, planned stops, site
events, every checkpoint policy) and requires exact equality, and ``benchmarks/bench_reliability.py`` times
them side by side. ``JobMachine`` stays the readable reference (each handler documented there) and the
fallback; the draws are made by it, in Python, before this loop runs.

The state lives in a named tuple of arrays (:data:`Job`): scalars in ``f`` (floats) and ``i`` (integers) at
the indices named below, two binary heaps (``h*``: events that outlive a phase; ``q*``: the phase's own)
ordered by (time, sequence number) as ``heapq`` orders the reference's tuples, the layout profiles in slots
(an LRU cache of ``CACHED_PROFILES`` as ``Layouts.profile`` keeps, so that windows start where the
reference's do and progress is the same float), and the books' growing columns in arrays that count past
their capacity (the caller reruns with the exact sizes: nothing the loop decides reads them back).
Python's ``max``/``min`` keep the first of equal values; ``_mx``/``_mn`` do the same.
"""

# ruff: noqa: SIM108, SIM109 - plain comparisons and if-blocks, as the reference writes them
# long module because: one compiled loop, its handlers and helpers must sit in one module for numba to
# compile and cache them together; each function mirrors one method of machine.py / layout.py / ledger.py /
# cycles.py, under 80 lines.

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np
from numba import njit
from numba import types as nbt
from numba.extending import register_jitable
from numba.typed import List

from megacluster.borrowed import borrowed
from megacluster.reliability.causes import RADII
from megacluster.reliability.cycles import MAX_BATCH, MIN_BATCH
from megacluster.reliability.kinds import BlastRadius, Cause, EventKind
from megacluster.reliability.layout import BLOCK as RISE_BLOCK
from megacluster.reliability.layout import CACHED_PROFILES

# job states (machine.py)
S_COMPUTE, S_STALL, S_RESTART, S_WAIT, S_WAIT_REPAIR, S_DONE = range(6)
# event kinds (machine.py's order)
E_CAND, E_PLANNED, E_REPAIR, E_CKPT, E_FINISH, E_STALL_END, E_RESTART_END = range(7)
E_GPU_ZERO, E_GPU_BACK, E_GROW, E_SITE, E_WINDOW, E_END = range(7, 13)
# restart triggers (kinds.RestartTrigger's order)
T_FAILURE, T_PLANNED, T_POWER, T_GROW, T_RESUME = range(5)
# causes of lost time (ledger.LOSSES' order)
L_REWORK, L_RESTART, L_RESHARD, L_POWER, L_REPAIRS = range(5)
# running modes (ledger.RUN_MODES' order)
M_FULL, M_CAPPED, M_REDUCED = range(3)

CAUSES = tuple(Cause)
"""Codes of the log's causes: index in ``Cause``. [-]"""
KINDS = tuple(EventKind)
"""Codes of the log's kinds: index in ``EventKind``. [-]"""
BLASTS = ("", *(r.value for r in RADII))
"""Codes of the log's blast radii: 0 none, then ``RADII`` from 1. [-]"""
C_PLANNED, C_NO_GPUS = CAUSES.index(Cause.PLANNED_MAINTENANCE), CAUSES.index(Cause.NO_GPUS)
C_SHORTFALL, C_GROW = CAUSES.index(Cause.POWER_SHORTFALL), CAUSES.index(Cause.GROW)
C_NONE, C_SITE = CAUSES.index(Cause.NONE), CAUSES.index(Cause.SITE_POWER)
K_FAILURE, K_PLANNED = KINDS.index(EventKind.FAILURE), KINDS.index(EventKind.PLANNED)
K_REPAIR, K_SUSPEND = KINDS.index(EventKind.REPAIR_DONE), KINDS.index(EventKind.SUSPEND)
K_FINISH, K_POWER = KINDS.index(EventKind.FINISH), KINDS.index(EventKind.POWER)
K_GROW = KINDS.index(EventKind.GROW)
B_JOB = BLASTS.index(BlastRadius.JOB.value)

SLOTS = CACHED_PROFILES + 4
"""Profile slots: the cache, one inserted before an eviction, the running profile after its eviction. [-]"""
PHASE_CAP = 16
"""Events one phase can hold (the reference schedules at most six). [-]"""

# --- constants (floats at the start of F, integers at the start of I), indices ---------------------------
(
    C_T0, C_DT, C_T_END, C_TARGET, C_RATE_S, C_PLANNED_S, C_STALL, C_WRITE, C_FIXED_TAU, C_MAX_TAU, C_MIN_TAU,
    C_GROW_THR, C_RESHARD, C_DETECT, C_RESCHED_SPARE, C_RESCHED, C_INIT_PER_GPU, C_LOAD_STORAGE, C_CKPT_BYTES,
    C_PEER_DIV, C_WARMUP, C_FIXED_RESTART, C_SLOPE, C_FIXED_W, C_IDLE_W, C_LOAD, C_FLOOR_CAP, C_EXPONENT,
    C_START,
) = range(29)  # fmt: skip
N_C = 29
(
    K_N, K_RG, K_SHRINK, K_SPARES, K_AUTO, K_SAXENA, K_SYNC, K_PARTS_MODEL, K_IN_MEMORY, K_HAS_POWER,
    K_PER_REPLICA, K_WINDOW, K_SITE_CAUSE, K_FLOOR_ASYNC, K_N_RADII, K_HCAP, K_O_BYC, K_O_SLOT_OF, K_O_HEAP,
    K_CAP_LOG, K_CAP_RS, K_CAP_COMMIT, K_CAP_LAYOUT,
    K_B_LOG_T, K_B_LOG_LOST, K_B_RS_T, K_B_RS_PARTS, K_B_COMMIT_T, K_B_COMMIT_W, K_B_LAY_T, K_B_RUN_T,
    K_B_LOG_KIND, K_B_LOG_CAUSE, K_B_LOG_GPUS, K_B_LOG_REP, K_B_LOG_BLAST, K_B_RS_CAUSE, K_B_RS_REP,
    K_B_RS_GPUS, K_B_LAY_R, K_B_RUN_R,
) = range(41)  # fmt: skip
"""(``K_B_*``: where each column of the books starts in ``F`` (floats) or ``I`` (integers).)"""
K_FOFF = 41
"""Start of the offsets of the float inputs' regions in ``F`` (``V_*``; region ``w`` is
``F[I[K_FOFF + w]:I[K_FOFF + w + 1]]``)."""
V_PER_REPLICA, V_CAND_T, V_CAND_U, V_CAND_BLAST, V_CAND_REPAIR, V_PLANNED, V_SITE, V_RADIUS_REPAIR = range(8)
V_BLAST_CDF = 8
N_V = 9
K_IOFF = K_FOFF + N_V + 1
"""Start of the offsets of the integer inputs' regions in ``I`` (``W_*``)."""
W_POSITIVE, W_RISES, W_RISE_VALUE, W_MULT_CHANGE, W_CAND_CAUSE, W_MEMBER, W_RADIUS_GPUS = range(7)
W_RISE_BLOCK_MAX = 7
N_W = 8
K_SF, K_SI, K_W = K_IOFF + N_W + 1, K_IOFF + N_W + 2, K_IOFF + N_W + 3
"""Where the per-step tables start in ``F`` and ``I``, and their width (n + 1)."""
N_K = K_W + 1
# --- per-step tables: rows of the float table (F) and the integer one (I), n + 1 wide -----------------
R_EDGES, R_FLOOR, R_UNCAPPED, R_PER_GPU, R_FIT_END, R_MULT, R_ALLOT = range(7)
N_RF = 7
R_HELD, R_FULL, R_PREFER, R_P_HELD = range(4)
N_RI = 4
# --- float state -------------------------------------------------------------------------------------
(
    F_T_PHASE, F_RUN_T0, F_GROW_T, F_TAU, F_FINISH, F_START_T, F_START_P, F_USEFUL, F_LOST, F_OVERHEAD,
    F_WAITING, F_WORK, F_COMMITTED, F_UNCOMMITTED, F_SINCE, F_PERSIST, F_SNAP_WORK, F_SNAP_COMPUTE, F_END,
) = range(N_C, N_C + 19)  # fmt: skip
F_LOST_BY = N_C + 19
F_MODE = N_C + 24
F_PARTS = N_C + 27
"""The current restart's parts (``PART_NAMES`` order). [s]"""
F_SL = N_C + 34
"""Each profile slot's last cumulative progress (``cum_last``). [FLOP]"""
F_Q = F_SL + SLOTS
"""Times of the phase heap's events. [s]"""
F_H = F_Q + PHASE_CAP
"""Times of the main heap's events (``k[K_HCAP]`` of them). [s]"""
# --- integer state -----------------------------------------------------------------------------------
(
    I_STATE, I_SEQ, I_GEN, I_REPLICAS, I_LAST_RUN, I_RUNNING, I_RUN_SHORT, I_TRIGGER, I_ROW, I_IN_REPAIR,
    I_FINAL, I_NEEDS_RESTART, I_PROF, I_START_PID, I_START_K0, I_CLOCK, I_PID, I_LIVE, I_NH, I_NQ,
    I_UNEXPECTED, I_PLANNED, I_CKPT, I_RESTARTS, I_RESIZES, I_POWER, I_GROWS, I_LAST_LAYOUT, I_LAST_RUNNING,
    I_N_LOG, I_N_RS, I_N_COMMIT, I_N_LAYOUT, I_N_RUNNING,
) = range(N_K, N_K + 34)  # fmt: skip
I_SL = N_K + 34
"""Profile slots' integers: field ``P_*`` of slot ``s`` at ``P_* + s``."""
P_REP, P_K0, P_K1, P_PID, P_STAMP, P_LIVE, P_MARKS = (I_SL + x * SLOTS for x in range(7))
I_Q = I_SL + 7 * SLOTS
"""The phase heap's sequence numbers, kinds and tags (``PHASE_CAP`` each); the main heap's at
``k[K_O_HEAP]`` (``k[K_HCAP]`` each), the counts by cause at ``k[K_O_BYC]``, the slot of each layout's profile
at ``k[K_O_SLOT_OF]``."""
I_VAR = I_Q + 3 * PHASE_CAP
"""Start of the integer state's regions sized by the job."""

Job = namedtuple("Job", "F I cums fitss marks")
"""The loop's inputs, state and books (see the module's docstring)."""

# --- the entry points' types (each compiles once, when the module is imported or loaded from the cache) ----
F1, I1, B1 = nbt.float64[::1], nbt.int64[::1], nbt.boolean[::1]
FA = nbt.float64[:]
f, i, v = nbt.float64, nbt.int64, nbt.void


def _entry(signature: Any) -> Any:
    """``njit`` for one signature, cached on disk: the functions called from Python (``run``, and ``np_sum``
    and ``capped_time`` for the tests), compiled or loaded from the cache when the module is imported. [-]"""
    return njit(signature, cache=True)


_helper = register_jitable
"""A helper compiled into the compiled functions that call it (numba's ``register_jitable``), for the
argument types they pass: not compiled, cached or loaded on its own. Loading the kernel from numba's cache
then reads only the entry points' libraries. With each helper compiled for a signature of its own, every
helper was a library of its own, holding its callees' code again, and loading the ~60 of them took 81 MB
of a process's memory (now ~12 MB, ``docs/replicas.md``); the results are the same to the bit
(tests/reliability/test_job_kernel.py)."""

_inline = njit(inline="always")
"""A small helper inlined into its callers before they are typed (numba's IR inlining): not compiled, cached
or loaded on its own (each compiled function is a library of its own when the kernel loads, ~4 ms each), and,
typed inside its caller, free of the literal-typed specialisations that compiling helpers for their call
sites' constants made. [-]"""


# --- small helpers ---------------------------------------------------------------------------------------
@_inline
def _mx(a, b):
    """Python's ``max(a, b)``: ``a`` unless ``b`` is greater."""
    return b if b > a else a


@_inline
def _mn(a, b):
    """Python's ``min(a, b)``: ``a`` unless ``b`` is smaller."""
    return b if b < a else a


@_inline
def _step(j, t):
    k = int((t - j.F[C_T0]) / j.F[C_DT])
    n = j.I[K_N]
    return 0 if k < 0 else (n - 1 if k >= n else k)


@_inline
def _sf(j, row, k):
    """Row ``row`` (``R_*``) of the per-step float table at step ``k``."""
    return j.F[j.I[K_SF] + row * j.I[K_W] + k]


@_inline
def _edge_time(j, k, t):
    return math.inf if k < 0 else _mx(_sf(j, R_EDGES, k), t)


@_inline
def _deficit(j):
    d = j.I[I_IN_REPAIR] - j.I[K_SPARES]
    return d if d > 0 else 0


@_inline
def _si(j, row, k):
    """Row ``row`` (``R_*``) of the per-step integer table at step ``k``."""
    return j.I[j.I[K_SI] + row * j.I[K_W] + k]


@_inline
def _fv(j, w):
    """Region ``w`` (``V_*``) of the float inputs."""
    return j.F[j.I[K_FOFF + w] : j.I[K_FOFF + w + 1]]


@_inline
def _iv(j, w):
    """Region ``w`` (``W_*``) of the integer inputs."""
    return j.I[j.I[K_IOFF + w] : j.I[K_IOFF + w + 1]]


@_inline
def _per_replica(j, replicas):
    """``per_replica[min(replicas, size - 1)]``. [FLOP/s]"""
    pr = _fv(j, V_PER_REPLICA)
    return pr[_mn(replicas, pr.size - 1)]


@_inline
def _parts(j):
    """The current restart's parts (a view). [s]"""
    return j.F[F_PARTS : F_PARTS + 7]


@_entry(f(FA))
def np_sum(a):
    """``numpy.sum`` of a float64 array, the same float: numpy's pairwise summation (blocks of 128 added
    with eight accumulators, halves above that). [-]"""
    n = a.size
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
        i = 8
        while i < n - (n % 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return np_sum(a[:n2]) + np_sum(a[n2:])


# --- the books (ledger.py) -------------------------------------------------------------------------------
@_inline
def _book_lost(j, seconds, why):
    j.F[F_LOST] += seconds
    j.F[F_LOST_BY + why] += seconds


@_helper
def _set_step(j, t, replicas, last, count, at_t, at_r):
    """A step function's new value from ``t`` (``Ledger.set_layout`` / ``set_running``): booked at
    ``I[at_t]``, ``I[at_r]`` when it changes; its last value and count at ``I[last]``, ``I[count]``."""
    if replicas != j.I[last]:
        n = j.I[count]
        if n < j.I[K_CAP_LAYOUT]:
            j.F[j.I[at_t] + n] = t
            j.I[j.I[at_r] + n] = replicas
        j.I[count] = n + 1
        j.I[last] = replicas


@_inline
def _set_layout(j, t, replicas):
    _set_step(j, t, replicas, I_LAST_LAYOUT, I_N_LAYOUT, K_B_LAY_T, K_B_LAY_R)


@_inline
def _set_running(j, t, replicas):
    _set_step(j, t, replicas, I_LAST_RUNNING, I_N_RUNNING, K_B_RUN_T, K_B_RUN_R)


@_helper
def _append_commit(j, t, work):
    n = j.I[I_N_COMMIT]
    if n < j.I[K_CAP_COMMIT]:
        j.F[j.I[K_B_COMMIT_T] + n] = t
        j.F[j.I[K_B_COMMIT_W] + n] = work
    j.I[I_N_COMMIT] = n + 1


@_helper
def _commit(j, t, work, compute_s, written):
    j.F[F_COMMITTED] = work
    j.F[F_USEFUL] += compute_s
    j.F[F_UNCOMMITTED] -= compute_s
    _append_commit(j, t, work)
    if written:
        j.I[I_CKPT] += 1
    j.F[F_PERSIST] = math.nan


@_helper
def _rollback(j, why):
    lost = j.F[F_UNCOMMITTED]
    _book_lost(j, lost, why)
    j.F[F_UNCOMMITTED] = 0.0
    j.F[F_WORK] = j.F[F_COMMITTED]
    j.F[F_SINCE] = 0.0
    j.F[F_PERSIST] = math.nan
    return lost


@_helper
def _log(j, t, kind, cause, gpus, lost, replicas, blast):
    n = j.I[I_N_LOG]
    if n < j.I[K_CAP_LOG]:
        j.F[j.I[K_B_LOG_T] + n] = t
        j.F[j.I[K_B_LOG_LOST] + n] = lost
        j.I[j.I[K_B_LOG_KIND] + n] = kind
        j.I[j.I[K_B_LOG_CAUSE] + n] = cause
        j.I[j.I[K_B_LOG_GPUS] + n] = gpus
        j.I[j.I[K_B_LOG_REP] + n] = replicas
        j.I[j.I[K_B_LOG_BLAST] + n] = blast
    j.I[I_N_LOG] = n + 1


@_helper
def _set_restart(j, row, replicas, gpus):
    """A restart row's layout and parts (the current ones), if the row is within the books."""
    if row < j.I[K_CAP_RS]:
        j.I[j.I[K_B_RS_REP] + row] = replicas
        j.I[j.I[K_B_RS_GPUS] + row] = gpus
        j.F[j.I[K_B_RS_PARTS] + 7 * row : j.I[K_B_RS_PARTS] + 7 * row + 7] = _parts(j)


@_helper
def _log_restart(j, t, cause, replicas, gpus):
    n = j.I[I_N_RS]
    if n < j.I[K_CAP_RS]:
        j.F[j.I[K_B_RS_T] + n] = t
        j.I[j.I[K_B_RS_CAUSE] + n] = cause
        _set_restart(j, n, replicas, gpus)
    j.I[I_N_RS] = n + 1
    return n


# --- heaps ordered by (time, sequence) -------------------------------------------------------------------
@_inline
def _before(t1, s1, t2, s2):
    return t1 < t2 or (t1 == t2 and s1 < s2)


@_helper
def _heap_push(tf, ti, cap, n, t, seq, kind, tag):
    """Insert an event into a heap of ``n`` events: times ``tf[:cap]``, sequence numbers, kinds and tags in
    ``ti[:cap]``, ``ti[cap:2 cap]``, ``ti[2 cap:3 cap]`` (views of the state)."""
    if n >= cap:
        raise RuntimeError("job kernel: event heap full")
    x = n
    while x > 0:
        p = (x - 1) // 2
        if not _before(t, seq, tf[p], ti[p]):
            break
        tf[x], ti[x], ti[cap + x], ti[2 * cap + x] = tf[p], ti[p], ti[cap + p], ti[2 * cap + p]
        x = p
    tf[x], ti[x], ti[cap + x], ti[2 * cap + x] = t, seq, kind, tag


@_helper
def _heap_pop(tf, ti, cap, n):
    """Remove the first event of a heap of ``n`` (the caller has read it and decrements ``n``)."""
    last = n - 1
    t, seq, kind, tag = tf[last], ti[last], ti[cap + last], ti[2 * cap + last]
    x = 0
    while True:
        c = 2 * x + 1
        if c >= last:
            break
        if c + 1 < last and _before(tf[c + 1], ti[c + 1], tf[c], ti[c]):
            c += 1
        if not _before(tf[c], ti[c], t, seq):
            break
        tf[x], ti[x], ti[cap + x], ti[2 * cap + x] = tf[c], ti[c], ti[cap + c], ti[2 * cap + c]
        x = c
    if last > 0:
        tf[x], ti[x], ti[cap + x], ti[2 * cap + x] = t, seq, kind, tag


@_inline
def _main(j):
    """The main heap: its times, its integers (views) and capacity."""
    cap = j.I[K_HCAP]
    o = j.I[K_O_HEAP]
    return j.F[F_H : F_H + cap], j.I[o : o + 3 * cap], cap


@_inline
def _phase(j):
    """The phase heap: its times, its integers (views) and capacity."""
    return j.F[F_Q : F_Q + PHASE_CAP], j.I[I_Q : I_Q + 3 * PHASE_CAP], PHASE_CAP


@_helper
def _push(j, t, kind, tag):
    j.I[I_SEQ] += 1
    tf, ti, cap = _main(j)
    _heap_push(tf, ti, cap, j.I[I_NH], t, j.I[I_SEQ], kind, tag)
    j.I[I_NH] += 1


@_helper
def _push_phase(j, t, kind):
    j.I[I_SEQ] += 1
    tf, ti, cap = _phase(j)
    _heap_push(tf, ti, cap, j.I[I_NQ], t, j.I[I_SEQ], kind, 0)
    j.I[I_NQ] += 1


# --- layouts (layout.Layouts) ----------------------------------------------------------------------------
@_helper
def _factor(j, gpus, k):
    """``JobAllotment.factor_at`` at one step (``np.float_power``: the C library's ``pow``, as here). [-]"""
    if gpus <= 0 or j.F[C_SLOPE] <= 0:
        return 1.0
    idle = j.F[C_IDLE_W]
    spare = _sf(j, R_ALLOT, k) - _si(j, R_P_HELD, k) * idle - gpus * (j.F[C_FIXED_W] - idle)
    c = spare / (gpus * j.F[C_SLOPE])
    c = c if c > j.F[C_FLOOR_CAP] else j.F[C_FLOOR_CAP]
    c = c if c < j.F[C_LOAD] else j.F[C_LOAD]
    x = c / _mx(j.F[C_LOAD], 1e-12)
    x = x if x > 0.0 else 0.0
    x = x if x < 1.0 else 1.0
    return x ** j.F[C_EXPONENT]


@_helper
def _rate_at(j, replicas, k):
    """``Layouts.rate_at``. [FLOP/s]"""
    n = replicas * j.I[K_RG]
    tol = 1e-6 * _mx(n, 1)
    if replicas <= 0 or _si(j, R_FULL, k) < n or _sf(j, R_FLOOR, k) < n - tol:
        return 0.0
    if j.I[K_PER_REPLICA] != 0:
        base = _per_replica(j, replicas)
    else:
        base = _sf(j, R_PER_GPU, k) * n
    if j.I[K_HAS_POWER] != 0 and _sf(j, R_UNCAPPED, k) < n - tol:
        base *= _factor(j, n, k)
    return base


@_inline
def _fits(j, gpus, k):
    tol = 1e-6 * _mx(gpus, 1)
    return gpus > 0 and _si(j, R_FULL, k) >= gpus and _sf(j, R_FLOOR, k) >= gpus - tol


@_inline
def _choose_k(j, k, deficit):
    avail = _mx(_si(j, R_HELD, k) - deficit, 0) // j.I[K_RG]
    return _mn(_si(j, R_PREFER, k), avail)


@_inline
def _choose(j, t):
    """``JobMachine.choose``: replicas a restart at ``t`` runs on. [-]"""
    d = j.I[I_IN_REPAIR] - j.I[K_SPARES] if j.I[K_SHRINK] != 0 else 0
    return _choose_k(j, _step(j, t), d if d > 0 else 0)


@_helper
def _next_fit_step(j, k, deficit):
    pos = _iv(j, W_POSITIVE)
    first = np.searchsorted(pos, k)
    need = deficit + j.I[K_RG]
    for x in range(first, pos.size):
        if _si(j, R_HELD, pos[x]) >= need:
            return pos[x]
    return -1


@_helper
def _next_rise(j, k, replicas):
    """First step > ``k`` where the supply rises to more than ``replicas`` replicas, or -1
    (``Layouts.next_rise``: the blocks' maxima skip the rises at or below ``replicas``). [-]"""
    rises = _iv(j, W_RISES)
    values = _iv(j, W_RISE_VALUE)
    block_max = _iv(j, W_RISE_BLOCK_MAX)
    n = rises.size
    if n == 0 or k >= rises[n - 1]:
        return -1
    x = np.searchsorted(rises, k, side="right")
    while x < n:  # the rest of x's block, then the first later block whose maximum is above ``replicas``
        end = _mn((x // RISE_BLOCK + 1) * RISE_BLOCK, n)
        for y in range(x, end):
            if values[y] > replicas:
                return rises[y]
        b = x // RISE_BLOCK + 1
        while b < block_max.size and block_max[b] <= replicas:
            b += 1
        x = b * RISE_BLOCK
    return -1


@_helper
def _capped_s(j, gpus, t0, t1):
    """``Layouts.capped_s``. [s]"""
    if j.I[K_HAS_POWER] == 0 or t1 <= t0 or gpus <= 0:
        return 0.0
    tol = 1e-6 * _mx(gpus, 1)
    dt, n = j.F[C_DT], j.I[K_N]
    ka = _mx(int((t0 - j.F[C_T0]) / dt), 0)
    kb = _mn(int((t1 - j.F[C_T0]) / dt), n - 1)
    least = gpus - tol
    found = False
    for x in range(ka, kb + 1):
        if _sf(j, R_UNCAPPED, x) < least and _sf(j, R_FLOOR, x) >= least:
            found = True
            break
    if not found:
        return 0.0  # the reference's short-span scan and its array test agree when nothing is capped
    m = kb - ka + 1
    out = np.zeros(m)
    for x in range(m):
        s = ka + x
        if _sf(j, R_UNCAPPED, s) < least and _sf(j, R_FLOOR, s) >= least:
            lo = _mx(_sf(j, R_EDGES, s), t0)
            hi = _mn(_sf(j, R_EDGES, s + 1), t1)
            d = hi - lo
            out[x] = d if d > 0.0 else 0.0
    return np_sum(out)


# --- layout profiles (layout.LayoutProfile), one per slot -----------------------------------------------
@_helper
def _profile(j, replicas):
    """``Layouts.profile``: the slot of a layout's profile, made if not cached (least recently used one
    evicted beyond ``CACHED_PROFILES``; the running profile keeps its slot until it is left). [-]"""
    j.I[I_CLOCK] += 1
    o = j.I[K_O_SLOT_OF]
    s = j.I[o + replicas]
    if s >= 0:
        j.I[P_STAMP + s] = j.I[I_CLOCK]
        return s
    s = 0
    while j.I[P_LIVE + s] != 0 or s == j.I[I_PROF]:
        s += 1
    j.I[I_PID] += 1
    j.I[P_REP + s], j.I[P_K0 + s], j.I[P_K1 + s], j.I[P_PID + s] = replicas, 0, 0, j.I[I_PID]
    j.I[P_STAMP + s], j.I[P_LIVE + s], j.F[F_SL + s], j.I[P_MARKS + s] = j.I[I_CLOCK], 1, 0.0, 0
    j.cums[s] = np.zeros(1)
    j.fitss[s] = np.zeros(0, dtype=np.bool_)
    j.I[o + replicas] = s
    j.I[I_LIVE] += 1
    if j.I[I_LIVE] > CACHED_PROFILES:
        old = -1
        for x in range(SLOTS):
            if j.I[P_LIVE + x] != 0 and (old < 0 or j.I[P_STAMP + x] < j.I[P_STAMP + old]):
                old = x
        j.I[o + j.I[P_REP + old]] = -1
        j.I[P_LIVE + old] = 0
        j.I[I_LIVE] -= 1
    return s


@_helper
def _rates(j, s, ka, kb):
    """``LayoutProfile._rates``: rate and fit of steps ``ka`` .. ``kb - 1``. [FLOP/s, -]"""
    replicas = j.I[P_REP + s]
    gpus = replicas * j.I[K_RG]
    n_gpus = float(gpus)
    tol = 1e-6 * _mx(n_gpus, 1.0)
    m = kb - ka
    rate = np.empty(m)
    fits = np.empty(m, dtype=np.bool_)
    per_replica = j.I[K_PER_REPLICA] != 0
    flat = _per_replica(j, replicas) if per_replica else 0.0
    power = j.I[K_HAS_POWER] != 0
    fm, im, w = j.F, j.I, j.I[K_W]  # the tables' rows read directly in this loop (it runs over whole windows)
    full, floor = im[K_SI] + R_FULL * w + ka, im[K_SF] + R_FLOOR * w + ka
    per_gpu, uncapped = im[K_SF] + R_PER_GPU * w + ka, im[K_SF] + R_UNCAPPED * w + ka
    for x in range(m):
        ok = im[full + x] >= gpus and fm[floor + x] >= n_gpus - tol and replicas > 0
        fits[x] = ok
        r = flat if per_replica else fm[per_gpu + x] * n_gpus
        if ok and power and fm[uncapped + x] < n_gpus - tol:
            r *= _factor(j, gpus, ka + x)
        rate[x] = r if ok else 0.0
    return rate, fits


@_helper
def _build(j, s, ka, kb):
    rate, fits = _rates(j, s, ka, kb)
    dt = j.F[C_DT]
    cum = np.zeros(kb - ka + 1)
    acc = 0.0
    for x in range(kb - ka):
        acc += rate[x] * dt  # numpy's cumsum: in order from the first element
        cum[x + 1] = acc
    j.I[P_K0 + s], j.I[P_K1 + s] = ka, kb
    j.cums[s] = cum
    j.F[F_SL + s] = cum[cum.size - 1]
    j.fitss[s] = fits
    j.I[P_MARKS + s] = 0


@_inline
def _anchor(j, s, k):
    if not j.I[P_K0 + s] <= k < j.I[P_K1 + s]:
        _build(j, s, k, _mn(j.I[K_N], k + j.I[K_WINDOW]))


@_helper
def _ensure(j, s, k):
    """``LayoutProfile.ensure``: grow the window forward to hold step ``k``."""
    k0, k1, n = j.I[P_K0 + s], j.I[P_K1 + s], j.I[K_N]
    if k < k1 or k1 >= n:
        return
    kb = _mn(n, _mx(k + 1, k1 + (k1 - k0)))
    rate, fits = _rates(j, s, k1, kb)
    old = j.cums[s]
    last = old[old.size - 1]
    dt = j.F[C_DT]
    cum = np.empty(old.size + kb - k1)
    cum[: old.size] = old
    acc = 0.0
    for x in range(kb - k1):
        acc += rate[x] * dt
        cum[old.size + x] = last + acc  # cum[-1] + cumsum(rate * dt), as the reference adds
    j.cums[s] = cum
    j.F[F_SL + s] = cum[cum.size - 1]
    j.fitss[s] = np.concatenate((j.fitss[s], fits))
    j.I[P_MARKS + s] = 0
    j.I[P_K1 + s] = kb


@_inline
def _py(i, size):
    """Python's index ``i`` of a sequence of ``size`` (a negative one counts from the end). [-]"""
    return i + size if i < 0 else i


@_helper
def _at(j, s, x, k):
    """Progress at ``x`` in step ``k`` (already in the window). [FLOP]"""
    cum = j.cums[s]
    i = k - j.I[P_K0 + s]
    c = cum[_py(i, cum.size)]
    return c + (cum[_py(i + 1, cum.size)] - c) * (x - _sf(j, R_EDGES, k)) / j.F[C_DT]


@_inline
def _progress(j, s, t, k):
    """``LayoutProfile.progress``. [FLOP]"""
    if k >= j.I[P_K1 + s]:
        _ensure(j, s, k)
    return _at(j, s, t, k)


@_helper
def _time_of(j, s, value, t_from):
    """``LayoutProfile.time_of``. [s]"""
    if value > j.F[F_SL + s]:
        return math.inf
    cum = j.cums[s]
    x = np.searchsorted(cum, value) - 1
    if x < 0:
        return t_from
    x = _mn(x, cum.size - 2)
    step = cum[x + 1] - cum[x]
    t = _sf(j, R_EDGES, x + j.I[P_K0 + s]) + ((value - cum[x]) / step * j.F[C_DT] if step > 0 else 0.0)
    return _mx(t, t_from)


@_inline
def _fits_to_end(j, s, k):
    g = j.I[P_REP + s] * j.I[K_RG]
    return _sf(j, R_FIT_END, k) >= g - 1e-6 * g


@_helper
def _marks(j, s):
    """``LayoutProfile.marks``: steps of the window where the layout does not fit, and where that changes."""
    if j.I[P_MARKS + s] != 0:
        return
    fits = j.fitss[s]
    k0 = j.I[P_K0 + s]
    j.marks[s] = np.flatnonzero(np.logical_not(fits)) + k0
    j.marks[SLOTS + s] = np.flatnonzero(fits[1:] != fits[:-1]) + 1 + k0
    j.I[P_MARKS + s] = 1


@_inline
def _next_in(runs, k):
    x = np.searchsorted(runs, k)
    return runs[x] if x < runs.size else -1


@_helper
def _next_zero_step(j, s, k):
    if _fits_to_end(j, s, k):
        return -1
    _ensure(j, s, k)
    _marks(j, s)
    return _next_in(j.marks[s], k)


@_helper
def _next_change_step(j, s, k):
    if _fits_to_end(j, s, k):
        return -1
    _ensure(j, s, k)
    _marks(j, s)
    return _next_in(j.marks[SLOTS + s], k + 1)


@_inline
def _eff(j, s, k):
    g = j.I[P_REP + s] * j.I[K_RG]
    return g if g > 0 and _si(j, R_FULL, k) >= g and _sf(j, R_FLOOR, k) >= g - 1e-6 * g else 0


@_inline
def _accept(j, s, k):
    full = _si(j, R_FULL, k)
    eff = _eff(j, s, k)
    return eff / full if full > 0 and eff > 0 else 0.0


# --- restarts and checkpoint intervals (restart.restart_parts, CheckpointPolicy.interval_s) ---------------
@_helper
def _fill_parts(j, out, replicas, trigger, spare, reshard):
    """``restart_parts`` of a restart onto ``replicas`` replicas, into ``out`` (``PART_NAMES`` order). [s]"""
    out[:] = 0.0
    if j.I[K_PARTS_MODEL] == 0:
        out[6] = j.F[C_FIXED_RESTART]
        return
    gpus = replicas * j.I[K_RG]
    failure = trigger == T_FAILURE
    in_place = trigger == T_PLANNED or trigger == T_GROW or (failure and spare)
    if j.I[K_IN_MEMORY] != 0 and not reshard:
        b = j.F[C_CKPT_BYTES]
        load = b / _mx(gpus, 1) / j.F[C_PEER_DIV] if b > 0 else 0.0
    else:
        load = j.F[C_LOAD_STORAGE]
    out[0] = j.F[C_DETECT] if failure else 0.0
    out[1] = j.F[C_RESCHED_SPARE] if in_place else j.F[C_RESCHED]
    out[2] = j.F[C_INIT_PER_GPU] * _mx(gpus, 0)
    out[3] = load
    out[4] = j.F[C_WARMUP]
    out[5] = j.F[C_RESHARD] if reshard else 0.0


@_inline
def _total(p):
    """``RestartParts.total_s``. [s]"""
    return (p[0] + p[1] + p[2] + p[3] + p[4] + p[5]) + p[6]


@_helper
def _policy_interval(j, mtti, restart):
    """``CheckpointPolicy.interval_s``. [s]"""
    if j.I[K_AUTO] == 0:
        return j.F[C_FIXED_TAU]
    delta = j.F[C_STALL]
    if not math.isfinite(mtti):
        tau = j.F[C_MAX_TAU]
    elif j.I[K_AUTO] == 2:  # Young
        tau = math.sqrt(2.0 * delta * mtti)
    elif j.I[K_SAXENA] != 0:
        tau = math.sqrt(2.0 * (mtti + restart) * delta + delta * delta)
    elif delta < 2.0 * mtti:
        x = delta / (2.0 * mtti)
        tau = math.sqrt(2.0 * delta * mtti) * (1.0 + math.sqrt(x) / 3.0 + x / 9.0) - delta
    else:
        tau = mtti
    floor = j.F[C_WRITE] if j.I[K_FLOOR_ASYNC] != 0 else j.F[C_STALL]
    return _mx(_mn(_mx(tau, j.F[C_MIN_TAU]), j.F[C_MAX_TAU]), floor)


@_inline
def _mtti(j, k, g):
    h = j.F[C_RATE_S] * _sf(j, R_MULT, k) * g + j.F[C_PLANNED_S]
    return 1.0 / h if h > 0 else math.inf


@_helper
def _interval(j, k):
    """``JobMachine.interval_s``. [s]"""
    restart = 0.0
    if j.I[K_SAXENA] != 0:
        p = np.empty(7)
        _fill_parts(j, p, j.I[I_REPLICAS], T_FAILURE, False, False)
        restart = _total(p)
    return _policy_interval(j, _mtti(j, k, _eff(j, j.I[I_PROF], k)), restart)


# --- phases (JobMachine.close, enter, start_run, end_run) -------------------------------------------------
@_helper
def _close(j, t, completed, why):
    """End the current phase at ``t`` and book its time."""
    t_from = j.F[F_T_PHASE]
    e = t - t_from
    st = j.I[I_STATE]
    if st == S_COMPUTE:
        j.F[F_UNCOMMITTED] += e
        j.F[F_SINCE] += e
        k = _step(j, t)
        s = j.I[I_PROF]
        if (
            j.I[I_START_PID] == j.I[P_PID + s]
            and j.I[I_START_K0] == j.I[P_K0 + s]
            and j.F[F_START_T] == t_from
        ):
            j.F[F_WORK] += _progress(j, s, t, k) - j.F[F_START_P]
        else:
            a = _progress(j, s, t, k)
            j.F[F_WORK] += a - _progress(j, s, t_from, _step(j, t_from))
    elif st == S_STALL:
        if completed:
            j.F[F_OVERHEAD] += e
        else:
            _book_lost(j, e, why)
    elif st == S_WAIT:
        j.F[F_WAITING] += e
    elif st == S_RESTART:
        total = _total(_parts(j))
        reshard = e * j.F[F_PARTS + 5] / total if total > 0 else 0.0
        tr = j.I[I_TRIGGER]
        _book_lost(j, reshard, L_RESHARD)
        _book_lost(j, e - reshard, L_POWER if tr == T_POWER or tr == T_RESUME else L_RESTART)
    elif st == S_WAIT_REPAIR:
        _book_lost(j, e, L_REPAIRS)
    j.F[F_T_PHASE] = t


@_helper
def _enter(j, state, t):
    j.I[I_STATE] = state
    j.F[F_T_PHASE] = t
    j.I[I_GEN] += 1
    j.I[I_NQ] = 0


@_helper
def _start_run(j, t):
    j.I[I_RUNNING] = 1
    j.F[F_RUN_T0] = t
    k = _step(j, t)
    in_hand = _mx(_si(j, R_HELD, k) - _deficit(j), 0) // j.I[K_RG]
    j.I[I_RUN_SHORT] = 1 if j.I[I_REPLICAS] < in_hand else 0
    if j.I[I_LAST_RUN] > 0 and j.I[I_REPLICAS] != j.I[I_LAST_RUN]:
        j.I[I_RESIZES] += 1
    j.I[I_LAST_RUN] = j.I[I_REPLICAS]
    _set_running(j, t, j.I[I_REPLICAS])


@_helper
def _end_run(j, t):
    if j.I[I_RUNNING] == 0:
        return
    j.I[I_RUNNING] = 0
    s = j.I[I_PROF]
    capped = _capped_s(j, j.I[P_REP + s] * j.I[K_RG], j.F[F_RUN_T0], t)
    j.F[F_MODE + M_CAPPED] += capped
    key = M_REDUCED if j.I[I_RUN_SHORT] != 0 else M_FULL
    j.F[F_MODE + key] += _mx(t - j.F[F_RUN_T0] - capped, 0.0)
    _set_running(j, t, 0)


@_helper
def _schedule_zero(j, t, k):
    """Schedule the stop at the first step from ``k`` (-1: ``t``'s) where the layout no longer fits."""
    if k < 0:
        k = _step(j, t)
    s = j.I[I_PROF]
    _anchor(j, s, k)
    if _fits_to_end(j, s, k):
        return
    k_zero = _next_zero_step(j, s, k)
    if k_zero >= 0:
        _push_phase(j, _mx(_sf(j, R_EDGES, k_zero), t), E_GPU_ZERO)


# --- fast-forward (JobMachine.horizon, fast_forward; cycles.plan_cycles; Ledger.apply_cycles) -------------
@_helper
def _horizon(j, t):
    limit = j.F[F_H] if j.I[I_NH] > 0 else j.F[C_T_END]
    if j.I[I_NQ] > 0 and j.F[F_Q] < limit:
        limit = j.F[F_Q]
    k = _step(j, t)
    s = j.I[I_PROF]
    fits = _fits_to_end(j, s, k)
    zero = math.inf if fits else _edge_time(j, _next_zero_step(j, s, k), t)
    limit = _mn(_mn(_mn(limit, j.F[C_T_END]), j.F[F_GROW_T]), zero)
    if j.I[K_AUTO] != 0:
        band = _edge_time(j, _next_in(_iv(j, W_MULT_CHANGE), k + 1), t)
        change = math.inf if fits else _edge_time(j, _next_change_step(j, s, k), t)
        limit = _mn(_mn(limit, band), change)
    return limit


@_helper
def _apply_cycles(j, starts, works, k, tau, stall):
    """``Ledger.apply_cycles`` of the first ``k`` cycles (ends: ``starts + tau + stall``)."""
    j.F[F_OVERHEAD] += k * stall
    if j.I[K_SYNC] != 0:
        j.F[F_USEFUL] += k * tau + j.F[F_UNCOMMITTED]
        j.F[F_UNCOMMITTED] = 0.0
        for x in range(k):
            _append_commit(j, starts[x] + tau + stall, works[x])
        j.I[I_CKPT] += k
        j.F[F_COMMITTED] = works[k - 1]
    else:
        if not math.isnan(j.F[F_PERSIST]):
            _commit(j, j.F[F_PERSIST], j.F[F_SNAP_WORK], j.F[F_SNAP_COMPUTE], True)
        j.F[F_UNCOMMITTED] += tau
        j.F[F_USEFUL] += (k - 1) * tau
        write = j.F[C_WRITE]
        for x in range(k - 1):
            _append_commit(j, starts[x] + tau + stall + write, works[x])
        j.I[I_CKPT] += k - 1
        if k > 1:
            j.F[F_COMMITTED] = works[k - 2]
        j.F[F_SNAP_WORK] = works[k - 1]
        j.F[F_SNAP_COMPUTE] = tau
        j.F[F_PERSIST] = starts[k - 1] + tau + stall + write
    j.F[F_WORK] = works[k - 1]


@_helper
def _fast_forward(j, t):
    """Apply the whole compute + stall cycles that end before the next event; return the new time. [s]"""
    tau = j.F[F_TAU] if not math.isnan(j.F[F_TAU]) else math.inf
    stall = j.F[C_STALL]
    cycle = tau + stall
    if j.I[I_NH] > 0 and cycle > 0 and (j.F[F_H] - t) / cycle < MIN_BATCH:
        return t
    if not math.isfinite(cycle) or cycle <= 0:
        return t
    k_max = _mn(int((_horizon(j, t) - t) / cycle), MAX_BATCH)
    if k_max < MIN_BATCH:
        return t
    s = j.I[I_PROF]
    t0, dt, last = j.F[C_T0], j.F[C_DT], j.I[K_N] - 1
    starts = np.empty(k_max)
    for x in range(k_max):
        starts[x] = t + cycle * x
    top = _mn(int((starts[k_max - 1] + tau - t0) / dt), last)
    _ensure(j, s, top)
    works = np.empty(k_max)
    acc = 0.0
    for x in range(k_max):
        a = starts[x]
        b = a + tau
        ka = _mn(int((a - t0) / dt), last)
        kb = _mn(int((b - t0) / dt), last)
        d = _at(j, s, b, kb) - _at(j, s, a, ka)
        acc = d if x == 0 else acc + d  # numpy's cumsum: the first element as it is
        works[x] = j.F[F_WORK] + acc
    k = _mn(k_max, np.searchsorted(works, j.F[C_TARGET]))
    if k < MIN_BATCH:
        return t
    _apply_cycles(j, starts, works, k, tau, stall)
    return starts[k - 1] + tau + stall


# --- entering phases (JobMachine.enter_compute ... after_interrupt) ---------------------------------------
@_helper
def _enter_compute(j, t):
    """``JobMachine.enter_compute``: fast-forward whole cycles after a checkpoint, then schedule the phase's
    events."""
    if j.I[I_RUNNING] == 0:
        _start_run(j, t)
    _enter(j, S_COMPUTE, t)
    s = j.I[I_PROF]
    k = _step(j, t)
    _anchor(j, s, k)
    rise = _next_rise(j, k, j.I[I_REPLICAS])
    grow = math.inf if rise < 0 else _mx(_sf(j, R_EDGES, rise), t)
    j.F[F_GROW_T] = grow
    tau = j.F[F_TAU]
    if math.isnan(tau) or j.F[F_SINCE] == 0.0:
        tau = _interval(j, k)
        j.F[F_TAU] = tau
        if j.F[F_SINCE] == 0.0:
            t_ff = _fast_forward(j, t)
            j.F[F_T_PHASE] = t_ff
            if t_ff != t:
                t, k = t_ff, _step(j, t_ff)
    _push_phase(j, t + _mx(tau - j.F[F_SINCE], 0.0), E_CKPT)
    p = _progress(j, s, t, k)
    j.I[I_START_PID], j.I[I_START_K0] = j.I[P_PID + s], j.I[P_K0 + s]
    j.F[F_START_T], j.F[F_START_P] = t, p
    t_fin = _time_of(j, s, p + (j.F[C_TARGET] - j.F[F_WORK]), t)
    if t_fin < math.inf:
        _push_phase(j, t_fin, E_FINISH)
    if grow < math.inf:
        _push_phase(j, grow, E_GROW)
    if j.I[P_K1 + s] < j.I[K_N]:
        _push_phase(j, _mx(_sf(j, R_EDGES, j.I[P_K1 + s]), t), E_WINDOW)
    _schedule_zero(j, t, k)


@_helper
def _enter_stall(j, t, duration, final):
    _enter(j, S_STALL, t)
    j.I[I_FINAL] = 1 if final else 0
    _push_phase(j, t + duration, E_STALL_END)
    _schedule_zero(j, t, -1)


@_helper
def _begin_restart(j, t, replicas, trigger, cause, spare):
    """``JobMachine.begin_restart``: one restart row with its parts, a re-shard if the count changes."""
    reshard = j.I[I_LAST_RUN] > 0 and replicas != j.I[I_LAST_RUN]
    _fill_parts(j, _parts(j), replicas, trigger, spare, reshard)
    j.I[I_TRIGGER] = trigger
    j.I[I_REPLICAS] = replicas
    j.I[I_PROF] = _profile(j, replicas)
    j.I[I_RESTARTS] += 1
    j.I[I_ROW] = _log_restart(j, t, cause, replicas, replicas * j.I[K_RG])
    _set_layout(j, t, replicas)
    _enter(j, S_RESTART, t)
    _push_phase(j, t + _total(_parts(j)), E_RESTART_END)
    _schedule_zero(j, t, -1)


@_helper
def _enter_wait(j, t):
    _enter(j, S_WAIT, t)
    j.I[I_REPLICAS] = 0
    _set_layout(j, t, 0)
    k = _next_fit_step(j, _step(j, t), _deficit(j) if j.I[K_SHRINK] != 0 else 0)
    t_back = _edge_time(j, k, t)
    if t_back < math.inf:
        _push_phase(j, t_back, E_GPU_BACK)


@_helper
def _resume(j, t):
    replicas = _choose(j, t)
    if replicas <= 0:
        _enter_wait(j, t)
    elif j.I[I_NEEDS_RESTART] != 0:
        _begin_restart(j, t, replicas, T_RESUME, C_NO_GPUS, False)
    else:
        j.I[I_REPLICAS] = replicas
        j.I[I_PROF] = _profile(j, replicas)
        _set_layout(j, t, replicas)
        _enter_compute(j, t)


@_helper
def _after_interrupt(j, t, trigger, cause, spare):
    _end_run(j, t)
    j.I[I_NEEDS_RESTART] = 1
    replicas = _choose(j, t)
    if replicas > 0:
        _begin_restart(j, t, replicas, trigger, cause, spare)
    else:
        _enter_wait(j, t)


# --- event handlers (JobMachine.on_*) ---------------------------------------------------------------------
@_inline
def _interruptible(j):
    st = j.I[I_STATE]
    return st == S_COMPUTE or st == S_STALL or st == S_RESTART


@_helper
def _on_candidate(j, t, x):
    cand_t = _fv(j, V_CAND_T)
    if x + 1 < cand_t.size:
        _push(j, cand_t[x + 1], E_CAND, x + 1)
    if not _interruptible(j):
        return
    if not _fv(j, V_CAND_U)[x] < _accept(j, j.I[I_PROF], _step(j, t)):
        return  # thinned: the candidate hit a GPU the job is not running on
    cause = _iv(j, W_CAND_CAUSE)[x]
    nr = j.I[K_N_RADII]
    cdf = _fv(j, V_BLAST_CDF)[cause * nr : cause * nr + nr]
    radius = _mn(np.searchsorted(cdf, _fv(j, V_CAND_BLAST)[x], side="right"), nr - 1)
    _close(j, t, False, L_REWORK)
    before = _deficit(j)
    gpus = _iv(j, W_RADIUS_GPUS)[radius]
    factor = _fv(j, V_RADIUS_REPAIR)[radius]
    if gpus > 0 and factor > 0:
        j.I[I_IN_REPAIR] += gpus
        _push(j, t + _fv(j, V_CAND_REPAIR)[x] * factor, E_REPAIR, gpus)
    else:
        gpus = 0
    lost = _rollback(j, L_REWORK)
    j.I[I_UNEXPECTED] += 1
    j.I[j.I[K_O_BYC] + cause] += 1
    why = _iv(j, W_MEMBER)[cause]
    _log(j, t, K_FAILURE, why, gpus, lost, j.I[I_REPLICAS], radius + 1)
    _after_interrupt(j, t, T_FAILURE, why, _deficit(j) == before)


@_helper
def _on_site(j, t, x):
    site_t = _fv(j, V_SITE)
    if x + 1 < site_t.size:
        _push(j, site_t[x + 1], E_SITE, x + 1)
    if not _interruptible(j):
        return
    _close(j, t, False, L_REWORK)
    lost = _rollback(j, L_REWORK)
    j.I[I_UNEXPECTED] += 1
    j.I[j.I[K_O_BYC] + j.I[K_SITE_CAUSE]] += 1
    _log(j, t, K_FAILURE, C_SITE, 0, lost, j.I[I_REPLICAS], B_JOB)
    _after_interrupt(j, t, T_FAILURE, C_SITE, True)


@_inline
def _stop_at_checkpoint(j, t):
    _close(j, t, True, L_REWORK)
    _commit(j, t, j.F[F_WORK], j.F[F_UNCOMMITTED], False)
    j.F[F_SINCE] = 0.0


@_helper
def _on_planned(j, t, x):
    planned_t = _fv(j, V_PLANNED)
    if x + 1 < planned_t.size:
        _push(j, planned_t[x + 1], E_PLANNED, x + 1)
    if not _interruptible(j) or (j.I[I_STATE] == S_STALL and j.I[I_FINAL] != 0):
        return
    _stop_at_checkpoint(j, t)
    j.I[I_PLANNED] += 1
    gpus = _eff(j, j.I[I_PROF], _step(j, t))
    _log(j, t, K_PLANNED, C_PLANNED, gpus, 0.0, j.I[I_REPLICAS], 0)
    _after_interrupt(j, t, T_PLANNED, C_PLANNED, True)


@_helper
def _on_grow(j, t):
    """The supply rose above the layout: restart onto more replicas when the gain outweighs the cost."""
    k = _step(j, t)
    grown = _choose(j, t)
    rg = j.I[K_RG]
    now = _rate_at(j, j.I[P_REP + j.I[I_PROF]], k)
    if grown > j.I[I_REPLICAS]:
        new = _rate_at(j, grown, k)
        p = np.empty(7)
        _fill_parts(j, p, grown, T_GROW, True, True)
        gain = (new - now) * _mtti(j, k, grown * rg)
        if new > now and gain >= j.F[C_GROW_THR] * _total(p) * new:
            _stop_at_checkpoint(j, t)
            j.I[I_GROWS] += 1
            _log(j, t, K_GROW, C_GROW, grown * rg, 0.0, grown, 0)
            _after_interrupt(j, t, T_GROW, C_GROW, True)
            return
    grow_t = _edge_time(j, _next_rise(j, k, _mx(j.I[I_REPLICAS], grown)), t)
    j.F[F_GROW_T] = grow_t
    if grow_t < math.inf:
        _push_phase(j, grow_t, E_GROW)


@_helper
def _on_repair(j, t, gpus):
    j.I[I_IN_REPAIR] -= gpus
    _log(j, t, K_REPAIR, C_NONE, gpus, 0.0, j.I[I_REPLICAS], 0)
    if j.I[I_STATE] == S_WAIT_REPAIR and _deficit(j) == 0:
        _close(j, t, True, L_REWORK)
        _enter_compute(j, t)
    elif j.I[I_STATE] == S_WAIT and j.I[K_SHRINK] != 0:
        _close(j, t, True, L_REWORK)
        if _choose(j, t) > 0:
            _resume(j, t)
        else:
            _enter_wait(j, t)


@_helper
def _relayout(j, replicas, t):
    j.I[I_REPLICAS] = replicas
    j.I[I_PROF] = _profile(j, replicas)
    _set_restart(j, j.I[I_ROW], replicas, replicas * j.I[K_RG])
    _set_layout(j, t, replicas)


@_helper
def _on_restart_end(j, t):
    """The restart is done: compute on the layout that fits now (``JobMachine.on_restart_end``)."""
    _close(j, t, True, L_REWORK)
    j.I[I_NEEDS_RESTART] = 0
    if j.I[K_SHRINK] == 0 and _deficit(j) > 0:
        _enter(j, S_WAIT_REPAIR, t)
        return
    k = _step(j, t)
    replicas = _choose(j, t)
    rg = j.I[K_RG]
    while replicas > 0 and not _fits(j, replicas * rg, k):
        replicas -= 1
    if replicas <= 0:
        j.I[I_NEEDS_RESTART] = 1
        _enter_wait(j, t)
        return
    if replicas != j.I[I_REPLICAS]:
        last = j.I[I_LAST_RUN]
        if j.F[F_PARTS + 5] == 0.0 and j.I[K_PARTS_MODEL] != 0 and replicas != last and last > 0:
            _relayout(j, replicas, t)  # the count changed at launch: add the re-shard to the restart
            j.F[F_PARTS + 5] = j.F[F_PARTS + 5] + j.F[C_RESHARD]
            _set_restart(j, j.I[I_ROW], replicas, replicas * j.I[K_RG])
            _enter(j, S_RESTART, t)
            _push_phase(j, t + j.F[C_RESHARD], E_RESTART_END)
            _schedule_zero(j, t, -1)
            return
        _relayout(j, replicas, t)
    _enter_compute(j, t)


@_helper
def _on_checkpoint_due(j, t, final):
    _close(j, t, True, L_REWORK)
    if final:
        j.F[F_WORK] = j.F[C_TARGET]
        j.F[F_PERSIST] = math.nan  # the final write commits everything
        _enter_stall(j, t, j.F[C_WRITE], True)
        return
    j.F[F_SNAP_WORK] = j.F[F_WORK]
    j.F[F_SNAP_COMPUTE] = j.F[F_UNCOMMITTED]
    j.F[F_SINCE] = 0.0
    _enter_stall(j, t, j.F[C_STALL], False)


@_helper
def _on_stall_end(j, t):
    _close(j, t, True, L_REWORK)
    if j.I[I_FINAL] != 0:
        _commit(j, t, j.F[F_WORK], j.F[F_UNCOMMITTED], True)
        j.F[F_FINISH] = t
        _log(j, t, K_FINISH, C_NONE, 0, 0.0, j.I[I_REPLICAS], 0)
        _end_run(j, t)
        _set_layout(j, t, 0)
        j.I[I_STATE] = S_DONE
        return
    if j.I[K_SYNC] != 0:
        _commit(j, t, j.F[F_SNAP_WORK], j.F[F_SNAP_COMPUTE], True)
    else:
        j.F[F_PERSIST] = t + j.F[C_WRITE]
    _enter_compute(j, t)


@_helper
def _on_gpu_zero(j, t):
    """The layout no longer fits: stop, losing the uncommitted work, restart on what fits or wait."""
    _close(j, t, False, L_POWER)
    lost = _rollback(j, L_POWER)
    _end_run(j, t)
    j.I[I_NEEDS_RESTART] = 1
    replicas = _choose(j, t)
    if replicas > 0:
        j.I[I_POWER] += 1
        _log(j, t, K_POWER, C_SHORTFALL, j.I[P_REP + j.I[I_PROF]] * j.I[K_RG], lost, replicas, 0)
        _begin_restart(j, t, replicas, T_POWER, C_SHORTFALL, False)
        return
    _log(j, t, K_SUSPEND, C_NO_GPUS, 0, lost, 0, 0)
    _enter_wait(j, t)


@_helper
def _on_end(j, t):
    _close(j, t, True, L_REWORK)
    _end_run(j, t)
    j.F[F_USEFUL] += j.F[F_UNCOMMITTED]
    j.F[F_UNCOMMITTED] = 0.0
    j.I[I_STATE] = S_DONE


@_helper
def _handle(j, kind, t, tag):
    """Call the handler of an event kind (``JobMachine.handlers``' table)."""
    if kind == E_CAND:
        _on_candidate(j, t, tag)
    elif kind == E_CKPT:
        _on_checkpoint_due(j, t, False)
    elif kind == E_STALL_END:
        _on_stall_end(j, t)
    elif kind == E_RESTART_END:
        _on_restart_end(j, t)
    elif kind == E_REPAIR:
        _on_repair(j, t, tag)
    elif kind == E_PLANNED:
        _on_planned(j, t, tag)
    elif kind == E_FINISH:
        _on_checkpoint_due(j, t, True)
    elif kind == E_GPU_ZERO:
        _on_gpu_zero(j, t)
    elif kind == E_GPU_BACK or kind == E_WINDOW:
        _close(j, t, True, L_REWORK)
        if kind == E_GPU_BACK:
            _resume(j, t)
        else:
            _enter_compute(j, t)
    elif kind == E_GROW:
        _on_grow(j, t)
    elif kind == E_SITE:
        _on_site(j, t, tag)
    else:
        _on_end(j, t)


# --- the loop ---------------------------------------------------------------------------------------------
@_helper
def _init(j):
    """The state ``JobMachine.__init__`` and ``Ledger`` start from."""
    start = j.F[C_START]
    for x in (F_TAU, F_FINISH, F_PERSIST, F_START_T):
        j.F[x] = math.nan
    j.F[F_T_PHASE] = start
    j.F[F_RUN_T0] = start
    j.F[F_GROW_T] = math.inf
    j.I[I_STATE] = S_WAIT
    j.I[I_TRIGGER] = T_RESUME
    j.I[I_ROW] = -1
    j.I[I_PROF] = -1
    j.I[I_PROF] = _profile(j, 0)
    _append_commit(j, start, 0.0)
    for x in (I_N_LAYOUT, I_N_RUNNING):
        j.I[x] = 1
    j.F[j.I[K_B_LAY_T]], j.I[j.I[K_B_LAY_R]] = start, 0
    j.F[j.I[K_B_RUN_T]], j.I[j.I[K_B_RUN_R]] = start, 0


@_helper
def _start(j):
    """``JobMachine.start``: the first events and the first phase (nothing if the run starts too late)."""
    start = j.F[C_START]
    if start >= j.F[C_T_END]:
        return
    _push(j, j.F[C_T_END], E_END, 0)
    for w, kind in ((V_CAND_T, E_CAND), (V_PLANNED, E_PLANNED), (V_SITE, E_SITE)):
        times = _fv(j, w)
        if times.size:
            _push(j, times[0], kind, 0)
    _resume(j, start)


@_helper
def _loop(j):
    """``JobMachine.run``'s loop; the run's end into ``f[F_END]``."""
    j.F[F_END] = _mx(j.F[C_START], j.F[C_T_END])
    _start(j)
    htf, hti, hcap = _main(j)
    qtf, qti, qcap = _phase(j)
    while j.I[I_NH] > 0:  # the end event stays in it to the end
        nq = j.I[I_NQ]
        phase = nq > 0 and _before(qtf[0], qti[0], htf[0], hti[0])
        top_t = qtf[0] if phase else htf[0]
        due = j.F[F_PERSIST]
        if not math.isnan(due) and due <= top_t:
            _commit(j, due, j.F[F_SNAP_WORK], j.F[F_SNAP_COMPUTE], True)
            continue
        if phase:
            t, kind, tag = qtf[0], qti[qcap], qti[2 * qcap]
            _heap_pop(qtf, qti, qcap, nq)
            j.I[I_NQ] = nq - 1
        else:
            t, kind, tag = htf[0], hti[hcap], hti[2 * hcap]
            _heap_pop(htf, hti, hcap, j.I[I_NH])
            j.I[I_NH] -= 1
        _handle(j, kind, t, tag)
        if j.I[I_STATE] == S_DONE:  # finished, or the end event
            j.F[F_END] = t
            break


@_entry(f(F1, I1, i, f, f))
def capped_time(F, I, gpus, t0, t1):  # noqa: E741 - the integer memory, as in ``run``
    """``Layouts.capped_s`` on packed memories (``compiled._pack``), for tests. [s]"""
    j = Job(F, I, List.empty_list(F1), List.empty_list(B1), List.empty_list(I1))
    return _capped_s(j, gpus, t0, t1)


@_entry(v(F1, I1, nbt.ListType(F1), nbt.ListType(B1), nbt.ListType(I1)))
def _borrowing(F, I, cums, fitss, marks):  # noqa: E741 - as in run
    """The loop on borrowed handles of the job's memories (``borrowed.py``): the handlers pass ``j`` to each
    other at every event, and counting its five members' references was about half of the loop's time. The
    caller owns them, and keeps them alive until this returns. [-]"""
    j = Job(borrowed(F), borrowed(I), borrowed(cums), borrowed(fitss), borrowed(marks))
    _init(j)
    _loop(j)


@_entry(v(F1, I1))
def run(F, I):  # noqa: E741 - the integer memory, as F is the float one
    """Run the job's event loop on the memory ``compiled.py`` packs (see the module's docstring); the results
    are left in ``F`` and ``I`` (the counts in ``I`` may exceed the books' capacities, and the caller then
    runs again with those). [-]"""
    cums = List()
    fitss = List()
    marks = List()
    for _ in range(SLOTS):
        cums.append(np.zeros(1))
        fitss.append(np.zeros(0, dtype=np.bool_))
        marks.append(np.zeros(0, dtype=np.int64))
        marks.append(np.zeros(0, dtype=np.int64))
    _borrowing(F, I, cums, fitss, marks)
