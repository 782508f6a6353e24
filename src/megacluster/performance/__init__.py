"""Training performance model: FLOP, memory, communication, step time, plan and validation.

Pure, vectorised functions (numpy arrays of layouts in, arrays out) in ``flops``, ``memory``, ``comms`` and
``step_time``; thin entry points ``estimate``, ``plan``, ``validate_runs``, ``calibrate`` (an efficiency
overlay fitted to a team's own runs, read back with ``load_overlay``) and ``job_performance`` on top.
"""

from megacluster.performance.calibrate import Calibration, calibrate
from megacluster.performance.engine_api import JobPerformance, job_performance
from megacluster.performance.estimator import Estimate, estimate
from megacluster.performance.overlay import Overlay, load_overlay
from megacluster.performance.plan import plan
from megacluster.performance.spec import TrainingSpec, load_spec
from megacluster.performance.validate import ValidationReport, validate_runs

__all__ = [
    "Calibration",
    "Estimate",
    "JobPerformance",
    "Overlay",
    "TrainingSpec",
    "ValidationReport",
    "calibrate",
    "estimate",
    "job_performance",
    "load_overlay",
    "load_spec",
    "plan",
    "validate_runs",
]
