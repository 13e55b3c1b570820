"""A market's ``as_of`` with a time zone is read as US/Eastern wall-clock time (alvh's convention),
and a mix of naive and zoned times is an AlvhError, never a TypeError."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import pytest
from typer.testing import CliRunner

from alvh.app.cli import app
from alvh.data import example_book_path, example_market, example_market_path
from alvh.exceptions import ConfigError, InputError
from alvh.market import expiries
from alvh.market.expiries import year_fraction
from alvh.market.model import market_from_closes
from alvh.market.snapshot import load_market

NAIVE = "as_of = 2026-11-20T16:00:00"
ZONED = [
    "as_of = 2026-11-20T16:00:00-05:00",  # Eastern standard time, as written
    "as_of = 2026-11-20T21:00:00Z",  # the same moment in UTC
    "as_of = 2026-11-20T22:00:00+01:00",
]


def zoned_market(tmp_path: Path, as_of: str) -> Path:
    text = example_market_path().read_text()
    assert NAIVE in text
    path = tmp_path / "market.toml"
    path.write_text(text.replace(NAIVE, as_of))
    return path


@pytest.mark.parametrize("as_of", ZONED)
def test_a_zoned_as_of_is_converted_to_naive_eastern(tmp_path: Path, as_of: str) -> None:
    market = load_market(zoned_market(tmp_path, as_of))
    assert market.as_of == dt.datetime(2026, 11, 20, 16, 0)
    assert market.as_of.tzinfo is None
    assert market.model_dump() == example_market().model_dump()


def test_other_zones_and_summer_time_convert_too(tmp_path: Path) -> None:
    path = zoned_market(tmp_path, "as_of = 2026-11-20T11:00:00-10:00")  # Hawaii: 16:00 in New York
    assert load_market(path).as_of == dt.datetime(2026, 11, 20, 16, 0)
    summer = dt.datetime(2026, 7, 1, 20, 0, tzinfo=dt.UTC)
    assert market_from_closes(summer, 5900.0, 16.0).as_of == dt.datetime(2026, 7, 1, 16, 0)


@pytest.mark.parametrize("as_of", ZONED)
def test_the_report_runs_on_a_zoned_market(tmp_path: Path, as_of: str) -> None:
    market = zoned_market(tmp_path, as_of)
    result = CliRunner().invoke(app, ["report", str(example_book_path()), "--market", str(market), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    assert '"as_of": "2026-11-20T16:00:00"' in result.output


def test_model_market_of_a_zoned_time_is_eastern() -> None:
    zoned = dt.datetime(2026, 11, 20, 21, 0, tzinfo=dt.UTC)
    market = market_from_closes(zoned, 5900.0, 16.0)
    assert market.as_of == dt.datetime(2026, 11, 20, 16, 0)
    assert market.model_dump() == market_from_closes(dt.datetime(2026, 11, 20, 16, 0), 5900.0, 16.0).model_dump()


def test_mixing_naive_and_zoned_times_is_an_input_error() -> None:
    naive = dt.datetime(2026, 11, 20, 16, 0)
    zoned = dt.datetime(2026, 11, 20, 21, 0, tzinfo=dt.UTC)
    with pytest.raises(InputError, match=r"one has a time zone and the other not; give both as naive US/Eastern"):
        year_fraction(naive, zoned)
    with pytest.raises(InputError, match=r"start = 2026-11-20T21:00:00\+00:00 and end = 2026-11-20T16:00:00"):
        year_fraction(zoned, naive)
    assert year_fraction(zoned, zoned + dt.timedelta(days=365)) == 1.0


def test_without_a_time_zone_database_a_zoned_as_of_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_database(key: str) -> None:
        raise ZoneInfoNotFoundError(key)

    monkeypatch.setattr(expiries, "ZoneInfo", no_database)
    path = zoned_market(tmp_path, ZONED[1])
    with pytest.raises(ConfigError, match=r"as_of = .*no time-zone database holds America/New_York here: install"):
        load_market(path)
    assert load_market(example_market_path()).as_of == dt.datetime(2026, 11, 20, 16, 0)  # naive: no database needed
