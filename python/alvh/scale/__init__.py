"""Parallel execution: the one executor everything parallel in alvh uses."""

from alvh.scale.executor import Executor, Job

__all__ = ["Executor", "Job"]
