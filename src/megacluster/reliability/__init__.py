"""Reliability at scale: failures by cause, checkpoint policy, repair and spares, the job's event model."""

from megacluster.reliability.causes import (
    CauseTable,
    Domain,
    FailureCause,
    llama3_causes,
    mean_time_to_interruption_s,
)
from megacluster.reliability.checkpoint import (
    AutoMethod,
    CheckpointMode,
    CheckpointPolicy,
    daly_interval_s,
    young_interval_s,
)
from megacluster.reliability.config import ReliabilityConfig
from megacluster.reliability.job import JobInputs, JobLoop, JobResult, load_compiled, run_job

__all__ = [
    "AutoMethod",
    "CauseTable",
    "CheckpointMode",
    "CheckpointPolicy",
    "Domain",
    "FailureCause",
    "JobInputs",
    "JobLoop",
    "JobResult",
    "ReliabilityConfig",
    "daly_interval_s",
    "llama3_causes",
    "load_compiled",
    "mean_time_to_interruption_s",
    "run_job",
    "young_interval_s",
]
