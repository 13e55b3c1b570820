"""Book scans on Dask (:mod:`alvh.scale.scan`) on a 2-worker local cluster: the per-layer sums and
the scenario grid equal the single-machine results (bit for bit in one partition, within the
stated rounding bound for any partitioning), the worker count never changes a result, Parquet
and CSV globs and compact tables give the same sums, a worker killed mid-scan changes nothing,
and bad input is a clear error."""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alvh.book.compact import compact_legs
from alvh.data import example_market
from alvh.exceptions import ConfigError, InputError, MissingDependencyError
from alvh.risk.bulk import bulk_book
from alvh.risk.scenarios import scenario_grid
from alvh.risk.valuation import BUCKETS, METRICS, value_book
from alvh.scale.cluster import cluster
from alvh.scale.scan import scan_greeks, scan_grid
from tests.helpers import random_legs

pytest.importorskip("distributed")

MARKET = example_market()
SUMS = [*METRICS, *BUCKETS]
EPS = np.finfo(np.float64).eps
GRID = {"spot_shocks": [-0.1, 0.0, 0.05], "vol_shifts": [-3.0, 0.0, 8.0], "horizons": [0.0, 5.0]}


def legs_frame(n: int, seed: int = 3) -> pd.DataFrame:
    return random_legs(
        MARKET,
        n,
        seed=seed,
        layers=["core", "L1", "L2", "hedge"],
        kind_weights=[0.2, 0.3, 0.2, 0.05, 0.05, 0.1, 0.05, 0.05],
        entry_prices=True,
    )


LEGS = legs_frame(600)


def single_machine(legs: pd.DataFrame) -> Any:
    """The library's valuation of all the legs as one book (every layer custom)."""
    return value_book(bulk_book(legs, name="legs", source="legs"), MARKET)


def test_one_partition_equals_value_book_bit_for_bit(dask_client: Any) -> None:
    got = scan_greeks(LEGS, MARKET, client=dask_client, partition_size=len(LEGS))
    pd.testing.assert_frame_equal(got, single_machine(LEGS).layers[SUMS], check_exact=True)


def within_rounding_bound(got: pd.DataFrame, legs: pd.DataFrame) -> None:
    """``got`` is within the bound the scan's docstring states of the exact sums of the per-leg
    values (:mod:`alvh.scale.scan`): 2·(n·ε·Σ|xᵢ| + ε·|S|) per layer and column."""
    risk = single_machine(legs)
    per_leg = risk.legs
    want = risk.layers[SUMS]
    assert list(got.index) == list(want.index) and list(got.columns) == SUMS
    for layer in want.index:
        mine = per_leg[per_leg["layer"] == layer]
        n = len(mine)
        for column in SUMS:
            # buckets split each leg's SPX vega by maturity
            values = mine["spx_vega" if column in BUCKETS else column].to_numpy(np.float64)
            exact, scale = want.loc[layer, column], np.nansum(np.abs(values))
            bound = 2 * (n * EPS * scale + EPS * abs(exact))
            if np.isnan(exact):
                assert np.isnan(got.loc[layer, column])
            else:
                assert abs(got.loc[layer, column] - exact) <= bound, (layer, column)


