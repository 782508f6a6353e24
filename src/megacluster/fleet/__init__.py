"""The GPU fleet: deliveries turned into installed GPUs over time."""

from megacluster.fleet.installed import installed_gpus

__all__ = ["installed_gpus"]
