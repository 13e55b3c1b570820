"""Write ``python/alvh/data/events_history.toml``: the scheduled-event calendar the backtest uses
for 2014-2019.

* FOMC: the announcement day (the last day) of every scheduled meeting, 2014 to mid-2019, as
  published by the Federal Reserve (eight a year; unscheduled meetings are not events).
* CPI and PPI: **approximated by a rule**, because their historical release dates could not be
  sourced offline: CPI on the first weekday on or after the 13th of each month, PPI on the weekday
  before it (BLS released them between about the 10th and the 20th; the error is a few days).
  The calendar only decides which VIX expiry the L1 hedge uses (the first after the next event),
  which an error of a few days rarely changes.

Run from the repository root: ``python tests/golden/make_events_history.py``.
"""

import datetime as dt
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "python" / "alvh" / "data" / "events_history.toml"

FOMC = [
    "2014-01-29", "2014-03-19", "2014-04-30", "2014-06-18", "2014-07-30", "2014-09-17", "2014-10-29", "2014-12-17",
    "2015-01-28", "2015-03-18", "2015-04-29", "2015-06-17", "2015-07-29", "2015-09-17", "2015-10-28", "2015-12-16",
    "2016-01-27", "2016-03-16", "2016-04-27", "2016-06-15", "2016-07-27", "2016-09-21", "2016-11-02", "2016-12-14",
    "2017-02-01", "2017-03-15", "2017-05-03", "2017-06-14", "2017-07-26", "2017-09-20", "2017-11-01", "2017-12-13",
    "2018-01-31", "2018-03-21", "2018-05-02", "2018-06-13", "2018-08-01", "2018-09-26", "2018-11-08", "2018-12-19",
    "2019-01-30", "2019-03-20", "2019-05-01", "2019-06-19",
]  # fmt: skip


def weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def weekday_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def events() -> list[tuple[dt.date, str]]:
    out = [(dt.date.fromisoformat(d), "FOMC") for d in FOMC]
    for year in range(2014, 2020):
        for month in range(1, 13 if year < 2019 else 7):
            cpi = weekday_on_or_after(dt.date(year, month, 13))
            out += [(weekday_before(cpi), "PPI"), (cpi, "CPI")]
    return sorted(out)


HEADER = """\
# Scheduled US macro events 2014 to mid-2019 for the backtest (written by
# tests/golden/make_events_history.py; see there for the sources).
# FOMC: announcement days of the scheduled meetings (Federal Reserve).
# CPI, PPI: APPROXIMATED by a rule (CPI on the first weekday on or after the 13th, PPI the weekday
# before), not the historical release dates.
"""

if __name__ == "__main__":
    body = "".join(f'\n[[events]]\ndate = {day.isoformat()}\nkind = "{kind}"\n' for day, kind in events())
    OUT.write_text(HEADER + body)
    print(f"wrote {OUT}")
