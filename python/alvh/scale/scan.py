"""Book scans on Dask: the per-layer Greeks (:func:`scan_greeks`) and the scenario grid
(:func:`scan_grid`) of a book too large for one process — legs from Parquet or CSV files (globs),
a ``dask.dataframe`` or a pandas table, valued partition by partition on :func:`cluster`.

Each partition is validated and valued on a worker by the single-machine machinery
(:func:`alvh.risk.bulk.bulk_book`, :func:`alvh.book.compact.compact_book`,
:func:`alvh.risk.value_book`, :func:`alvh.risk.scenario_grid`), and ships back only its
per-layer sums: memory per worker is bounded by the partition's legs (× the scenarios, for a
grid), and what crosses the network by the layers (× the scenarios).

Determinism (README, Scale-out): a partition's sums are added by the Rust kernels in a fixed order
(bit-identical for any thread count), and the partitions' sums are combined by :func:`math.fsum`,
the correctly rounded sum of the partials, which depends neither on their order nor on which
worker valued them: the worker count never changes a result. Another partitioning changes only
the rounding inside partitions: each sum is within ``2·(n·ε·Σ|xᵢ| + ε·|S|)`` of the one-partition
sum, ``n`` legs of values ``xᵢ`` summing to ``S`` (ε = 2⁻⁵², recursive summation, Higham,
"Accuracy and Stability of Numerical Algorithms", 2002, §4.2).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from alvh._typing import FloatArray
from alvh.book import LEG_COLUMNS, Book
from alvh.book.compact import compact_book, is_compact
from alvh.book.roles import Role
from alvh.exceptions import ConfigError, InputError
from alvh.market.snapshot import Market
from alvh.risk.bulk import bulk_book
from alvh.risk.scenarios import Dynamics, ScenarioGrid, VolShiftScaling, scenario_grid
from alvh.risk.valuation import BUCKETS, METRICS, value_book
from alvh.scale.cluster import cluster, jobs_lost_raised, require_dask

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["PARTITION_LEGS", "scan_greeks", "scan_grid"]

PARTITION_LEGS = 1_000_000
"""Legs per partition of a pandas table (files are partitioned as Dask reads them: a Parquet file
or row group, a CSV block)."""

_SUMS = [*METRICS, *BUCKETS]


@dataclass(frozen=True)
class _Partial:
    """What one partition sends back: its layers (in order of first appearance), ``sums`` with
    the layer on the first axis, and per grid the book-wide floored-leg counts and explain terms."""

    layers: list[str]
    sums: FloatArray
    floored: NDArray[np.uint32] | None = None
    explain: FloatArray | None = None
    grid: ScenarioGrid | None = None
    """A grid's axes and settings (its P&L left out)."""


def scan_greeks(
    legs: Any,
    market: Market,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_size: int = PARTITION_LEGS,
) -> pd.DataFrame:
    """The per-layer Greek sums of ``legs`` valued on a Dask cluster: the table
    :class:`alvh.risk.LegStream` gives (index: layers in order of first appearance; columns: the
    metrics and SPX vega by maturity bucket, trader units), every layer valued as ``custom``.

    Parameters
    ----------
    legs
        A pandas table, a path or glob of ``.parquet``/``.csv`` files, or a
        ``dask.dataframe.DataFrame``, with the columns of a book's legs — or a compact pandas table
        (:func:`alvh.book.compact.compact_legs`: its legs were validated then, and are not again).
    market
        The market snapshot.
    client
        A Dask client to run on; default: :func:`alvh.scale.cluster.cluster` with ``scheduler``
        and ``workers`` for the call.
    scheduler, workers
        As for :func:`alvh.scale.cluster.cluster` (without ``client``).
    partition_size
        Legs per partition of a pandas table.

    Raises
    ------
    ConfigError
        A leg is invalid (the message names its partition and row) or a file cannot be read.
    InputError
        No legs, an unknown file type, a bad ``partition_size`` or an unreachable scheduler.
    MissingDependencyError
        Dask is not installed.
    ClusterError
        A partition was lost: every worker that valued it died, or the cluster went away.
    """
    partials = _scan(legs, market, _value_partition, {}, client, scheduler, workers, partition_size)
    layers, sums = _combine(partials)
    return pd.DataFrame(sums, index=layers, columns=_SUMS)


