"""Plots (issue 6): every plot function writes a non-empty PNG of the documented pixel size from the
example book and market (small grids, to stay fast), bad arguments raise :class:`InputError`, and
neither ``import alvh`` nor plotting touches matplotlib's global state (pyplot, the backend).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.app import plots, timelines
from alvh.app.figures import png_bytes
from alvh.app.journal import Journal
from alvh.data import example_book, example_market
from alvh.exceptions import InputError
from alvh.risk.scenarios import ScenarioGrid, scenario_grid
from alvh.risk.valuation import value_book
from tests.app.test_journal import make_report
from tests.helpers import assert_png

BOOK = example_book()
MARKET = example_market()
WIDTH, HEIGHT = plots.FIGURE_SIZE_PX


@pytest.fixture(scope="module")
def grid() -> ScenarioGrid:
    return scenario_grid(BOOK, MARKET, spot_shocks=[-0.05, 0.0, 0.05], vol_shifts=[-2.0, 0.0, 2.0], horizons=[0, 7])


def test_figure_size() -> None:
    assert (WIDTH, HEIGHT) == (1000, 600)


def test_scenario_heatmap_book_and_layer(grid: ScenarioGrid, tmp_path: Path) -> None:
    book = plots.scenario_heatmap(grid, tmp_path / "book.png")
    layer = plots.scenario_heatmap(grid, tmp_path / "l1.png", horizon=1, layer="L1")
    assert (book, layer) == (tmp_path / "book.png", tmp_path / "l1.png")
    assert_png(book)
    assert_png(layer)
    assert book.read_bytes() != layer.read_bytes()


def test_scenario_heatmap_large_grid_without_annotations(tmp_path: Path) -> None:
    big = scenario_grid(
        BOOK, MARKET, spot_shocks=np.linspace(-0.1, 0.1, 41), vol_shifts=np.arange(-5, 11), horizons=[1]
    )
    assert_png(plots.scenario_heatmap(big, tmp_path / "big.png"))


def test_scenario_heatmap_with_vix_levels(tmp_path: Path) -> None:
    vix = scenario_grid(
        BOOK, MARKET, spot_shocks=[-0.05, 0.0], vol_shifts=[0.0, 5.0], horizons=[0], vix_levels=[16, 30]
    )
    assert_png(plots.scenario_heatmap(vix, tmp_path / "vix.png", vix=1))
    with pytest.raises(InputError, match="vix = 2 is out of range"):
        plots.scenario_heatmap(vix, tmp_path / "bad.png", vix=2)


def test_scenario_heatmaps(grid: ScenarioGrid, tmp_path: Path) -> None:
    paths = plots.scenario_heatmaps(grid, tmp_path / "maps", horizon=1)
    assert [p.name for p in paths] == [
        "scenario_pnl_book_7d.png",
        *(f"scenario_pnl_layer_{name}_7d.png" for name in grid.layers),
    ]
    for path in paths:
        assert_png(path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"layer": "L9"}, "no layer 'L9'; layers: core, L1, L2, L3"),
        ({"horizon": 2}, r"horizon = 2 is out of range: grid.horizons has 2 entries \(indices 0 to 1\)"),
        ({"horizon": -1}, "horizon = -1 is out of range"),
        ({"horizon": 1.0}, "horizon = 1.0 is out of range"),
        ({"horizon": True}, "horizon = True is out of range"),
        ({"vix": 1}, "vix = 1 is out of range"),
    ],
)
def test_scenario_heatmap_bad_arguments(
    grid: ScenarioGrid, tmp_path: Path, kwargs: dict[str, object], match: str
) -> None:
    path = tmp_path / "bad.png"
    with pytest.raises(InputError, match=match):
        plots.scenario_heatmap(grid, path, **kwargs)  # type: ignore[arg-type]
    assert not path.exists()


def test_scenario_heatmaps_bad_horizon(grid: ScenarioGrid, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="horizon = 5 is out of range"):
        plots.scenario_heatmaps(grid, tmp_path, horizon=5)
    assert list(tmp_path.iterdir()) == []


def test_the_figures_in_memory_are_the_files_byte_for_byte(grid: ScenarioGrid, tmp_path: Path) -> None:
    """Each plot's ``*_figure`` twin, as PNG bytes (the HTML report inlines them), is the PNG file
    the plot writes: one drawing and one way to save it."""
    risk = value_book(BOOK, MARKET)
    pairs = [
        (
            plots.scenario_heatmap(grid, tmp_path / "h.png", horizon=1, layer="L3"),
            plots.scenario_heatmap_figure(grid, horizon=1, layer="L3"),
        ),
        (
            plots.risk_profile(BOOK, MARKET, tmp_path / "p.png", points=5),
            plots.risk_profile_figure(BOOK, MARKET, points=5),
        ),
        (plots.vega_buckets(risk, tmp_path / "v.png"), plots.vega_buckets_figure(risk)),
    ]
    for path, figure in pairs:
        assert_png(path)
        assert png_bytes(figure) == path.read_bytes(), path.name


def _captions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of every figure the plots save from now on, one string per figure."""
    texts: list[str] = []
    save = plots.save_png

    def keep(figure: Any, path: str | Path) -> Path:
        from matplotlib.text import Text  # noqa: PLC0415

        texts.append(" ".join(t.get_text() for t in figure.findobj(Text)))
        return save(figure, path)

    monkeypatch.setattr(plots, "save_png", keep)
    return texts


