"""Scenario engine: what each layer makes or loses across spot moves, vol moves and the next
days — full revaluation of every leg (the Rust kernel ``alvh._core.scenario_pnl``) and a Taylor
P&L explain. The historical stresses and the daily vega reconciliation built on it are in
:mod:`alvh.risk.stresses`.

The dynamics (docs/method.md, Scenarios and stresses) are documented in the Rust ``scenario``
module and summarised here:

* spot shocks are relative (−0.05 = −5 %); vol shifts are SPX implied-vol points at 30 days,
  applied ``parallel`` or scaled by √(30/DTE); horizons are calendar days;
* ``sticky_strike`` keeps each SPX leg's vol, ``sticky_moneyness`` re-reads it from the smile
  at the new moneyness; with ``spot_vol_link`` a spot shock alone also moves SPX vols and VIX
  through the log-beta ln(VIX′/VIX) = β·ln(S′/S);
* VIX moves by the 30-day SPX vol shift in points (VIX ≈ 100 × 30-day vol), unless explicit VIX
  levels are given; each VIX future moves by β(τ)·ΔVIX, VIX options are repriced on it with their
  vol scaled by (VIX′/VIX)^vvol_beta; legs expiring inside the horizon settle at intrinsic (VIX
  products on the scenario VIX);
* floors: a leg's scenario vol is floored at 0, VIX′ and each VIX future at 0.01; the grid counts
  per scenario the legs valued on a floored input (:attr:`ScenarioGrid.floored_legs`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from alvh import _core
from alvh._typing import FloatArray
from alvh.book import Book
from alvh.book.roles import Role
from alvh.exceptions import InputError
from alvh.market.snapshot import K_RANGE, Market
from alvh.risk.cache import ValuationCache
from alvh.risk.display import grid_html, grid_text
from alvh.risk.dynamics import DYNAMICS_SETTINGS, Dynamics, VolShiftScaling, describe_dynamics
from alvh.risk.kernel_inputs import EXPLAIN_TERMS, leg_arrays
from alvh.risk.labelled import grid_dataset

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "EXPLAIN_TERMS",
    "Dynamics",
    "ScenarioGrid",
    "VolShiftScaling",
    "describe_dynamics",
    "scenario_grid",
    "scenario_pnl",
]


@dataclass(frozen=True)
class ScenarioGrid:
    """P&L ($) of each layer on a grid of spot shocks × vol shifts × horizons (× VIX levels).

    ``pnl`` has shape ``(spot, vol, horizon, vix, layer)`` (the VIX axis has length 1 when VIX is
    derived); ``floored_legs`` ``(spot, vol, horizon, vix)``: per scenario, the legs valued on a
    floored input (a vol raised to 0, a VIX future or VIX′ raised to 0.01 — their P&L is that of
    the floor, not of the shift asked for); ``explain`` (if computed) ``(spot, vol, horizon, vix,
    term)`` for the whole book. Axes and units: :data:`alvh.risk.labelled.AXIS_ATTRS` (spot shocks
    relative, vol shifts in SPX vol points, horizons in calendar days, VIX levels in index points).
    :attr:`book` and :attr:`hedge_offset` are worked out once, on first use, and read-only.
    """

    spot_shocks: FloatArray
    vol_shifts: FloatArray
    horizons: FloatArray
    vix_levels: FloatArray | None
    layers: list[str]
    roles: list[str]
    pnl: FloatArray
    floored_legs: NDArray[np.uint32]
    explain: FloatArray | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def book(self) -> FloatArray:
        """The book's P&L ($) on the grid (the sum of the layers), shape (spot, vol, horizon, vix)."""
        return _read_only(self.pnl.sum(axis=-1))

    def layer(self, name: str) -> FloatArray:
        """One layer's P&L on the grid."""
        if name not in self.layers:
            raise InputError(f"no layer {name!r}; layers: {', '.join(self.layers)}")
        layer: FloatArray = self.pnl[..., self.layers.index(name)]
        return layer

    def _by_role(self, core: bool) -> FloatArray:
        layers = np.array([i for i, r in enumerate(self.roles) if (r == Role.CORE.value) == core], dtype=np.intp)
        # take, not a boolean mask: a mask on the last axis gathers element by element (5x slower);
        # each role's own sum, not the book less the core, which would cancel digits
        total: FloatArray = self.pnl.take(layers, axis=-1).sum(axis=-1)
        return total

    @cached_property
    def hedge_offset(self) -> FloatArray:
        """Per cell, the share of the core's loss that the hedge layers offset: −hedge/core where
        the core loses, NaN where it does not (1.0 = fully offset, < 0 = hedges lose too)."""
        core, hedge = self._by_role(True), self._by_role(False)
        with np.errstate(divide="ignore", invalid="ignore"):
            offset: FloatArray = np.where(core < 0, -hedge / core, np.nan)
        return _read_only(offset)

    @property
    def axes(self) -> dict[str, FloatArray]:
        """The grid axes by name (``vix_level`` only when explicit), in their units
        (:data:`alvh.risk.labelled.AXIS_ATTRS`)."""
        axes = {"spot_shock": self.spot_shocks, "vol_shift": self.vol_shifts, "horizon_days": self.horizons}
        if self.vix_levels is not None:
            axes["vix_level"] = self.vix_levels
        return axes

    @property
    def worst(self) -> dict[str, float]:
        """The cell with the book's largest loss: its P&L ($) and coordinates (``spot_shock``
        relative, ``vol_shift`` in vol points, ``horizon_days`` in calendar days, ``vix_level`` in
        index points when explicit: :data:`alvh.risk.labelled.AXIS_ATTRS`)."""
        return self.worst_cells(1)[0]

    def worst_indices(self, count: int) -> list[tuple[int, ...]]:
        """The grid indices ``(spot, vol, horizon, vix)`` of the ``count`` cells with the book's
        largest losses, worst first (ties in grid order, NaN cells last): they index :attr:`book`,
        :attr:`hedge_offset` and :attr:`floored_legs`, and :attr:`pnl` with a layer index added.
        Only the cells at or below the ``count``-th loss are sorted (a grid may hold millions)."""
        flat = self.book.reshape(-1)
        count = min(count, flat.size)
        candidates = np.arange(flat.size)
        if 0 < count < flat.size:
            threshold = np.partition(flat, count - 1)[count - 1]  # NaN sorts last: NaN only if fewer numbers
            if not np.isnan(threshold):
                candidates = np.flatnonzero(flat <= threshold)
        worst = candidates[np.argsort(flat[candidates], kind="stable")][: max(count, 0)]
        return [tuple(int(i) for i in np.unravel_index(int(cell), self.book.shape)) for cell in worst]

    def worst_cells(self, count: int) -> list[dict[str, float]]:
        """The ``count`` cells with the book's largest losses, worst first (ties in grid order):
        each one's P&L and coordinates as in :attr:`worst` (``vix_level`` when the grid has
        explicit VIX levels)."""
        return [self.cell_at(index) for index in self.worst_indices(count)]

    def cell_at(self, index: tuple[int, ...]) -> dict[str, float]:
        """The book's P&L ($) and the coordinates of the cell at grid ``index`` ``(spot, vol,
        horizon, vix)``, as in :attr:`worst`."""
        cell = {
            "pnl": float(self.book[index]),
            "spot_shock": float(self.spot_shocks[index[0]]),
            "vol_shift": float(self.vol_shifts[index[1]]),
            "horizon_days": float(self.horizons[index[2]]),
        }
        if self.vix_levels is not None:
            cell["vix_level"] = float(self.vix_levels[index[3]])
        return cell

    @property
    def floored_scenarios(self) -> int:
        """How many scenarios valued at least one leg on a floored input."""
        return int(np.count_nonzero(self.floored_legs))

    def __repr__(self) -> str:
        return grid_text(self, self._dynamics())

    def _repr_html_(self) -> str:
        return grid_html(self, self._dynamics())

    def _dynamics(self) -> str | None:
        """:func:`describe_dynamics` of the settings, None when they do not say (a grid built by hand)."""
        return describe_dynamics(self.settings) if self.settings.keys() >= DYNAMICS_SETTINGS else None

    def to_xarray(self) -> xr.Dataset:
        """The grid as a labelled :class:`xarray.Dataset`: dimensions ``spot_shock``,
        ``vol_shift``, ``horizon_days``, ``vix_level`` (only with explicit VIX levels) and
        ``layer``; variables ``pnl``, ``book``, ``hedge_offset``, ``floored_legs`` (and
        ``explain``), units in their attributes (:func:`alvh.risk.labelled.grid_dataset`).
        Needs xarray: ``pip install 'alvh[xarray]'``."""
        return grid_dataset(self)

    def to_frame(self) -> pd.DataFrame:
        """One row per scenario: the axes, each layer's P&L, the book, the count of legs valued on
        a floored input, and the explain terms."""
        reserved = [
            "spot_shock",
            "vol_shift",
            "horizon_days",
            "vix_level",
            "book",
            "floored_legs",
            *(f"explain_{t}" for t in EXPLAIN_TERMS),
        ]
        clash = [name for name in self.layers if name in reserved]
        if clash:
            raise InputError(
                f"layer {clash[0]!r} has the name of a column of the scenario table ({', '.join(reserved)}): rename it"
            )
        values = [
            self.spot_shocks,
            self.vol_shifts,
            self.horizons,
            self.vix_levels if self.vix_levels is not None else [np.nan],
        ]
        frame = pd.DataFrame(
            list(itertools.product(*values)), columns=["spot_shock", "vol_shift", "horizon_days", "vix_level"]
        )
        if self.vix_levels is None:
            frame = frame.drop(columns="vix_level")
        flat = self.pnl.reshape(-1, len(self.layers))
        for i, name in enumerate(self.layers):
            frame[name] = flat[:, i]
        frame["book"] = flat.sum(axis=1)
        frame["floored_legs"] = self.floored_legs.reshape(-1).astype(np.int64)  # as a CSV reads back
        if self.explain is not None:
            terms = self.explain.reshape(-1, len(EXPLAIN_TERMS))
            for i, name in enumerate(EXPLAIN_TERMS):
                frame[f"explain_{name}"] = terms[:, i]
        return frame


