"""The risk report (:func:`alvh.app.report.risk_report`): its dict is strict JSON and the journal's
format, its layers add up to its totals, its signals, grid and stresses are those of the library
functions it is built from, and the signal rules are skipped without a history.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import alvh.data
from alvh.app.journal import REQUIRED_KEYS, Journal
from alvh.app.report import LAYER_COLUMNS, Report, risk_report, signals_from_history
from alvh.book import Book, LayerSpec
from alvh.market.events import load_events
from alvh.method.rules import RuleStatus
from alvh.method.signals import signal_snapshot
from alvh.risk.scenarios import scenario_grid
from alvh.risk.stresses import STRESS_PRESETS, stress_test
from alvh.risk.valuation import OWN_UNIT_METRICS, value_book

BOOK = alvh.data.example_book()
MARKET = alvh.data.example_market()
HISTORY = alvh.data.example_history()
EVENTS = load_events(alvh.data.example_book_path().parent / "events.toml")
SIGNAL_RULES = ("R-RSI-REDUCE", "R-L3", "R-SKEW-ADD", "R-MACD-LADDER", "R-MACD-TIGHTEN", "R-DELAYER")
METRIC_COLUMNS = [c for c in LAYER_COLUMNS if c != "role"]
SUMMED = [c for c in METRIC_COLUMNS if c not in OWN_UNIT_METRICS]
"""The columns with a book total (the own-unit Greeks of SPX and VIX legs do not add)."""


@pytest.fixture(scope="module")
def report() -> Report:
    return risk_report(BOOK, MARKET, history=HISTORY, events=EVENTS)


@pytest.fixture(scope="module")
def bare() -> Report:
    """Without history and events."""
    return risk_report(BOOK, MARKET)


@pytest.fixture(scope="module")
def data(report: Report) -> Any:
    return json.loads(json.dumps(report.to_dict(), allow_nan=False))


def test_to_dict_is_strict_json(report: Report, bare: Report) -> None:
    for r in (report, bare):
        text = json.dumps(r.to_dict(), allow_nan=False)  # raises on NaN, inf or a non-JSON type
        assert "NaN" not in text and "Infinity" not in text


def test_to_dict_keys(data: dict[str, Any]) -> None:
    assert set(REQUIRED_KEYS) <= set(data)
    assert {"signals", "scenarios", "stresses", "next_event", "greeks"} <= set(data)
    assert data["book"] == BOOK.name
    assert data["as_of"] == MARKET.as_of.isoformat()
    assert data["market"]["spx"] == MARKET.spx.spot and data["market"]["vix"] == MARKET.vix.spot
    assert [f["expiry"] for f in data["market"]["vix_futures"]] == [f.expiry.isoformat() for f in MARKET.vix.futures]
    assert data["next_event"] == {"date": "2026-12-09", "kind": "FOMC"}


def test_layers_sum_to_the_total(data: dict[str, Any]) -> None:
    assert [layer["layer"] for layer in data["layers"]] == [layer.name for layer in BOOK.layers]
    assert [layer["role"] for layer in data["layers"]] == [layer.role.value for layer in BOOK.layers]
    for column in SUMMED:
        total = data["total"][column]
        summed = math.fsum(layer[column] for layer in data["layers"])
        assert summed == pytest.approx(total, rel=1e-12, abs=1e-9), column
    assert data["total"]["legs"] == len(BOOK.legs)


def test_totals_equal_value_book(data: dict[str, Any]) -> None:
    risk = value_book(BOOK, MARKET)
    for column in METRIC_COLUMNS:
        if column in OWN_UNIT_METRICS:  # each leg's own units: no book total (null)
            assert data["total"][column] is None, column
            continue
        expected = (
            risk.total["spx_gamma"] * MARKET.spx.spot**2 / 100 if column == "spx_dollar_gamma" else risk.total[column]
        )
        assert data["total"][column] == pytest.approx(float(expected), rel=1e-12, abs=1e-9), column
    assert data["total"]["condor_units"] == risk.core_units
    assert data["total"]["delta_per_condor"] == pytest.approx(risk.delta_per_condor, rel=1e-12)
    assert data["total"]["hedge_vega_share"] == pytest.approx(risk.hedge_vega_share, rel=1e-12)


def test_layers_table_ends_with_the_book_total(report: Report) -> None:
    table = report.layers
    assert list(table.columns) == LAYER_COLUMNS
    assert list(table.index) == [*(("layer", layer.name) for layer in BOOK.layers), ("total", "book")]
    body = table.iloc[:-1][SUMMED].astype(float)
    np.testing.assert_allclose(
        table.iloc[-1][SUMMED].astype(float).to_numpy(), body.sum().to_numpy(), rtol=1e-12, atol=1e-9
    )
    assert table.iloc[-1][[c for c in METRIC_COLUMNS if c not in SUMMED]].isna().all()
    np.testing.assert_allclose(
        table["spx_dollar_gamma"].to_numpy(float), table["spx_gamma"].to_numpy(float) * MARKET.spx.spot**2 / 100
    )


def test_a_layer_named_like_a_total_does_not_clash() -> None:
    renamed = Book(
        BOOK.name,
        [LayerSpec("book" if x.name == "L3" else x.name, x.role) for x in BOOK.layers],
        BOOK.legs.assign(layer=BOOK.legs["layer"].replace({"L3": "book"})),
    )
    report = risk_report(renamed, MARKET)
    table = report.layers
    assert table.loc[("layer", "book"), "spx_vega"] == pytest.approx(
        value_book(BOOK, MARKET).layers.loc["L3", "spx_vega"]
    )
    assert table.loc[("total", "book"), "spx_vega"] == pytest.approx(value_book(BOOK, MARKET).total["spx_vega"])
    assert [row["layer"] for row in report.to_dict()["layers"]] == ["core", "L1", "L2", "book"]


def test_journal_accepts_the_report(data: dict[str, Any], tmp_path: Path) -> None:
    with Journal(tmp_path / "risk.db") as journal:
        report_id = journal.append(data)
        assert journal.get(report_id) == data
        trend = journal.history()
    assert len(trend) == 1
    row = trend.iloc[0]
    assert row["book"] == BOOK.name
    assert row["spx_vega"] == pytest.approx(data["total"]["spx_vega"], rel=1e-12)
    assert row["breaches"] == sum(r["status"] == "breach" for r in data["rules"])
    assert row["actions"] == len(data["actions"])


def test_signals_from_the_history_match_signal_snapshot(report: Report, data: dict[str, Any]) -> None:
    day = pd.Timestamp(MARKET.as_of.date())
    expected = signal_snapshot(
        spx_closes=HISTORY["spx"],
        vix_closes=HISTORY["vix"],
        front_future_closes=HISTORY["vx1"],
        ad_line=HISTORY["ad_line"],
        as_of=day,
    )
    assert report.signals is not None
    assert report.signals.to_dict() == expected.to_dict()
    assert signals_from_history(HISTORY, day).to_dict() == expected.to_dict()
    assert data["signals"] == json.loads(json.dumps(expected.to_dict(), allow_nan=False))
    assert data["signals"]["date"].startswith("2026-11-20")


def test_signals_of_another_day(report: Report) -> None:
    """``as_of`` picks the day: the report takes the market's, not the history's last line."""
    earlier = HISTORY.index[-10]
    signals = signals_from_history(HISTORY, earlier)
    assert signals.date == earlier
    assert report.signals is not None and signals.to_dict() != report.signals.to_dict()


def test_signal_rules_need_a_history(report: Report, bare: Report) -> None:
    assert bare.signals is None and bare.to_dict()["signals"] is None
    without = {r.id: r for r in bare.decision.rules}
    with_history = {r.id: r for r in report.decision.rules}
    for rule_id in SIGNAL_RULES:
        assert without[rule_id].status is RuleStatus.SKIPPED, rule_id
        assert "signals" in without[rule_id].message
        assert with_history[rule_id].status is not RuleStatus.SKIPPED, rule_id
    # the book's own rules do not depend on the history
    for rule_id in ("R-DELTA", "R-HEDGE-VEGA", "R-THETA", "R-DTE"):
        assert without[rule_id].status is with_history[rule_id].status
        assert without[rule_id].value == with_history[rule_id].value


def test_stresses_cover_every_preset(report: Report, data: dict[str, Any]) -> None:
    assert [s.preset.name for s in report.stresses] == list(STRESS_PRESETS)
    assert [s["preset"] for s in data["stresses"]] == list(STRESS_PRESETS)
    for stress, entry in zip(report.stresses, data["stresses"], strict=True):
        expected = stress_test(BOOK, MARKET, stress.preset.name)
        assert stress.book == expected.book
        assert stress.vix_after == expected.vix_after
        pd.testing.assert_series_equal(stress.layers, expected.layers)
        assert stress.hedge_offset == pytest.approx(expected.hedge_offset, rel=0, nan_ok=True)
        assert entry["book"] == expected.book
        assert entry["layers"] == {str(k): float(v) for k, v in expected.layers.items()}
        assert entry["spx_move"] == STRESS_PRESETS[stress.preset.name].spx_move
        assert sum(entry["layers"].values()) == pytest.approx(entry["book"], rel=1e-12)


def test_stress_table(report: Report) -> None:
    table = report.stress_table
    assert list(table.index) == list(STRESS_PRESETS)
    layers = [("layer", layer.name) for layer in BOOK.layers]
    assert list(table.columns) == [
        ("stress", "spx_move"),
        ("stress", "vix_after"),
        *layers,
        ("book", "pnl"),
        ("book", "hedge_offset"),
    ]
    for stress in report.stresses:
        row = table.loc[stress.preset.name]
        assert row[("book", "pnl")] == stress.book
        assert row[("stress", "vix_after")] == stress.vix_after
        assert row[layers].sum() == pytest.approx(stress.book, rel=1e-12)


def test_grid_is_the_default_scenario_grid(report: Report, data: dict[str, Any]) -> None:
    expected = scenario_grid(BOOK, MARKET, spot_vol_link=True)
    np.testing.assert_array_equal(report.grid.pnl, expected.pnl)
    assert data["scenarios"]["spot_shocks"] == expected.spot_shocks.tolist()
    assert data["scenarios"]["vol_shifts"] == expected.vol_shifts.tolist()
    assert data["scenarios"]["horizons"] == expected.horizons.tolist()
    assert data["scenarios"]["worst"] == expected.worst
    assert data["scenarios"]["dynamics"] == "sticky_moneyness"


def test_grid_axes_and_dynamics_are_passed_on() -> None:
    small = risk_report(
        BOOK, MARKET, spot_shocks=[-0.05, 0.05], vol_shifts=[0.0], horizons=[0, 1], dynamics="sticky_strike"
    )
    expected = scenario_grid(
        BOOK,
        MARKET,
        spot_shocks=[-0.05, 0.05],
        vol_shifts=[0.0],
        horizons=[0, 1],
        dynamics="sticky_strike",
        spot_vol_link=True,
    )
    np.testing.assert_array_equal(small.grid.pnl, expected.pnl)
    assert small.to_dict()["scenarios"]["dynamics"] == "sticky_strike"


def test_rules_and_actions_are_the_decisions(report: Report, data: dict[str, Any]) -> None:
    assert data["rules"] == json.loads(json.dumps([r.to_dict() for r in report.decision.rules]))
    assert [r["id"] for r in data["rules"]] == [r.id for r in report.decision.rules]
    assert [a["type"] for a in data["actions"]] == [a.type.value for a in report.decision.actions]


@pytest.mark.parametrize(("last", "word"), [(301.0, "rising"), (299.0, "not rising")])
def test_cpi_readings_reach_r_macd_tighten(last: float, word: str) -> None:
    history = HISTORY.assign(cpi=np.nan)
    history.iloc[-40, history.columns.get_loc("cpi")] = 300.0
    history.iloc[-10, history.columns.get_loc("cpi")] = last
    report = risk_report(BOOK, MARKET, history=history)
    rule = next(r for r in report.decision.rules if r.id == "R-MACD-TIGHTEN")
    assert f"CPI/PPI {word}" in rule.message


def test_the_report_grid_runs_with_the_spot_vol_link(bare: Report) -> None:
    """A trader reads the report's grid with vols and VIX moving with spot: the VIX hedges gain
    under a spot drop alone (the link), instead of showing flat."""
    assert bare.grid.settings["spot_vol_link"] is True
    drop, flat = list(bare.grid.spot_shocks).index(-0.1), list(bare.grid.spot_shocks).index(0.0)
    no_shift = list(bare.grid.vol_shifts).index(0.0)
    assert bare.grid.layer("L1")[drop, no_shift, 0, 0] > bare.grid.layer("L1")[flat, no_shift, 0, 0]


def test_repr_is_a_few_lines_with_the_key_numbers(bare: Report) -> None:
    """Not the dataclass repr, which dumps the decision, the market and the grid's arrays."""
    assert repr(bare).splitlines() == [
        "Report 'Example ALVH book' at 2026-11-20 16:00: SPX 5,900.00, VIX 16.00",
        "  SPX delta -118 shares (-0.039 per condor), SPX vega -3,631 $/vol pt, theta +2,381 $/day",
        "  1 rule in breach (R-STRESS); 1 rule in warning (R-VEGA-PER-SPREAD)",
        "  1 action: ADD_VEGA_HEDGE",
        "  worst grid cell -133,583 $ at spot +10 %, vol -5 vol pts, 7 days",
        "  worst stress 2020-03-16: book -115,695 $",
    ]
