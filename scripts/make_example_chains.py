"""Write the example option chains that ``alvh market build`` reads in the README walkthrough:
``python/alvh/data/example_spx_chain.csv`` and ``example_vix_chain.csv`` (Cboe's delayed-quotes
download, the layout with an expiration column) and ``example_vix_futures.csv`` (``symbol,price``).

They are synthetic, like the example market they are priced from (``example_market.toml``,
2026-11-20 16:00 ET): SPX options by BSM on its smiles and forwards, the SPXW expiries plus the
AM-settled SPX monthly of 2026-12-18; VIX options by Black-76 on the future of their expiry with a
vol-of-vol smile rising in log-moneyness. Bids and asks straddle the model price by a spread that
widens in the wings and are rounded outward to the tick (0.05 below $3, 0.10 above); far-wing
strikes worth less than a tick have no bid, as on the exchange.

Run: ``python scripts/make_example_chains.py`` (deterministic: fixed seed).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

import alvh
import alvh.data
from alvh.market.expiries import Settlement
from alvh.market.quotes.symbols import OptionSymbol, format_occ

DATA = Path(__file__).resolve().parents[1] / "python" / "alvh" / "data"
HEADER = (
    "Expiration Date,Calls,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int,Strike,"
    "Puts,Last Sale,Net,Bid,Ask,Vol,IV,Delta,Gamma,Open Int"
)
VIX_SMILE = (0.45, 0.25)
"""The VIX options' vol-of-vol smile: vol(k) = option_vol + 0.45·k + 0.25·k², k = ln(K/F)."""


def _ticks(price: np.ndarray, half_spread: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bid and ask rounded outward to the tick; NaN bid where the bid would be below one tick."""
    tick = np.where(price < 3.0, 0.05, 0.10)
    bid = np.floor((price - half_spread) / tick + 1e-9) * tick
    ask = np.ceil((price + half_spread) / tick - 1e-9) * tick
    return np.where(bid >= 0.05, bid, np.nan), np.maximum(ask, 0.05)


def _side(symbol: str, price: float, bid: float, ask: float, volume: int, g: dict[str, float]) -> list[str]:
    return [
        symbol,
        f"{price:.2f}",
        "0.00",
        "" if np.isnan(bid) else f"{bid:.2f}",
        f"{ask:.2f}",
        str(volume),
        f"{g['iv']:.4f}",
        f"{g['delta']:.4f}",
        f"{g['gamma']:.4f}",
        str(10 * volume + 100),
    ]


def _write(path: Path, first_line: str, moment: dt.datetime, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(first_line + "\n")
        handle.write(f"{moment:%b %d %Y @ %H:%M} ET\n")
        handle.write(HEADER + "\n")
        csv.writer(handle, lineterminator="\n").writerows(rows)


def spx_rows(rng: np.random.Generator) -> list[list[str]]:
    market = alvh.data.example_market()
    series = [(s.expiry, "SPXW", Settlement.PM) for s in market.spx.smiles]
    series.append((dt.date(2026, 12, 18), "SPX", Settlement.AM))
    rows = []
    for expiry, root, settlement in sorted(series):
        years = market.years_to(expiry, settlement)
        forward = market.forward(expiry, years)
        width = 0.14 * np.sqrt(years)
        near = np.arange(np.floor(forward * np.exp(-2 * width) / 10), np.ceil(forward * np.exp(2 * width) / 10) + 1)
        far = np.arange(np.floor(forward * np.exp(-5 * width) / 50), np.ceil(forward * np.exp(3 * width) / 50) + 1)
        strikes = np.union1d(10 * near, 50 * far)
        vols = market.spx_vol(strikes, expiry, years)
        sides = {}
        for right in ("call", "put"):
            g = alvh.greeks(
                model="bsm",
                underlying=market.spx.spot,
                strike=strikes,
                time_to_expiry=years,
                vol=vols,
                rate=market.spx.rate,
                div_yield=market.div_yield(expiry, years),
                is_call=right == "call",
            )
            moneyness = np.abs(np.log(strikes / forward)) / width
            half_spread = np.maximum(0.05, 0.01 * g.price) * (1.0 + 0.5 * moneyness)
            bid, ask = _ticks(g.price, half_spread)
            volume = np.where(moneyness < 3, rng.integers(1, 2000, strikes.size), 0)
            sides[right] = (g, bid, ask, volume)
        day = f"{expiry:%a %b %d %Y}"
        for i, strike in enumerate(strikes):
            row = [day]
            for right in ("call", "put"):
                g, bid, ask, volume = sides[right]
                symbol = format_occ(OptionSymbol(root, expiry, right, float(strike))).replace(" ", "")  # type: ignore[arg-type]
                greeks = {"iv": vols[i], "delta": g.delta[i], "gamma": g.gamma[i]}
                row += _side(symbol, g.price[i], bid[i], ask[i], int(volume[i]), greeks)
                if right == "call":
                    row.append(f"{strike:.2f}")
            rows.append(row)
    return rows


def vix_rows(rng: np.random.Generator) -> list[list[str]]:
    market = alvh.data.example_market()
    rows = []
    for future in sorted(market.vix.futures, key=lambda f: f.expiry):
        assert future.option_vol is not None
        years = market.years_to(future.expiry, Settlement.AM)
        strikes = np.arange(10.0, 51.0)
        k = np.log(strikes / future.price)
        vols = future.option_vol + VIX_SMILE[0] * k + VIX_SMILE[1] * k * k
        sides = {}
        for right in ("call", "put"):
            g = alvh.greeks(
                model="black76",
                underlying=future.price,
                strike=strikes,
                time_to_expiry=years,
                vol=vols,
                rate=market.spx.rate,
                is_call=right == "call",
            )
            half_spread = np.maximum(0.05, 0.03 * g.price)
            bid, ask = _ticks(g.price, half_spread)
            sides[right] = (g, bid, ask, rng.integers(0, 5000, strikes.size))
        day = f"{future.expiry:%a %b %d %Y}"
        for i, strike in enumerate(strikes):
            row = [day]
            for right in ("call", "put"):
                g, bid, ask, volume = sides[right]
                symbol = format_occ(OptionSymbol("VIX", future.expiry, right, float(strike))).replace(" ", "")  # type: ignore[arg-type]
                row += _side(
                    symbol,
                    g.price[i],
                    bid[i],
                    ask[i],
                    int(volume[i]),
                    {"iv": vols[i], "delta": g.delta[i], "gamma": g.gamma[i]},
                )
                if right == "call":
                    row.append(f"{strike:.2f}")
            rows.append(row)
    return rows


def main() -> None:
    market = alvh.data.example_market()
    rng = np.random.default_rng(7)
    _write(
        DATA / "example_spx_chain.csv", f"SPX (S&P 500 INDEX),{market.spx.spot:.2f},+0.00", market.as_of, spx_rows(rng)
    )
    _write(
        DATA / "example_vix_chain.csv",
        f"VIX (CBOE VOLATILITY INDEX),{market.vix.spot:.2f},+0.00",
        market.as_of,
        vix_rows(rng),
    )
    with (DATA / "example_vix_futures.csv").open("w", encoding="utf-8") as handle:
        handle.write("symbol,price\n")
        for future in sorted(market.vix.futures, key=lambda f: f.expiry):
            code = "VX" + "FGHJKMNQUVXZ"[future.expiry.month - 1] + f"{future.expiry.year % 100:02d}"
            handle.write(f"{code},{future.price:.2f}\n")


if __name__ == "__main__":
    main()
