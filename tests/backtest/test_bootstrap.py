"""The circular block bootstrap: resamples built by hand, exact cases, determinism and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alvh.backtest.bootstrap import block_bootstrap, resample_totals
from alvh.exceptions import InputError

VALUES = np.array([1.0, 2.0, 4.0, 8.0, 16.0])


def test_resamples_wrap_and_are_cut_to_the_series_length() -> None:
    # blocks of 2 starting at days 0, 3, 4: days 0 1 | 3 4 | 4 (0 cut) -> 1 + 2 + 8 + 16 + 16
    # blocks starting at 4, 1, 2: days 4 0 | 1 2 | 2 (3 cut) -> 16 + 1 + 2 + 4 + 4
    totals = resample_totals(VALUES, 2, np.array([[0, 3, 4], [4, 1, 2]]))
    np.testing.assert_array_equal(totals, [43.0, 27.0])


def test_every_day_is_equally_likely_so_resamples_average_to_the_total() -> None:
    starts = np.array(list(itertools.product(range(5), repeat=3)))  # every resample of 3 blocks of 2
    assert resample_totals(VALUES, 2, starts).mean() == pytest.approx(VALUES.sum())


def test_one_block_as_long_as_the_series_only_rotates_it() -> None:
    interval = block_bootstrap(VALUES, block=5, resamples=50)
    assert interval.total == interval.low == interval.high == 31.0


def test_interval_of_a_hand_computed_case() -> None:
    # single days of [0, 1], two a resample: totals 0, 1, 2 with chances 1/4, 1/2, 1/4, so the
    # 5 % and 95 % quantiles of 2,000 draws are 0 and 2
    interval = block_bootstrap(np.array([0.0, 1.0]), block=1, resamples=2_000, level=0.9)
    assert (interval.low, interval.total, interval.high) == (0.0, 1.0, 2.0)
    assert (interval.level, interval.block, interval.resamples) == (0.9, 1, 2_000)


def test_seeded_and_deterministic() -> None:
    values = np.random.default_rng(1).normal(size=300)
    first, again = block_bootstrap(values), block_bootstrap(values)
    assert first == again
    assert first.low < first.total < first.high
    assert block_bootstrap(values, seed=2) != first


@pytest.mark.parametrize(
    ("values", "options", "message"),
    [
        ([1.0], {}, "at least two finite daily values"),
        ([1.0, float("nan")], {}, "at least two finite daily values"),
        ([1.0, 2.0], {"block": 3}, "block = 3: must be between 1 and the number of days"),
        ([1.0, 2.0], {"block": 1, "resamples": 1}, "resamples = 1"),
        ([1.0, 2.0], {"block": 1, "level": 1.0}, "level = 1.0"),
    ],
)
def test_bad_input_is_named(values: list[float], options: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        block_bootstrap(np.array(values), **options)  # type: ignore[arg-type]