@settings(max_examples=8)
@given(cuts=st.lists(st.integers(1, len(LEGS) - 1), max_size=6, unique=True))
def test_any_partitioning_is_within_the_stated_bound(dask_client: Any, cuts: list[int]) -> None:
    import dask.dataframe as dd  # noqa: PLC0415

    bounds = [0, *sorted(cuts), len(LEGS)]
    parts = [LEGS.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    frame = dd.from_delayed([_delayed_frame(p) for p in parts], meta=LEGS.iloc[:0])
    within_rounding_bound(scan_greeks(frame, MARKET, client=dask_client), LEGS)


def _delayed_frame(frame: pd.DataFrame) -> Any:
    from dask import delayed  # noqa: PLC0415

    return delayed(lambda f: f)(frame)


def test_the_worker_count_does_not_change_the_result(dask_client: Any) -> None:
    two = scan_greeks(LEGS, MARKET, client=dask_client, partition_size=70)
    two_grid = scan_grid(LEGS, MARKET, client=dask_client, partition_size=70, explain=True, **GRID)
    with cluster(workers=1) as one_worker:
        one = scan_greeks(LEGS, MARKET, client=one_worker, partition_size=70)
        one_grid = scan_grid(LEGS, MARKET, client=one_worker, partition_size=70, explain=True, **GRID)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    np.testing.assert_array_equal(one_grid.pnl, two_grid.pnl)
    np.testing.assert_array_equal(one_grid.explain, two_grid.explain)
    within_rounding_bound(two, LEGS)


def test_grid_equals_the_single_machine_grid(dask_client: Any) -> None:
    book = bulk_book(LEGS, name="legs", source="legs")
    want = scenario_grid(book, MARKET, explain=True, **GRID)
    whole = scan_grid(LEGS, MARKET, client=dask_client, partition_size=len(LEGS), explain=True, **GRID)
    np.testing.assert_array_equal(whole.pnl, want.pnl)
    np.testing.assert_array_equal(whole.floored_legs, want.floored_legs)
    np.testing.assert_array_equal(whole.explain, want.explain)
    assert whole.layers == want.layers and whole.roles == want.roles and whole.settings == want.settings
    split = scan_grid(LEGS, MARKET, client=dask_client, partition_size=90, explain=True, **GRID)
    assert split.layers == want.layers
    np.testing.assert_array_equal(split.floored_legs, want.floored_legs)
    scale = np.abs(want.pnl).max()
    np.testing.assert_allclose(split.pnl, want.pnl, rtol=0, atol=len(LEGS) * EPS * scale)
    np.testing.assert_array_equal(split.spot_shocks, want.spot_shocks)


def test_parquet_and_csv_globs_equal_the_table(dask_client: Any, tmp_path: Path) -> None:
    parts = [LEGS.iloc[i : i + 200] for i in range(0, len(LEGS), 200)]
    for k, part in enumerate(parts):
        # expiry as dates, start as text: the files hold what users write
        part.to_parquet(tmp_path / f"legs-{k}.parquet", index=False)
        part.to_csv(tmp_path / f"legs-{k}.csv", index=False)
    want = scan_greeks(LEGS, MARKET, client=dask_client, partition_size=200)
    from_parquet = scan_greeks(str(tmp_path / "legs-*.parquet"), MARKET, client=dask_client)
    from_csv = scan_greeks(str(tmp_path / "legs-*.csv"), MARKET, client=dask_client)
    pd.testing.assert_frame_equal(from_parquet, want, check_exact=True)
    pd.testing.assert_frame_equal(from_csv, want, check_exact=True)


def test_a_compact_table_gives_the_same_sums(dask_client: Any) -> None:
    book = bulk_book(LEGS, name="legs", source="legs")
    compact = compact_legs(book.legs, [layer.name for layer in book.layers])
    want = scan_greeks(LEGS, MARKET, client=dask_client, partition_size=150)
    got = scan_greeks(compact, MARKET, client=dask_client, partition_size=150)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_a_worker_killed_mid_scan_changes_nothing(dask_client: Any) -> None:
    legs = legs_frame(60_000, seed=9)
    want = scan_greeks(legs, MARKET, client=dask_client, partition_size=5_000)
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [address for address, tasks in dask_client.processing().items() if tasks]
            if busy:
                pid = dask_client.run(os.getpid, workers=[busy[0]])[busy[0]]
                psutil.Process(pid).kill()
                killed.append(pid)
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        got = scan_greeks(legs, MARKET, client=dask_client, partition_size=5_000)
    finally:
        killer.join()
        dask_client.wait_for_workers(2, timeout=60)
    assert killed, "no worker was busy to kill"
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_an_invalid_leg_is_named_by_partition_and_row(dask_client: Any) -> None:
    bad = LEGS.copy()
    bad.loc[130, "quantity"] = 0.0
    with pytest.raises(ConfigError, match=r"partition 1 row 31\.quantity = 0\.0 is not allowed"):
        scan_greeks(bad, MARKET, client=dask_client, partition_size=100)


@pytest.mark.parametrize(
    ("legs", "size", "error", "match"),
    [
        ("legs.xlsx", 10, InputError, "unknown legs format '.xlsx'"),
        (LEGS.iloc[:0], 10, InputError, "no legs to value"),
        (LEGS, 0, InputError, "partition_size = 0 is not allowed"),
        (42, 10, InputError, "legs: a pandas or dask DataFrame"),
    ],
    ids=["format", "empty", "partition size", "type"],
)
def test_bad_input_is_a_clear_error(dask_client: Any, legs: Any, size: int, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        scan_greeks(legs, MARKET, client=dask_client, partition_size=size)


def test_without_dask_a_scan_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    with pytest.raises(
        MissingDependencyError,
        match=r"a book scan \(it runs on Dask\) needs distributed \(pip install 'alvh\[dask\]'\)",
    ):
        scan_greeks(LEGS, MARKET)


def test_a_compact_file_is_validated_like_any_legs(dask_client: Any, tmp_path: Path) -> None:
    """Only a compact pandas table (made by compact_legs, from validated legs) skips validation: a
    compact file gives the same sums, but its legs are checked — a right on a VX future is an error."""
    book = bulk_book(LEGS, name="legs", source="legs")
    compact = compact_legs(book.legs, [layer.name for layer in book.layers])
    compact.to_parquet(tmp_path / "compact.parquet")
    want = scan_greeks(compact, MARKET, client=dask_client, partition_size=len(compact))
    got = scan_greeks(str(tmp_path / "compact.parquet"), MARKET, client=dask_client)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    future = int(np.flatnonzero((compact["instrument"] == "VX").to_numpy())[0])
    compact.loc[future, "right"] = np.int8(1)
    compact.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ConfigError, match=rf"partition 0 row {future + 1}\.right = 'call' is not allowed"):
        scan_greeks(str(tmp_path / "bad.parquet"), MARKET, client=dask_client)
