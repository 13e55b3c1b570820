"""The ``--scheduler`` option of the commands that run on Dask (README, Scale-out)."""

from __future__ import annotations

import typer

from alvh.scale.cluster import SCHEDULER_ENV

__all__ = ["SCHEDULER_OPTION"]

SCHEDULER_OPTION = typer.Option(
    "--scheduler",
    help=f"A Dask scheduler (tcp://HOST:PORT) to run on; default: ${SCHEDULER_ENV}, else a local cluster.",
)
"""Use as ``scheduler: Annotated[str | None, SCHEDULER_OPTION] = None``. Not typer's ``envvar``:
:func:`alvh.scale.cluster.cluster` reads the variable itself, and its errors name which one
(option or variable) gave a bad address."""
