"""Sweep plans: axes as dotted paths, nested tables and linked tables; every value validated
against BacktestConfig before any run, errors naming the axis; paths relative to the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import alvh.data
from alvh.backtest import BacktestConfig, load_sweep, sweep_plan
from alvh.exceptions import ConfigError


def write(folder: Path, text: str, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_one_run_per_combination_first_axis_slowest() -> None:
    plan = sweep_plan(
        BacktestConfig(start="2015-08-10"),  # type: ignore[arg-type]
        {"ladder.short_delta": [0.10, 0.15], "costs.commission": [0.5, 1.0, 2.0]},
    )
    assert plan.columns == ("ladder.short_delta", "costs.commission")
    assert [(r.settings["ladder.short_delta"], r.settings["costs.commission"]) for r in plan.runs] == [
        (0.10, 0.5), (0.10, 1.0), (0.10, 2.0), (0.15, 0.5), (0.15, 1.0), (0.15, 2.0),
    ]  # fmt: skip
    run = plan.runs[4]
    assert (run.number, run.config.ladder.short_delta, run.config.costs.commission) == (4, 0.15, 1.0)
    assert run.config.start == dt.date(2015, 8, 10) and run.config.ladder.units == 10  # the base's, the defaults
    assert plan.plot_axes == ("ladder.short_delta", "costs.commission")


def test_a_rule_override_axis_reaches_the_strategy_rules() -> None:
    plan = sweep_plan(BacktestConfig(), {"overrides.alvh.R-STRESS.loss_limit": [0.6, 0.9]})
    limits = [run.config.strategy_rules()["alvh"].stress.loss_limit for run in plan.runs]
    assert limits == [0.6, 0.9]
    assert plan.plot_axes == ("overrides.alvh.R-STRESS.loss_limit", "strategy")  # one axis: strategies on y


def test_a_linked_axis_sets_its_paths_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [axes]
        ladder.units = [5, 10]
        [[axes.period]]
        start = 2015-01-02
        end = 2015-12-31
        [[axes.period]]
        start = 2016-01-04
        end = 2016-12-30
        """,
    )
    plan = load_sweep(path)
    assert plan.columns == ("ladder.units", "start", "end")
    assert [(r.config.ladder.units, r.config.start, r.config.end) for r in plan.runs] == [
        (5, dt.date(2015, 1, 2), dt.date(2015, 12, 31)),
        (5, dt.date(2016, 1, 4), dt.date(2016, 12, 30)),
        (10, dt.date(2015, 1, 2), dt.date(2015, 12, 31)),
        (10, dt.date(2016, 1, 4), dt.date(2016, 12, 30)),
    ]


def test_files_are_read_from_the_sweep_file_folder(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text("capital = 500000.0\n[ladder]\nunits = 3\n", encoding="utf-8")
    path = write(
        tmp_path,
        """
        config = "base.toml"
        data = "closes.csv"
        [base]
        start = 2015-08-10
        [base.costs]
        commission = 0.25
        [axes]
        "ladder.wing_width" = [25.0, 50.0]
        [plot]
        metric = "total_pnl"
        strategy = "naked"
        """,
    )
    plan = load_sweep(path)
    run = plan.runs[0]
    assert (run.config.capital, run.config.ladder.units, run.config.costs.commission) == (500000.0, 3, 0.25)
    assert run.data == tmp_path / "closes.csv"
    assert set(plan.inputs) == {path, tmp_path / "base.toml", tmp_path / "closes.csv"}
    assert (plan.plot.metric, plan.plot.strategy) == ("total_pnl", "naked")


def test_a_data_axis_names_files_beside_the_sweep_file(tmp_path: Path) -> None:
    plan = load_sweep(write(tmp_path, '[axes]\ndata = ["a.csv", "b.csv"]\n'))
    assert [run.data for run in plan.runs] == [tmp_path / "a.csv", tmp_path / "b.csv"]
    assert all(run.config == BacktestConfig() for run in plan.runs)


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ({"ladder.short_dleta": [0.1]}, "short_dleta': ladder.short_dleta = 0.1: unknown field; allowed: short_delta"),
        ({"ladders.units": [5]}, "axis 'ladders.units': ladders: unknown field; allowed: start, end"),
        ({"ladder.short_delta": [0.1, 0.7]}, "short_delta': ladder.short_delta = 0.7: Input should be less than 0.5"),
        ({"capital.amount": [1.0]}, "axis 'capital.amount': capital is a single value, not a table"),
        ({"overrides.alvh.R-NOPE.x": [1]}, "axis 'overrides.alvh.R-NOPE.x'"),
        ({"overrides.alvh.R-STRESS.loss_limt": [0.5]}, "axis 'overrides.alvh.R-STRESS.loss_limt'"),
        ({"ladder.units": []}, "axis 'ladder.units': give a non-empty list of values"),
        ({"period": [{"start": dt.date(2015, 1, 2)}, {"end": dt.date(2015, 3, 2)}]}, "'period': every table must set"),
        ({}, "no axes"),
    ],
)  # fmt: skip
def test_a_bad_axis_is_named(axes: dict[str, list[object]], message: str) -> None:
    with pytest.raises(ConfigError, match=r"^sweep: ") as error:
        sweep_plan(BacktestConfig(), axes)
    assert message in str(error.value)


def test_a_refused_combination_is_named_by_its_values() -> None:
    refused = r"run 1 \(start = 2015-06-01, end = 2015-05-01\): start = 2015-06-01 is after"
    with pytest.raises(ConfigError, match=refused):
        sweep_plan(
            BacktestConfig(),
            {"start": [dt.date(2015, 4, 1), dt.date(2015, 6, 1)], "end": [dt.date(2015, 5, 1)]},
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[axis]\nladder.units = [5]\n", "axis: unknown field; allowed: config, data, base, axes, plot"),
        ("[axes]\nladder.units = 5\n", "axes.ladder.units"),
        ('[axes]\nladder.units = [5]\n[plot]\nx = "ladder.wing_width"\n', "x = 'ladder.wing_width' is not an axis"),
        ('[axes]\nladder.units = [5]\n[plot]\nstrategy = "hedged"\n', "plot.strategy"),
        ("[base]\nladder.unit = 5\n[axes]\nladder.units = [5]\n", "base: ladder.unit = 5: unknown field"),
    ],
)
def test_a_bad_sweep_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"^{path}") as error:
        load_sweep(path)
    assert message in str(error.value)


def test_the_bundled_example_loads() -> None:
    plan = load_sweep(alvh.data.example_sweep_path())
    assert len(plan.runs) == 3 * 3 * 4
    assert plan.columns == ("ladder.short_delta", "overrides.alvh.R-STRESS.loss_limit", "start", "end")
    last = plan.runs[-1].config
    assert (last.ladder.short_delta, last.strategy_rules()["alvh"].stress.loss_limit) == (0.15, 1.0)
    assert (last.start, last.end) == (dt.date(2018, 1, 2), dt.date(2018, 12, 31))
    assert plan.plot_axes == ("ladder.short_delta", "overrides.alvh.R-STRESS.loss_limit")
