"""The exceptions alvh raises: one hierarchy, rooted at :class:`AlvhError`.

Messages name the argument (and the row or file/field where there is one), the offending value,
and what is allowed. The Rust core raises these same classes.
"""

from __future__ import annotations


class AlvhError(Exception):
    """Base class of every error alvh raises."""


class InputError(AlvhError, ValueError):
    """An argument has the wrong type, dtype, shape or length, or an unknown option name."""


class DomainError(InputError):
    """A value lies outside its domain (for example a negative volatility or a strike <= 0)."""


class ImpliedVolError(AlvhError, ValueError):
    """No volatility reproduces the price (raised only by scalar calls of ``implied_vol``).

    ``status`` holds the :class:`alvh.IVStatus` saying why.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ConfigError(InputError):
    """A book, market or rules file (or its in-memory equivalent) is invalid.

    The message names the file, the entry (layer, leg or row) and the field, and says what is
    allowed, e.g. ``book.toml: layers[1].legs[0].strike = -5.0 is not allowed: must be > 0``.
    """


class MissingDependencyError(AlvhError, ImportError):
    """An optional dependency is not installed; the message names the extra to install, e.g.
    ``pip install 'alvh[xarray]'``."""


class ClusterError(AlvhError):
    """A job was lost on the Dask cluster: every worker that ran it died (Dask gives a task up
    after ``distributed.scheduler.allowed-failures`` of them: a job that crashes its process or
    runs it out of memory), or the cluster went away before the job finished."""