def test_scenario_plots_state_their_dynamics(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    texts = _captions(monkeypatch)
    linked = scenario_grid(
        BOOK, MARKET, spot_shocks=[-0.1, 0.0], vol_shifts=[-30.0, 0.0], horizons=[0], spot_vol_link=True
    )
    plots.scenario_heatmap(linked, tmp_path / "grid.png")
    plots.risk_profile(BOOK, MARKET, tmp_path / "profile.png", horizons=[0], points=5)
    plots.risk_profile(BOOK, MARKET, tmp_path / "flat.png", horizons=[0], points=5, spot_vol_link=False)
    beta = f"β {MARKET.link.log_beta:g}"
    dynamics = f"sticky moneyness, parallel vol shifts, spot–vol link on ({beta})"
    assert dynamics in texts[0] and "scenarios valued legs on a floored vol or VIX" in texts[0]
    assert dynamics in texts[1] and "floored" not in texts[1]
    assert "spot–vol link off" in texts[2]


def test_risk_profile(tmp_path: Path) -> None:
    path = plots.risk_profile(BOOK, MARKET, tmp_path / "profile.png", horizons=(0, 7, 14), points=21)
    assert_png(path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"spot_range": (0.1, -0.1)}, "spot_range = .* must be .* -1 < low < high"),
        ({"spot_range": (-1.5, 0.1)}, "-1 < low < high"),
        ({"spot_range": "wide"}, "spot_range = 'wide' is not allowed"),
        ({"points": 1}, "points = 1 is not allowed: must be an integer >= 2"),
        ({"points": 10.5}, "points = 10.5 is not allowed"),
        ({"horizons": ()}, "horizons must hold at least one horizon"),
        ({"horizons": (0, -3)}, r"horizons\[1\] = -3.0 is not allowed"),
    ],
)
def test_risk_profile_bad_arguments(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        plots.risk_profile(BOOK, MARKET, tmp_path / "bad.png", **kwargs)  # type: ignore[arg-type]


def test_vega_buckets(tmp_path: Path) -> None:
    assert_png(plots.vega_buckets(value_book(BOOK, MARKET), tmp_path / "vega.png"))


def test_journal_trend(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        for day in range(6):
            journal.append(make_report(day, statuses=("ok", "warn", "breach")[: 1 + day % 3]))
            journal.append(make_report(day, book="Other"))
        history = journal.history()
        one_book = journal.history(book="Other")
    assert_png(timelines.journal_trend(history, tmp_path / "trend.png"))
    assert_png(timelines.journal_trend(one_book, tmp_path / "trend-one-book.png"))
    assert_png(timelines.journal_trend(one_book.iloc[:1], tmp_path / "trend-one-report.png"))


def test_journal_trend_bad_history(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        empty = journal.history()
    with pytest.raises(InputError, match="history is empty"):
        timelines.journal_trend(empty, tmp_path / "bad.png")
    frame = pd.DataFrame({"as_of": [dt.datetime(2026, 11, 20)], "book": ["b"], "spx_delta": [1.0]})
    with pytest.raises(InputError, match="history lacks the column"):
        timelines.journal_trend(frame, tmp_path / "bad.png")


LAZY_IMPORT = """
import sys
import alvh, alvh.app.plots, alvh.app.journal
assert "matplotlib" not in sys.modules, "import alvh / alvh.app.plots loaded matplotlib"
from pathlib import Path
from alvh.data import example_book, example_market
from alvh.risk.valuation import value_book
alvh.app.plots.vega_buckets(value_book(example_book(), example_market()), Path(sys.argv[1]))
assert "matplotlib.pyplot" not in sys.modules, "plotting imported pyplot (global state)"
import matplotlib
print(matplotlib.get_backend())
"""


def test_matplotlib_is_loaded_lazily_and_pyplot_not_at_all(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", LAZY_IMPORT, str(tmp_path / "vega.png")],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "MPLBACKEND": "svg"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "svg"  # the user's backend choice is left alone
    assert_png(tmp_path / "vega.png")
