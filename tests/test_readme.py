"""The README's Python examples run as written, and the numbers they quote are the library's."""

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alvh.backtest import load_sweep

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every Python block in order in one namespace, in a folder holding the README's rules
    file as ``my_rules.toml``."""
    folder = tmp_path_factory.mktemp("readme")
    rules, *_ = blocks("toml")  # the rules file, then the sweep file and a fragment of one
    (folder / "my_rules.toml").write_text(rules)
    names: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for code in blocks("python"):
            exec(compile(code, str(README), "exec"), names)
    return names


def test_every_python_block_runs(namespace: dict[str, Any]) -> None:
    assert {"g", "risk", "grid", "stress", "decision", "labelled", "total", "layers", "swept"} <= set(namespace)


def test_the_sweep_file_loads(tmp_path: Path) -> None:
    """The README's sweep file is a valid sweep: its axes checked against the backtest settings."""
    _, sweep_file, *_ = blocks("toml")
    path = tmp_path / "deltas.toml"
    path.write_text(sweep_file)
    plan = load_sweep(path)
    assert len(plan.runs) == 3 * 2 * 3


def test_quoted_repr(namespace: dict[str, Any]) -> None:
    """The README quotes the start of ``repr(risk)`` in "In a notebook"."""
    lines = repr(namespace["risk"]).splitlines()
    assert lines[0] == "BookRisk 'Example ALVH book' at 2026-11-20 16:00: 17 legs in 4 layers, 30 condor units"
    assert (
        lines[1]
        .strip()
        .startswith("SPX delta -118 shares (-0.039 per condor), SPX vega -3,631 $/vol pt, theta +2,381 $/day")
    )


def test_quoted_numbers(namespace: dict[str, Any]) -> None:
    risk, grid, stress = namespace["risk"], namespace["grid"], namespace["stress"]
    assert round(risk.delta_per_condor, 3) == -0.039
    assert round(risk.hedge_vega_share, 3) == 0.227
    assert grid.worst == pytest.approx(
        {"pnl": -125870.7, "spot_shock": 0.05, "vol_shift": -5.0, "horizon_days": 7.0}, abs=0.05
    )
    assert stress.layers.round(0).to_dict() == {"core": -66316.0, "L1": 13148.0, "L2": 8696.0, "L3": -1070.0}
    assert round(stress.hedge_offset, 2) == 0.31


def test_quoted_actions(namespace: dict[str, Any]) -> None:
    """The README's rules file tightens R-DELTA to 0.10; the example book's delta (-0.039 per condor)
    stays inside, so the first action is R-STRESS's hedge the comment describes."""
    (action, *_) = namespace["decision"].actions
    assert action.type.value == "ADD_VEGA_HEDGE"
    trades = sorted((t.instrument, t.quantity, t.strike) for t in action.trades)
    assert action.rules == ("R-STRESS",)
    assert trades == [("VXM", 9, None)]


def test_iv_example_round_trips(namespace: dict[str, Any]) -> None:
    np.testing.assert_allclose(namespace["vols"], [0.19, 0.145, 0.125], rtol=1e-12)


def test_real_data_example(namespace: dict[str, Any]) -> None:
    """The walkthrough's calibration and import: the numbers its prose quotes."""
    report, risk = namespace["fit"].report.sort_values("years"), namespace["chain_risk"]
    assert (risk.core_units, round(risk.delta_per_condor, 3)) == (30, -0.039)
    assert report["rmse_vol_points"].iloc[:6].between(0.005, 0.025).all()  # "within 0.01–0.02 vol points"
    assert report["calendar_before"].iloc[-2:].tolist() == [33, 92]
    march = report.iloc[-1]
    assert (round(100 * march["inside_band"]), round(march["rmse_vol_points"], 2)) == (9, 0.93)
    assert (report["butterfly_after"] == 0).all() and (report["calendar_after"] == 0).all()
