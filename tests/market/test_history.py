"""Market history for the backtest: the bundled CSV is exactly ``arch.data``'s S&P 500 and VIX
closes, and bad files and frames are refused with errors naming the file, the row and the column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.exceptions import ConfigError, InputError
from alvh.market.history import bundled_history_path, check_history, load_history
from tests.golden.make_history import history as arch_history

GOOD = "date,spx,vix\n2015-08-20,2035.73,19.14\n2015-08-21,1970.89,28.03\n2015-08-24,1893.21,40.74\n"


def write(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bundled_history_is_arch_data_exactly() -> None:
    bundled = load_history()
    expected = arch_history()
    assert bundled.index.equals(expected.index)
    assert list(bundled.columns) == ["spx", "vix"]
    assert np.array_equal(bundled.to_numpy(), expected.to_numpy())  # bit for bit
    assert (bundled.index[0].date().isoformat(), bundled.index[-1].date().isoformat()) == ("2014-01-03", "2018-12-31")
    assert len(bundled) == 1257
    assert bundled_history_path().name == "history.csv"


def test_bundled_history_has_the_stress_days() -> None:
    h = load_history()
    assert h.loc["2015-08-24", "vix"] == 40.74
    assert h.loc["2018-02-05", "vix"] == 37.32
    assert "2016-06-24" in h.index


def test_start_and_end_are_inclusive() -> None:
    h = load_history(start="2015-08-21", end="2015-08-25")
    assert [d.date().isoformat() for d in h.index] == ["2015-08-21", "2015-08-24", "2015-08-25"]


def test_optional_columns(tmp_path: Path) -> None:
    text = (
        "date,spx,vix,vx1,vx2,ad_line\n"
        "2015-08-21,1970.89,28.03,22.1,21.0,-150\n"
        "2015-08-24,1893.21,40.74,28.5,24.9,-900\n"
    )
    h = load_history(write(tmp_path, text))
    assert list(h.columns) == ["spx", "vix", "vx1", "vx2", "ad_line"]
    assert h["ad_line"].iloc[1] == -900.0
    assert h.index.name == "date"
    assert all(dtype == np.float64 for dtype in h.dtypes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,spx\n2015-08-21,1970.89\n", "missing column 'vix'"),
        ("spx,vix\n1970.89,28.03\n", "missing column 'date'"),
        ("date,spx,vix,foo\n2015-08-21,1970.89,28.03,1\n", "unknown column 'foo'"),
        ("date,spx,vix,vx2\n2015-08-21,1970.89,28.03,21\n", "vx1 is missing"),
        (GOOD.replace("1970.89", "abc"), "row 2 (line 3): spx = 'abc' is not a number"),
        (GOOD.replace("1970.89", ""), "row 2 (line 3): spx missing (empty or NaN)"),
        (GOOD.replace("28.03", "nan"), "row 2 (line 3): vix missing (empty or NaN)"),
        (GOOD.replace("28.03", "-1"), "row 2 (line 3): vix = -1 is not allowed: must be > 0"),
        (GOOD.replace("1970.89", "0"), "row 2 (line 3): spx = 0 is not allowed: must be > 0"),
        (GOOD.replace("2015-08-21", "2015-08-20"), "row 2 (line 3): date = 2015-08-20 repeats the date before it"),
        (GOOD.replace("2015-08-21", "2015-08-26"), "row 3 (line 4): date = 2015-08-24 comes after 2015-08-26"),
        (GOOD.replace("2015-08-21", "21/08/2015"), "row 2 (line 3): date = '21/08/2015' is not a date"),
    ],
)
def test_bad_files_name_the_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"h\.csv") as error:
        load_history(path)
    assert message in str(error.value)


def test_missing_file_and_empty_window(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_history(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="no row between 2020-01-01 and the end"):
        load_history(write(tmp_path, GOOD), start="2020-01-01")
    with pytest.raises(ConfigError, match="start = 2015-08-24 is after end = 2015-08-21"):
        load_history(write(tmp_path, GOOD), start="2015-08-24", end="2015-08-21")
    with pytest.raises(ConfigError, match="start = 'soon' is not a date"):
        load_history(write(tmp_path, GOOD), start="soon")


def test_check_history_names_the_date() -> None:
    frame = load_history(start="2015-08-20", end="2015-08-26")
    check_history(frame)
    bad = frame.copy()
    bad.iloc[2, 1] = np.nan
    with pytest.raises(InputError, match=r"history: 2015-08-24 \(row 3\): vix missing"):
        check_history(bad)
    with pytest.raises(InputError, match=r"is not sorted|comes after"):
        check_history(frame.iloc[::-1])
    with pytest.raises(InputError, match="DatetimeIndex"):
        check_history(frame.reset_index())
    with pytest.raises(InputError, match="missing column 'spx'"):
        check_history(frame[["vix"]])
    with pytest.raises(InputError, match="has no rows"):
        check_history(frame.iloc[:0])
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        check_history(pd.Series([1.0]))  # type: ignore[arg-type]


def test_cpi_and_ppi_may_be_empty_between_releases(tmp_path: Path) -> None:
    path = tmp_path / "closes.csv"
    path.write_text(
        "date,spx,vix,cpi,ppi\n2026-11-18,5900,16,,\n2026-11-19,5910,15.5,310.2,\n2026-11-20,5905,15.8,,140.1\n"
    )
    frame = load_history(path)
    assert list(frame.columns) == ["spx", "vix", "cpi", "ppi"]
    assert frame["cpi"].count() == 1 and frame["ppi"].count() == 1
    path.write_text("date,spx,vix,cpi\n2026-11-18,5900,16,-1\n")
    with pytest.raises(ConfigError, match=r"row 1 \(line 2\): cpi = -1 is not allowed: must be > 0"):
        load_history(path)
