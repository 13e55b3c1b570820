"""The experiment as Markdown (paste-ready for the README) and as a CSV of every figure, on the
synthetic experiment."""

from __future__ import annotations

import dataclasses

import pytest

from alvh.backtest.experiment import BASE, Setting
from alvh.backtest.experiment_report import experiment_figures, experiment_markdown, experiment_tables, format_figure
from alvh.backtest.experiment_tables import FIGURES
from tests.backtest.experiment_cases import synthetic_experiment

SETTINGS = (BASE, Setting("costs x2", cost_factor=2.0))


def test_markdown_states_the_settings_and_holds_every_figure() -> None:
    text = experiment_markdown(experiment_tables(synthetic_experiment(SETTINGS)))
    lines = text.splitlines()
    assert lines[0] == "### The experiment (model-priced)"
    assert "2015-08-20 to 2015-08-26 (5 trading days), **model-priced**" in text
    assert "VIX futures from the model curve (anchor premium 3 VIX points)" in text
    assert "commission $1 a contract" in text and "Produced by `alvh experiment`" in text
    assert "| Figure | naked | static | hedged |" in lines
    for _, label, _ in FIGURES:
        assert sum(line.startswith(f"| {label} |") for line in lines) == 1, label
    assert "| ES 5 % reduction per $ of premium + costs | — | — | 1.0390 |" in lines
    assert "| Hedge trading costs $ | 0 | 0 | 70 |" in lines
    assert "Best by the stated criterion" in text and "**hedged**" in text
    assert "5-day blocks, 2,000 resamples" in text  # a run shorter than 10 days: one block of it all
    assert "| hedged | -670 (280) | -670 (280) |" in lines  # total (vs naked) per setting
    assert lines.count("| Variant | base | costs x2 |") == 2  # total P&L, ES reduction per $
    assert "| hedged | 1.0390 | 1.0390 |" in lines and "| naked | — | — |" in lines
    tables = [line for line in lines if line.startswith("|---|")]
    assert len(tables) == 5  # the figures, the bootstrap, the periods, two of the settings


def test_csv_holds_every_figure_once() -> None:
    tables = experiment_tables(synthetic_experiment(SETTINGS))
    figures = experiment_figures(tables)
    assert list(figures.columns) == ["table", "setting", "variant", "figure", "value"]
    keys = figures[["table", "setting", "variant", "figure"]]
    assert not keys.duplicated().any()
    counts = figures["table"].value_counts().to_dict()
    assert counts == {
        "figures": len(FIGURES) * 3,
        "bootstrap": 2 * 3,
        "periods": 3 * 4,
        "settings": 2 * 3 * 4,
        "best": 1,
    }
    cost = figures.query("table == 'figures' and variant == 'hedged' and figure == 'hedge_costs'")["value"]
    assert float(cost.iloc[0]) == pytest.approx(70.0)
    doubled = figures.query("table == 'settings' and setting == 'costs x2' and variant == 'hedged'")
    assert set(doubled["figure"]) == {"total_pnl", "vs_naked", "es_5pct", "risk_reduction_per_dollar"}


def test_figures_formatted_by_kind() -> None:
    assert format_figure(-1234.6) == "-1,235"
    assert format_figure(-0.00263, "ratio") == "-0.0026"
    assert format_figure(float("nan")) == "—"
    assert format_figure("text") == "text"


def test_markdown_says_when_quoted_futures_replace_the_model() -> None:
    experiment = dataclasses.replace(synthetic_experiment(), quoted_futures=("vx1", "vx2"))
    text = experiment_markdown(experiment_tables(experiment))
    assert "VIX futures quoted (vx1, vx2 of the data) where listed, the model curve beyond" in text
