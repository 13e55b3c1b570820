"""ScenarioGrid.to_xarray: named dimensions with units, the same numbers as to_frame, the hedge
offset labelled like the P&L, and a clear error without xarray."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.data import example_book, example_market
from alvh.exceptions import MissingDependencyError
from alvh.risk import scenario_grid
from alvh.risk.labelled import AXIS_ATTRS
from alvh.risk.scenarios import ScenarioGrid

BOOK, MARKET = example_book(), example_market()
AXES = {"spot_shocks": [-0.06, 0.0, 0.04], "vol_shifts": [-4.0, 0.0, 8.0], "horizons": [0.0, 3.0]}


def frame_of(dataset: Any) -> pd.DataFrame:
    """The Dataset back as to_frame's table, through xarray's own conversions: one row per cell
    in dimension order, the layers as columns in the Dataset's layer order."""
    layers = dataset["pnl"].to_series().unstack("layer")[list(dataset["layer"].values)]
    parts = [layers, dataset[["book", "floored_legs"]].to_dataframe()]
    if "explain" in dataset:
        terms = dataset["explain"].to_series().unstack("term")[list(dataset["term"].values)]
        parts.append(terms.add_prefix("explain_"))
    frame = pd.concat(parts, axis=1).reset_index()
    frame.columns.name = None
    return frame.astype({"floored_legs": np.int64})


@pytest.mark.parametrize(("vix_levels", "explain"), [(None, True), ([12.0, 25.0], False)])
def test_to_xarray_round_trips_to_to_frame(vix_levels: list[float] | None, explain: bool) -> None:
    pytest.importorskip("xarray")
    grid = scenario_grid(BOOK, MARKET, **AXES, vix_levels=vix_levels, explain=explain, spot_vol_link=True)
    pd.testing.assert_frame_equal(frame_of(grid.to_xarray()), grid.to_frame(), check_exact=True)


def test_dimensions_are_named_with_units_and_vix_only_when_explicit() -> None:
    pytest.importorskip("xarray")
    derived = scenario_grid(BOOK, MARKET, **AXES).to_xarray()
    assert derived["pnl"].dims == ("spot_shock", "vol_shift", "horizon_days", "layer")
    assert derived["book"].dims == derived["hedge_offset"].dims == ("spot_shock", "vol_shift", "horizon_days")
    assert "vix_level" not in derived.dims and "explain" not in derived
    explicit = scenario_grid(BOOK, MARKET, **AXES, vix_levels=[15.0, 30.0]).to_xarray()
    assert explicit["pnl"].dims == ("spot_shock", "vol_shift", "horizon_days", "vix_level", "layer")
    assert explicit["vix_level"].values.tolist() == [15.0, 30.0]
    for name, attrs in AXIS_ATTRS.items():
        assert explicit[name].attrs == attrs
    assert derived["spot_shock"].attrs["units"] == "1" and derived["horizon_days"].attrs["units"] == "days"
    assert {derived[v].attrs["units"] for v in ("pnl", "book")} == {"$"}
    assert derived["layer"].values.tolist() == [layer.name for layer in BOOK.layers]
    assert derived["role"].values.tolist() == [layer.role.value for layer in BOOK.layers]
    assert derived.attrs["dynamics"] == "sticky_moneyness" and derived.attrs["spot_vol_link"] == 0


def test_hedge_offset_and_floored_legs_are_labelled_like_the_pnl() -> None:
    pytest.importorskip("xarray")
    grid = scenario_grid(BOOK, MARKET, **{**AXES, "vol_shifts": [-30.0, 0.0]}, spot_vol_link=True)
    dataset = grid.to_xarray()
    assert grid.floored_scenarios > 0  # a -30 point shift floors vols: the count must travel
    for i, spot in enumerate(grid.spot_shocks):
        for k, days in enumerate(grid.horizons):
            cell = dataset.sel(spot_shock=spot, vol_shift=-30.0, horizon_days=days)
            np.testing.assert_array_equal(cell["hedge_offset"].item(), grid.hedge_offset[i, 0, k, 0])
            assert cell["floored_legs"].item() == grid.floored_legs[i, 0, k, 0]
            assert cell["pnl"].sel(layer="L1").item() == grid.layer("L1")[i, 0, k, 0]
    assert np.isnan(dataset["hedge_offset"]).any() and np.isfinite(dataset["hedge_offset"]).any()


def test_the_dataset_writes_to_netcdf_and_reads_back_identical(tmp_path: Path) -> None:
    xr = pytest.importorskip("xarray")
    dataset = scenario_grid(BOOK, MARKET, **AXES, explain=True, spot_vol_link=True).to_xarray()
    dataset.to_netcdf(tmp_path / "grid.nc", engine="scipy")
    assert xr.load_dataset(tmp_path / "grid.nc", engine="scipy").identical(dataset)


def test_without_xarray_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    grid = ScenarioGrid(
        spot_shocks=np.array([0.0]),
        vol_shifts=np.array([0.0]),
        horizons=np.array([0.0]),
        vix_levels=None,
        layers=["core"],
        roles=["core"],
        pnl=np.zeros((1, 1, 1, 1, 1)),
        floored_legs=np.zeros((1, 1, 1, 1), dtype=np.uint32),
    )
    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'alvh\[xarray\]'") as caught:
        grid.to_xarray()
    assert isinstance(caught.value, ImportError)