def scan_grid(
    legs: Any,
    market: Market,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_size: int = PARTITION_LEGS,
    spot_shocks: ArrayLike | None = None,
    vol_shifts: ArrayLike | None = None,
    horizons: ArrayLike | None = None,
    vix_levels: ArrayLike | None = None,
    dynamics: Dynamics | str = Dynamics.STICKY_MONEYNESS,
    vol_shift_scaling: VolShiftScaling | str = VolShiftScaling.PARALLEL,
    spot_vol_link: bool = False,
    explain: bool = False,
) -> ScenarioGrid:
    """The scenario grid of ``legs`` (every layer ``custom``) valued on a Dask cluster: the
    :class:`~alvh.risk.ScenarioGrid` :func:`alvh.risk.scenario_grid` gives for the same legs as
    one book, its layers in order of first appearance. Each partition's P&L per scenario per layer
    is summed (memory per worker: the partition's legs and one P&L per scenario per layer).

    ``legs``, ``client``, ``scheduler``, ``workers``, ``partition_size``: as for
    :func:`scan_greeks`; the grid options: as for :func:`alvh.risk.scenario_grid`.
    """
    options = {
        "spot_shocks": spot_shocks,
        "vol_shifts": vol_shifts,
        "horizons": horizons,
        "vix_levels": vix_levels,
        "dynamics": dynamics,
        "vol_shift_scaling": vol_shift_scaling,
        "spot_vol_link": spot_vol_link,
        "explain": explain,
    }
    partials = _scan(legs, market, _grid_partition, options, client, scheduler, workers, partition_size)
    layers, pnl = _combine(partials)
    template = next(p.grid for p in partials if p.grid is not None)
    cells = template.floored_legs.shape
    explained = [p.explain for p in partials if p.explain is not None]
    floored = [p.floored for p in partials if p.floored is not None]
    return ScenarioGrid(
        spot_shocks=template.spot_shocks,
        vol_shifts=template.vol_shifts,
        horizons=template.horizons,
        vix_levels=template.vix_levels,
        layers=layers,
        roles=[Role.CUSTOM.value] * len(layers),
        pnl=np.moveaxis(pnl, 0, -1).reshape(*cells, len(layers)),
        floored_legs=np.stack(floored).sum(axis=0, dtype=np.uint32).reshape(cells),
        explain=None if template.explain is None else _exact_sum(np.stack(explained)),
        settings=template.settings,
    )


_Work = Callable[[pd.DataFrame, int, Market, dict[str, Any], bool], _Partial]


def _scan(
    legs: Any,
    market: Market,
    work: _Work,
    options: dict[str, Any],
    client: Client | None,
    scheduler: str | None,
    workers: int | None,
    partition_size: int,
) -> list[_Partial]:
    """Each partition's :class:`_Partial`, in partition order."""
    require_dask("a book scan")
    if partition_size < 1:
        raise InputError(f"partition_size = {partition_size} is not allowed: at least 1 leg")
    frame = _dask_frame(legs, partition_size)
    # a compact pandas table was validated when compact_legs made it; the legs of files and Dask
    # frames are checked whatever their dtypes (a file is not trusted to hold valid legs)
    trusted = isinstance(legs, pd.DataFrame)
    if client is None:
        with cluster(scheduler, workers=workers, feature="a book scan") as own:
            return _run(own, frame, market, work, options, trusted)
    return _run(client, frame, market, work, options, trusted)


def _run(
    client: Any, frame: Any, market: Market, work: _Work, options: dict[str, Any], trusted: bool
) -> list[_Partial]:
    delayed = importlib.import_module("dask").delayed  # optional: loaded on use
    # the market once per worker, not once per task
    shared = client.scatter(market, broadcast=True, hash=False)
    tasks = [delayed(work)(part, k, shared, options, trusted) for k, part in enumerate(frame.to_delayed())]
    with jobs_lost_raised():
        partials: list[_Partial] = client.gather(client.compute(tasks))
    if not any(p.layers for p in partials):
        raise InputError("the scan found no legs to value")
    return partials


