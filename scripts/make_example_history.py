"""Write ``python/alvh/data/example_history.csv``: an illustrative daily history (120 sessions
ending on the example market's date, 2026-11-20) of SPX, VIX, the front VIX future and an
advance-decline line, ending exactly at the example market's SPX 5,900 and VIX 16.

It is synthetic, like the example market: SPX follows a random walk with the day's VIX as its
vol, VIX mean-reverts and moves with SPX through a log-beta of -5 (the example market's link),
the front future carries a contango that shrinks as VIX rises, and the A/D line accumulates
breadth that follows SPX. It exists so that ``alvh demo`` can evaluate the signal rules; real
history for tests and the backtest comes from ``arch.data``.

Run: ``python scripts/make_example_history.py`` (deterministic: fixed seed).
"""

from pathlib import Path

import numpy as np
import pandas as pd

SESSIONS = 120
END = "2026-11-20"
SPX_END, VIX_END = 5900.0, 16.0


def main() -> None:
    rng = np.random.default_rng(1)
    dates = pd.bdate_range(end=END, periods=SESSIONS)
    spx_returns = np.empty(SESSIONS)
    log_vix = np.empty(SESSIONS)
    log_vix[0] = np.log(17.0)
    for t in range(SESSIONS):
        vol = np.exp(log_vix[t - 1] if t else log_vix[0]) / 100.0 / np.sqrt(252.0)
        spx_returns[t] = 0.0004 + vol * rng.standard_normal()
        if t:
            reversion = 0.10 * (np.log(16.0) - log_vix[t - 1])
            log_vix[t] = log_vix[t - 1] + reversion - 5.0 * spx_returns[t] + 0.045 * rng.standard_normal()
    spx = np.exp(np.cumsum(spx_returns))
    spx *= SPX_END / spx[-1]
    vix = np.exp(log_vix)
    vix *= VIX_END / vix[-1]
    front = vix * (1.0 + 0.12 * np.exp(-(vix - 12.0) / 10.0))
    breadth = 400.0 * spx_returns / spx_returns.std() + 150.0 * rng.standard_normal(SESSIONS)
    frame = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "spx": spx.round(2),
            "vix": vix.round(2),
            "vx1": front.round(2),
            "ad_line": np.cumsum(breadth).round(0),
        }
    )
    path = Path(__file__).resolve().parents[1] / "python" / "alvh" / "data" / "example_history.csv"
    frame.to_csv(path, index=False)
    print(f"wrote {path} ({len(frame)} sessions)")


if __name__ == "__main__":
    main()
