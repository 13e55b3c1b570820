"""Parallel execution: where it runs (a Dask cluster, :mod:`alvh.scale.cluster`) and the one
executor everything parallel in alvh uses."""

from alvh.scale.executor import Executor, Job

__all__ = ["Executor", "Job"]