def _dask_frame(legs: Any, partition_size: int) -> Any:
    """``legs`` as a ``dask.dataframe.DataFrame``."""
    dd = importlib.import_module("dask.dataframe")  # optional: loaded on use

    if isinstance(legs, pd.DataFrame):
        return dd.from_pandas(legs, chunksize=partition_size, sort=False)
    if isinstance(legs, dd.DataFrame):
        return legs
    if not isinstance(legs, (str, Path)):
        raise InputError(
            f"legs: a pandas or dask DataFrame or a path of .parquet/.csv files is allowed, not {type(legs).__name__}"
        )
    path = str(legs)
    kind = Path(path.rstrip("/*")).suffix.lower() or Path(path).suffix.lower()
    try:
        if kind in (".parquet", ".pq") or Path(path).is_dir():
            return dd.read_parquet(path)
        if kind == ".csv":
            text = {c: "str" for c in ("layer", "instrument", "expiry", "right", "group", "start")}
            return dd.read_csv(path, dtype=text, assume_missing=True)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: cannot read the legs: {e}") from None
    raise InputError(f"legs = {path!r}: unknown legs format {kind!r}; use .parquet or .csv files (globs allowed)")


def _partition_book(frame: pd.DataFrame, index: int, trusted: bool) -> Book:
    """One partition as a book (all layers ``custom``): validated, unless it is a ``trusted``
    compact table."""
    if is_compact(frame):
        book = compact_book(frame, name=f"partition {index}")
        if trusted:
            return book
        frame = book.legs[LEG_COLUMNS]  # a compact file: its legs are checked as any legs
    return bulk_book(frame, name=f"partition {index}", source="legs", where=f"partition {index} row")


def _value_partition(
    frame: pd.DataFrame, index: int, market: Market, options: dict[str, Any], trusted: bool = False
) -> _Partial:
    if frame.empty:
        return _Partial([], np.zeros((0, len(_SUMS))))
    layers = value_book(_partition_book(frame, index, trusted), market, per_leg=False).layers
    return _Partial(list(layers.index), layers[_SUMS].to_numpy(np.float64))


def _grid_partition(
    frame: pd.DataFrame, index: int, market: Market, options: dict[str, Any], trusted: bool = False
) -> _Partial:
    if frame.empty:
        return _Partial([], np.zeros((0, 0)))
    grid = scenario_grid(_partition_book(frame, index, trusted), market, **options)
    pnl = np.moveaxis(grid.pnl, -1, 0).reshape(len(grid.layers), -1)
    floored, terms = grid.floored_legs, grid.explain
    axes = replace(grid, pnl=np.empty(0), explain=None if terms is None else np.empty(0))
    return _Partial(grid.layers, pnl, floored.reshape(-1), terms, axes)


def _combine(partials: Sequence[_Partial]) -> tuple[list[str], FloatArray]:
    """The layers of every partition (in order of first appearance, partitions in order) and
    their sums over the partitions, each correctly rounded (:func:`_exact_sum`)."""
    layers = list(dict.fromkeys(name for p in partials for name in p.layers))
    position = {name: i for i, name in enumerate(layers)}
    shape = next(p.sums.shape[1:] for p in partials if p.layers)
    stack = np.zeros((len(partials), len(layers), *shape))
    for k, p in enumerate(partials):
        if p.layers:
            stack[k, [position[name] for name in p.layers]] = p.sums
    return layers, _exact_sum(stack)


def _exact_sum(stack: FloatArray) -> FloatArray:
    """The sum over the first axis, each entry the correctly rounded sum of its values
    (:func:`math.fsum`: independent of their order); NaN or infinite where a value is."""
    flat = stack.reshape(len(stack), -1)
    finite = np.isfinite(flat).all(axis=0)
    out = flat.sum(axis=0)
    out[finite] = [math.fsum(column) for column in flat[:, finite].T]
    total: FloatArray = out.reshape(stack.shape[1:])
    return total