def _read_only(array: FloatArray) -> FloatArray:
    array.flags.writeable = False  # worked out once and shared by every reader of the grid
    return array


def _axis(name: str, values: ArrayLike | None, default: list[float]) -> FloatArray:
    try:
        array = np.atleast_1d(np.asarray(default if values is None else values, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a non-empty 1-D list of numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise InputError(f"{name} must be a non-empty 1-D list of numbers")
    _check_axis(name, array, ~np.isfinite(array), "finite")
    # aligned too: an array on a byte buffer (Dask's deserialized arguments) may not be, and the
    # kernel takes only aligned contiguous arrays
    return np.require(array, requirements=["C_CONTIGUOUS", "ALIGNED"])


def _check_axis(name: str, array: FloatArray, bad: NDArray[np.bool_], allowed: str) -> None:
    """Raise naming the first bad entry of an axis, its value and what is allowed."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name}[{i}] = {float(array[i])!r} is not allowed: must be {allowed}")


_Option = TypeVar("_Option", Dynamics, VolShiftScaling)


def _option(kind: type[_Option], name: str, value: object) -> _Option:
    """The option ``value`` as the enum ``kind``, or an error naming ``name`` and the choices."""
    try:
        return kind(value)
    except ValueError:
        raise InputError(f"{name} = {value!r} is not allowed: use {' or '.join(k.value for k in kind)}") from None


def scenario_grid(
    book: Book,
    market: Market,
    *,
    spot_shocks: ArrayLike | None = None,
    vol_shifts: ArrayLike | None = None,
    horizons: ArrayLike | None = None,
    vix_levels: ArrayLike | None = None,
    dynamics: Dynamics | str = Dynamics.STICKY_MONEYNESS,
    vol_shift_scaling: VolShiftScaling | str = VolShiftScaling.PARALLEL,
    spot_vol_link: bool = False,
    explain: bool = False,
    cache: ValuationCache | None = None,
) -> ScenarioGrid:
    """Fully revalue ``book`` on a grid of spot shocks (relative), SPX vol shifts (vol points) and
    horizons (days), optionally with explicit VIX levels instead of the derived VIX.

    Defaults: spot −10 % … +10 % by 2 %, vol −5 … +10 points, horizons 0, 1 and 7 days.
    With ``explain=True`` the book's P&L is also split into Taylor terms (and the residual).
    The legs' kernel inputs are taken from ``cache`` when it holds them (:func:`leg_arrays`).
    A book with no layers has no P&L to show: :class:`InputError`.
    """
    if not book.layers:
        raise InputError(f"book {book.name!r} has no layers: a scenario grid needs at least one layer")
    spots = _axis("spot_shocks", spot_shocks, [round(x, 2) for x in np.arange(-0.10, 0.101, 0.02)])
    _check_axis("spot_shocks", spots, spots <= -1, "> -1 (relative moves: -0.05 is -5 %)")
    vols = _axis("vol_shifts", vol_shifts, [-5.0, 0.0, 5.0, 10.0])
    days = _axis("horizons", horizons, [0.0, 1.0, 7.0])
    _check_axis("horizons", days, days < 0, ">= 0 (calendar days)")
    vix = None if vix_levels is None else _axis("vix_levels", vix_levels, [])
    if vix is not None:
        _check_axis("vix_levels", vix, vix <= 0, "> 0 (index points)")
    dynamics = _option(Dynamics, "dynamics", dynamics)
    scaling = _option(VolShiftScaling, "vol_shift_scaling", vol_shift_scaling)

    pnl, floored, terms = scenario_pnl(
        leg_arrays(book, market, writeable=False, cache=cache),
        len(book.layers),
        market,
        spot_shocks=spots,
        vol_shifts=vols,
        horizons=days,
        vix_levels=vix,
        dynamics=dynamics,
        vol_shift_scaling=scaling,
        spot_vol_link=spot_vol_link,
        explain=explain,
    )
    return ScenarioGrid(
        spot_shocks=spots,
        vol_shifts=vols,
        horizons=days,
        vix_levels=vix,
        layers=[layer.name for layer in book.layers],
        roles=[layer.role.value for layer in book.layers],
        pnl=pnl,
        floored_legs=floored,
        explain=terms,
        settings={
            "dynamics": dynamics.value,
            "vol_shift_scaling": scaling.value,
            "spot_vol_link": spot_vol_link,
            "log_beta": market.link.log_beta,
            "vvol_beta": market.link.vvol_beta,
            "as_of": market.as_of.isoformat(),
        },
    )


def scenario_pnl(
    arrays: dict[str, Any],
    layers: int,
    market: Market,
    *,
    spot_shocks: FloatArray,
    vol_shifts: FloatArray,
    horizons: FloatArray,
    vix_levels: FloatArray | None,
    dynamics: Dynamics,
    vol_shift_scaling: VolShiftScaling,
    spot_vol_link: bool,
    explain: bool,
) -> tuple[FloatArray, NDArray[Any], FloatArray | None]:
    """The scenario engine's numbers for legs given as the kernels take them (``arrays``, of
    :func:`alvh.risk.kernel_inputs.kernel_arrays`, in ``layers`` layers), on axes checked as
    :func:`scenario_grid` checks them: the P&L shape (spot, vol, horizon, VIX level, layer), the
    floored legs shape (spot, vol, horizon, VIX level) and the explain terms (None without
    ``explain``) shape (spot, vol, horizon, VIX level, term). :func:`scenario_grid` labels them; a
    caller holding only the kernel inputs (the stress sizing's hedge units) needs no book."""
    codes, params = market.smile_table
    slices = market.smile_slices(arrays["time_to_expiry"])
    pnl, floored, terms = _core.scenario_pnl(
        arrays,
        layers,
        market.spx.spot,
        market.vix.spot,
        market.link.log_beta,
        codes,
        params,
        K_RANGE,
        slices["first"],
        slices["first_weight"],
        slices["second"],
        slices["second_weight"],
        slices["time"],
        spot_shocks,
        vol_shifts,
        horizons,
        vix_levels if vix_levels is not None else np.empty(0),
        dynamics is Dynamics.STICKY_MONEYNESS,
        vol_shift_scaling is VolShiftScaling.SQRT_TIME,
        spot_vol_link,
        market.link.vvol_beta,
        explain,
    )
    shape = (len(spot_shocks), len(vol_shifts), len(horizons), 1 if vix_levels is None else len(vix_levels))
    return (
        pnl.reshape(*shape, layers),
        floored.reshape(shape),
        None if terms is None else terms.reshape(*shape, len(EXPLAIN_TERMS)),
    )
