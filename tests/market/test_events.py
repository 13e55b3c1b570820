"""Scheduled events and time-shifting (docs/method.md, Layers: L1): loading calendars from TOML and CSV with named
errors, the next event after a day, and the first VIX expiry after it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import alvh
from alvh.data import example_market
from alvh.exceptions import ConfigError
from alvh.market.events import Event, first_vix_expiry_after, load_events, next_event
from alvh.market.snapshot import Market

MARKET = example_market()
VIX_EXPIRIES = [dt.date(2026, 12, 16), dt.date(2027, 1, 20), dt.date(2027, 2, 17), dt.date(2027, 3, 17)]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- loading ----------------------------------------------------------------------------------


def test_load_toml_sorted_by_date(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "events.toml",
        '[[events]]\ndate = 2027-01-13\nkind = "CPI"\n\n'
        '[[events]]\ndate = 2026-12-09\nkind = "FOMC"\n\n'
        '[[events]]\ndate = 2026-12-11\nkind = "PPI"\n',
    )
    assert load_events(path) == [
        Event(dt.date(2026, 12, 9), "FOMC"),
        Event(dt.date(2026, 12, 11), "PPI"),
        Event(dt.date(2027, 1, 13), "CPI"),
    ]


def test_load_csv_sorted_by_date(tmp_path: Path) -> None:
    path = _write(tmp_path, "events.csv", "date,kind\n2027-01-27,FOMC\n2026-12-10,CPI\n2027-01-14,PPI\n")
    assert load_events(path) == [
        Event(dt.date(2026, 12, 10), "CPI"),
        Event(dt.date(2027, 1, 14), "PPI"),
        Event(dt.date(2027, 1, 27), "FOMC"),
    ]


def test_shipped_calendar_loads() -> None:
    events = load_events(Path(alvh.__file__).parent / "data" / "events.toml")
    assert events == sorted(events)
    assert {e.kind for e in events} == {"FOMC", "CPI", "PPI"}
    assert events[0] == Event(dt.date(2026, 12, 9), "FOMC")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param(
            "bad_kind.toml",
            '[[events]]\ndate = 2026-12-09\nkind = "NFP"\n',
            ["bad_kind.toml", "events[0].kind", "'NFP'", "FOMC"],
            id="toml-bad-kind",
        ),
        pytest.param(
            "bad_kind.csv",
            "date,kind\n2026-12-09,FOMC\n2026-12-10,GDP\n",
            ["bad_kind.csv", "row 2: kind = 'GDP'", "FOMC, CPI, PPI"],  # CSV rows from 1, like dates
            id="csv-bad-kind",
        ),
        pytest.param("no_kind.csv", "date,type\n2026-12-09,FOMC\n", ["no_kind.csv", "'kind'"], id="csv-missing-kind"),
        pytest.param("no_date.csv", "day,kind\n2026-12-09,FOMC\n", ["no_date.csv", "'date'"], id="csv-missing-date"),
        pytest.param(
            "bad_date.csv", "date,kind\n2026-12-09,FOMC\n12/10/2026,CPI\n", ["bad_date.csv", "row 2", "'12/10/2026'"]
        ),
        pytest.param("empty_date.csv", "date,kind\n,CPI\n", ["empty_date.csv", "row 1", "date"]),
        pytest.param("empty.csv", "", ["empty.csv", "empty"]),
        pytest.param(
            "string_date.toml",
            '[[events]]\ndate = "2026-12-09"\nkind = "CPI"\n',
            ["string_date.toml", "events[0].date"],
            id="toml-date-as-string",
        ),
        pytest.param(
            "extra.toml",
            '[[events]]\ndate = 2026-12-09\nkind = "CPI"\ntime = "08:30"\n',
            ["extra.toml", "events[0].time"],
            id="toml-unknown-field",
        ),
        pytest.param("none.toml", "title = 'calendar'\n", ["none.toml", "events"], id="toml-no-events"),
        pytest.param("broken.toml", "[[events]\ndate = 2026-12-09\n", ["broken.toml", "not valid TOML"]),
    ],
)
def test_bad_calendars_raise_named_config_errors(tmp_path: Path, name: str, text: str, expected: list[str]) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        load_events(path)
    for part in expected:
        assert part in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.csv: no such file"):
        load_events(tmp_path / "nope.csv")


# --- next event and first VIX expiry after it ----------------------------------------------------

EVENTS = [
    Event(dt.date(2027, 1, 13), "CPI"),
    Event(dt.date(2026, 12, 9), "FOMC"),
    Event(dt.date(2026, 12, 10), "CPI"),
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 20), Event(dt.date(2026, 12, 9), "FOMC")),
        (dt.date(2026, 12, 8), Event(dt.date(2026, 12, 9), "FOMC")),
        (dt.date(2026, 12, 9), Event(dt.date(2026, 12, 10), "CPI")),  # strictly after: today's has happened
        (dt.date(2026, 12, 10), Event(dt.date(2027, 1, 13), "CPI")),
        (dt.date(2027, 1, 13), None),
    ],
)
def test_next_event_is_the_first_strictly_after(day: dt.date, expected: Event | None) -> None:
    assert next_event(EVENTS, day) == expected


def test_next_event_of_no_events() -> None:
    assert next_event([], dt.date(2026, 11, 20)) is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 20), dt.date(2026, 12, 16)),
        (dt.date(2026, 12, 9), dt.date(2026, 12, 16)),  # FOMC before the December expiry
        (dt.date(2026, 12, 16), dt.date(2027, 1, 20)),  # an event on expiry day: VIX settled that morning
        (dt.date(2026, 12, 20), dt.date(2027, 1, 20)),
        (dt.date(2027, 1, 13), dt.date(2027, 1, 20)),
        (dt.date(2027, 3, 17), dt.date(2027, 4, 21)),
        (dt.date(2027, 4, 21), None),  # beyond the curve
    ],
)
def test_first_vix_expiry_after(day: dt.date, expected: dt.date | None) -> None:
    assert first_vix_expiry_after(MARKET, day) == expected
    # independently: the smallest quoted expiry strictly after the day
    later = [f.expiry for f in MARKET.vix.futures if f.expiry > day]
    assert expected == (min(later) if later else None)


def _without_option_vol(market: Market, expiry: dt.date) -> Market:
    futures = [f.model_copy(update={"option_vol": None}) if f.expiry == expiry else f for f in market.vix.futures]
    return market.model_copy(update={"vix": market.vix.model_copy(update={"futures": futures})})


def test_first_vix_expiry_after_needs_option_vols_unless_told_otherwise() -> None:
    market = _without_option_vol(MARKET, dt.date(2027, 1, 20))
    day = dt.date(2026, 12, 20)
    assert first_vix_expiry_after(market, day) == dt.date(2027, 2, 17)
    assert first_vix_expiry_after(market, day, with_options=False) == dt.date(2027, 1, 20)


def test_first_vix_expiry_after_ignores_curve_order() -> None:
    shuffled = list(reversed(MARKET.vix.futures))
    market = MARKET.model_copy(update={"vix": MARKET.vix.model_copy(update={"futures": shuffled})})
    assert market.vix.futures[0].expiry == VIX_EXPIRIES[-1] + dt.timedelta(days=35)
    assert first_vix_expiry_after(market, dt.date(2026, 12, 20)) == dt.date(2027, 1, 20)
