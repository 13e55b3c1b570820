"""Write ``python/alvh/data/history.csv``: the daily S&P 500 closes (``arch.data.sp500``, column
``Close``) and VIX closes (``arch.data.vix``) on the dates both have (2014-01-03 to 2018-12-31).

Run from the repository root: ``python tests/golden/make_history.py``. Floats are written with
Python's shortest round-trip repr, so the file reads back to exactly arch's values
(``tests/test_history.py`` checks this).
"""

from pathlib import Path

import arch.data.sp500
import arch.data.vix
import pandas as pd

OUT = Path(__file__).resolve().parents[2] / "python" / "alvh" / "data" / "history.csv"


def history() -> pd.DataFrame:
    """The joined closes, indexed by date."""
    spx = arch.data.sp500.load()["Close"].rename("spx")
    vix = arch.data.vix.load()["vix"].dropna()  # arch's VIX carries NaN rows on exchange holidays
    frame = pd.concat([spx, vix], axis=1, join="inner")
    frame.index = pd.DatetimeIndex(frame.index).normalize().rename("date")
    return frame


if __name__ == "__main__":
    history().to_csv(OUT, date_format="%Y-%m-%d")
    print(f"wrote {OUT}")
