"""A sweep's plan: a base backtest and axes of settings, one run per combination of axis values
(:func:`load_sweep` reads it from TOML, :func:`sweep_plan` builds it in code; README, Sweeps).

An axis is a dotted path into :class:`~alvh.backtest.config.BacktestConfig` (``ladder.short_delta``,
``costs.commission``, ``overrides.alvh.R-STRESS.loss_limit``, ``start``) or ``data`` (the daily
closes CSV) with its list of values; or a name with a list of tables of such paths, whose values
change together (``period = [{start = 2015-01-02, end = 2015-12-31}, …]``). Every value is
validated against :class:`BacktestConfig` before any run, and an error names the axis.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alvh._config import config_error, read_toml
from alvh.backtest.config import BacktestConfig, load_backtest_config
from alvh.exceptions import ConfigError

__all__ = ["DATA_AXIS", "PlotConfig", "Sweep", "SweepRun", "load_sweep", "sweep_plan"]

DATA_AXIS = "data"
"""The axis (and top-level key) naming the daily closes CSV; every other axis is a config path."""

STRATEGY_AXIS = "strategy"
"""The pseudo-axis a plot may put on x or y: the three strategies side by side."""

_FILE_FIELDS = ("rules", "events")
"""Config fields that name files: relative paths are read from the sweep file's folder."""


class PlotConfig(BaseModel):
    """The PNG: ``metric`` of ``strategy`` over the axes ``x`` and ``y`` (each an axis column or
    ``strategy``; default: the first two axes, or the first and ``strategy``), averaged over any
    other axes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str = "sharpe"
    """A numeric column of the summary (:func:`alvh.backtest.results.summary_metrics`)."""
    strategy: Literal["naked", "alvh", "static"] = "alvh"
    x: str | None = None
    y: str | None = None


class _SweepFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    config: str | None = None
    """A backtest TOML file, the base (relative to the sweep file)."""
    data: str | None = None
    """The daily closes CSV of every run (default: the bundled history), unless ``data`` is an axis."""
    base: dict[str, Any] = Field(default_factory=dict)
    """Config fields set for every run, over ``config``'s (a ``[base]`` table)."""
    axes: dict[str, list[Any]] = Field(min_length=1)
    plot: PlotConfig = PlotConfig()

    @model_validator(mode="after")
    def _check(self) -> _SweepFile:
        for name, values in self.axes.items():
            if not values:
                raise ValueError(f"axes.{name}: no values (give at least one)")
        return self


@dataclass(frozen=True)
class SweepRun:
    """One combination: its number (0, 1, … in the order of the axes' product), the value of each
    axis column, the validated config and the daily closes file (``None``: the bundled one)."""

    number: int
    settings: dict[str, Any]
    config: BacktestConfig
    data: Path | None


