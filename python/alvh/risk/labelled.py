"""Scenario grids as labelled arrays: an :class:`xarray.Dataset` with named dimensions and units,
for slicing by value (``ds.book.sel(horizon_days=7)``), plotting and saving. xarray is an
optional dependency (``pip install 'alvh[xarray]'``); without it :func:`grid_dataset` raises
:class:`alvh.exceptions.MissingDependencyError`.

Dimensions, in the order of :attr:`ScenarioGrid.pnl`: ``spot_shock``, ``vol_shift``,
``horizon_days``, ``vix_level`` (only when the grid was run on explicit VIX levels: a derived VIX
has no axis of its own, it moves with ``vol_shift``), ``layer`` (with each layer's ``role`` as a
coordinate) and ``term`` (the explain terms, when computed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from alvh._optional import require
from alvh.risk.kernel_inputs import EXPLAIN_TERMS

if TYPE_CHECKING:  # ScenarioGrid.to_xarray calls this module
    import xarray as xr

    from alvh.risk.scenarios import ScenarioGrid

__all__ = ["AXIS_ATTRS", "grid_dataset"]

AXIS_ATTRS: dict[str, dict[str, str]] = {
    "spot_shock": {"units": "1", "long_name": "relative SPX move (-0.05 is -5 %)"},
    "vol_shift": {"units": "vol points", "long_name": "SPX implied-vol shift at 30 days"},
    "horizon_days": {"units": "days", "long_name": "calendar days forward"},
    "vix_level": {"units": "index points", "long_name": "VIX level (explicit, not derived from the vol shift)"},
}
"""Units and descriptions of the grid's axes (docs/method.md, Scenarios and stresses)."""

_VARIABLE_ATTRS: dict[str, dict[str, str]] = {
    "pnl": {"units": "$", "long_name": "P&L of each layer"},
    "book": {"units": "$", "long_name": "P&L of the book (the sum of the layers)"},
    "hedge_offset": {
        "units": "1",
        "long_name": "share of the core's loss the hedge layers offset (NaN where the core does not lose)",
    },
    "floored_legs": {
        "units": "legs",
        "long_name": "legs valued on a floored input (vol at 0, VIX or a future at 0.01)",
    },
    "explain": {"units": "$", "long_name": "Taylor P&L explain of the book, by term (and the residual)"},
}


def grid_dataset(grid: ScenarioGrid) -> xr.Dataset:
    """``grid`` as a Dataset (see the module docstring): variables ``pnl`` (the axes × ``layer``),
    ``book``, ``hedge_offset`` and ``floored_legs`` (the axes), and ``explain`` (the axes ×
    ``term``) when computed; the grid's settings as attributes (a flag as 0/1, so that the Dataset
    can be written to netCDF)."""
    xarray: Any = require("xarray", extra="xarray", needed_by="ScenarioGrid.to_xarray")
    explicit_vix = grid.vix_levels is not None
    axes = grid.axes
    dims = list(axes)

    def cells(values: np.ndarray) -> np.ndarray:
        """Per-cell values without the length-1 VIX axis of a derived VIX."""
        return values if explicit_vix else values[:, :, :, 0, ...]

    coords: dict[str, Any] = {name: (name, values, AXIS_ATTRS[name]) for name, values in axes.items()}
    coords["layer"] = ("layer", np.array(grid.layers, dtype=object))
    coords["role"] = ("layer", np.array(grid.roles, dtype=object))
    variables: dict[str, Any] = {
        "pnl": ([*dims, "layer"], cells(grid.pnl)),
        "book": (dims, cells(grid.book)),
        "hedge_offset": (dims, cells(grid.hedge_offset)),
        "floored_legs": (dims, cells(grid.floored_legs).astype(np.int32)),
    }
    if grid.explain is not None:
        coords["term"] = ("term", np.array(EXPLAIN_TERMS, dtype=object))
        variables["explain"] = ([*dims, "term"], cells(grid.explain))
    data = {name: (*spec, _VARIABLE_ATTRS[name]) for name, spec in variables.items()}
    attrs = {key: int(value) if isinstance(value, bool) else value for key, value in grid.settings.items()}
    dataset: xr.Dataset = xarray.Dataset(data, coords=coords, attrs=attrs)
    return dataset