@dataclass(frozen=True)
class Sweep:
    """The validated plan: every run, the axis columns (in order) and the plot."""

    runs: tuple[SweepRun, ...]
    columns: tuple[str, ...]
    plot: PlotConfig
    inputs: tuple[Path, ...] = ()
    """Files the runs read (never to be written over)."""

    @property
    def plot_axes(self) -> tuple[str, str]:
        """The plot's (x, y): its own, else the first two axes, else the first and ``strategy``."""
        defaults = [*self.columns, STRATEGY_AXIS]
        x = self.plot.x or defaults[0]
        y = self.plot.y or next(c for c in defaults if c != x)
        return x, y


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep TOML file (README, Sweeps): top-level ``config`` and ``data``
    (paths relative to the file), the tables ``[base]`` (config fields), ``[axes]`` and
    ``[plot]`` (:class:`PlotConfig`).

    Raises
    ------
    ConfigError
        A bad file, an unknown key, or an axis whose name or values :class:`BacktestConfig`
        refuses (the message names the axis).
    """
    path = Path(path)
    data = read_toml(path)
    if isinstance(data.get("axes"), Mapping):  # `ladder.units = […]` unquoted is a nested table in TOML
        data["axes"] = _flat(data["axes"])
    try:
        spec = _SweepFile.model_validate(data)
    except ValidationError as e:
        raise config_error(str(path), e, model=_SweepFile) from None
    folder = path.parent
    base = load_backtest_config(folder / spec.config) if spec.config is not None else BacktestConfig()
    axes = {name: [_relative(folder, {name: value})[name] for value in values] for name, values in spec.axes.items()}
    plan = sweep_plan(
        base,
        axes,
        changes=_relative(folder, spec.base),
        data=folder / spec.data if spec.data is not None else None,
        plot=spec.plot,
        source=str(path),
    )
    extra = [path] + ([folder / spec.config] if spec.config is not None else [])
    return Sweep(plan.runs, plan.columns, plan.plot, tuple(extra) + plan.inputs)


def sweep_plan(
    base: BacktestConfig,
    axes: Mapping[str, Sequence[Any]],
    *,
    changes: Mapping[str, Any] | None = None,
    data: str | Path | None = None,
    plot: PlotConfig | None = None,
    source: str = "sweep",
) -> Sweep:
    """The runs of ``base`` (with ``changes``, nested tables of config fields) over ``axes``: one
    per combination of values, the first axis varying slowest (see the module docstring for the
    axes; ``data`` is the closes file when ``data`` is not an axis; ``source`` prefixes errors).

    Raises
    ------
    ConfigError
        No axis, an axis without values, or a name or value :class:`BacktestConfig` refuses (the
        message names the axis; a combination it refuses, e.g. ``start`` after ``end``, is named
        by its values).
    """
    if not axes:
        raise ConfigError(f"{source}: no axes: give at least one (e.g. ladder.short_delta = [0.10, 0.12])")
    tree = _with(base.model_dump(), changes or {}, source=f"{source}: base")
    _validate(tree, f"{source}: base")
    options = [_axis_options(source, name, values, tree) for name, values in axes.items()]
    columns = tuple(dict.fromkeys(column for axis in options for column in axis[0]))
    plot = plot or PlotConfig()
    _check_plot(source, plot, columns)
    runs = []
    for number, combination in enumerate(itertools.product(*options)):
        settings = {column: value for choice in combination for column, value in choice.items()}
        settings = {column: settings[column] for column in columns}
        where = f"{source}: run {number} ({', '.join(f'{k} = {v}' for k, v in settings.items())})"
        config = _validate(_with(tree, _nested(_config_part(settings)), source=where), where)
        file = settings.get(DATA_AXIS, data)
        runs.append(SweepRun(number, settings, config, Path(file) if file is not None else None))
    files = {run.data for run in runs if run.data is not None}
    files |= {Path(getattr(run.config, f)) for run in runs for f in _FILE_FIELDS if getattr(run.config, f)}
    return Sweep(tuple(runs), columns, plot, tuple(sorted(files)))


def _axis_options(source: str, name: str, values: Sequence[Any], tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The settings of each value of one axis (a path, or a linked axis of tables of paths), each
    checked alone on the base."""
    if isinstance(values, (str, bytes)) or not values:
        raise ConfigError(f"{source}: axis {name!r}: give a non-empty list of values")
    linked = all(isinstance(v, Mapping) for v in values)
    if not linked and any(isinstance(v, Mapping) for v in values):
        raise ConfigError(f"{source}: axis {name!r}: mixes tables and values; give one or the other")
    options = [dict(v) for v in values] if linked else [{name: v} for v in values]
    keys = list(options[0])
    for option in options:
        if list(option) != keys or not keys:
            raise ConfigError(f"{source}: axis {name!r}: every table must set the same paths ({', '.join(keys)})")
        where = f"{source}: axis {name!r}"
        _validate(_with(tree, _nested(_config_part(option)), source=where), where)
    if STRATEGY_AXIS in keys:
        raise ConfigError(f"{source}: axis {name!r}: 'strategy' is not a setting (every run has all three)")
    return options


def _config_part(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {path: value for path, value in settings.items() if path != DATA_AXIS}


def _nested(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted paths → nested tables: ``{"ladder.units": 5}`` → ``{"ladder": {"units": 5}}``."""
    out: dict[str, Any] = {}
    for path, value in settings.items():
        *parents, leaf = path.split(".")
        table = out
        for part in parents:
            table = table.setdefault(part, {})
        table[leaf] = value
    return out


def _with(tree: Mapping[str, Any], changes: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """``tree`` with ``changes`` merged in, table by table (a copy)."""
    out = copy.deepcopy(dict(tree))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _with(out[key], value, source=source)
        elif isinstance(value, Mapping) and out.get(key) is not None:
            raise ConfigError(f"{source}: {key} is a single value, not a table")
        else:
            out[key] = copy.deepcopy(value)
    return out


def _validate(tree: dict[str, Any], where: str) -> BacktestConfig:
    try:
        config = BacktestConfig.model_validate(tree)
    except ValidationError as e:
        raise config_error(where, e, model=BacktestConfig) from None
    try:
        config.strategy_rules()  # rule files and overrides are checked now, not mid-sweep
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    return config


def _check_plot(source: str, plot: PlotConfig, columns: tuple[str, ...]) -> None:
    allowed = [*columns, STRATEGY_AXIS]
    for which, name in (("x", plot.x), ("y", plot.y)):
        if name is not None and name not in allowed:
            raise ConfigError(f"{source}: plot.{which} = {name!r} is not an axis; use one of {', '.join(allowed)}")
    if plot.x is not None and plot.x == plot.y:
        raise ConfigError(f"{source}: plot.x and plot.y are both {plot.x!r}; choose two different axes")


def _flat(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables of axes → dotted paths: ``{"ladder": {"units": [5]}}`` → ``{"ladder.units": [5]}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        out |= _flat(value, f"{path}.") if isinstance(value, Mapping) else {path: value}
    return out


def _relative(folder: Path, value: Any) -> Any:
    """``value`` with the file paths in it (``data``, ``rules``, ``events``) made relative to
    ``folder``."""
    if isinstance(value, Mapping):
        return {
            k: str(folder / v) if k in (DATA_AXIS, *_FILE_FIELDS) and isinstance(v, str) else _relative(folder, v)
            for k, v in value.items()
        }
    return value
