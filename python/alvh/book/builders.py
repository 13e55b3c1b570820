"""Position builders traders use: iron condors from a target short delta, broken-wing butterflies,
vertical spreads, VIX call and put spreads by strike or by delta, VIX futures, S&P 500 futures.

Strikes are snapped to the listed grid (SPX 5 points, VIX 1 point); deltas are Black–Scholes
deltas at the market's smile (BSM on SPX spot, Black-76 on the VIX future of the expiry).
Entry prices default to the market's model prices, so a new position starts at zero P&L.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np

from alvh._typing import FloatArray
from alvh.book.instruments import Instrument
from alvh.book.legs import Leg
from alvh.exceptions import InputError
from alvh.market.snapshot import Market
from alvh.pricing import Greeks, greeks

__all__ = [
    "SPX_STRIKE_STEP",
    "VIX_STRIKE_STEP",
    "broken_wing_butterfly",
    "iron_condor",
    "spx_future",
    "strike_for_delta",
    "vertical",
    "vix_call_spread",
    "vix_future",
    "vix_put_spread",
]

SPX_STRIKE_STEP = 5.0
VIX_STRIKE_STEP = 1.0
Right = Literal["call", "put"]


def _option_greeks(
    market: Market, instrument: Instrument, expiry: dt.date, strikes: FloatArray, right: Right
) -> Greeks:
    """Per-contract Greeks of candidate strikes of one option expiry, read from the market as a
    valuation reads a leg's inputs (docs/method.md, Models). Not through the legs' own path
    (:mod:`alvh.risk.kernel_inputs`): that sits above the book layer, works on validated legs
    tables and names a leg in its errors, where the builders check their own arguments."""
    years = market.years_to(expiry, instrument.settlement)
    if years <= 0:
        raise InputError(
            f"expiry = {expiry} is not allowed: a {instrument.value} option expiring then has settled by the "
            f"market's as_of ({market.as_of})"
        )
    if instrument is Instrument.VIX:
        return greeks(
            model="black76",
            underlying=market.vix_future(expiry).price,
            strike=strikes,
            time_to_expiry=years,
            vol=market.vix_option_vol(expiry, strikes),
            rate=market.spx.rate,
            is_call=right == "call",
        )
    return greeks(
        model="bsm",
        underlying=market.spx.spot,
        strike=strikes,
        time_to_expiry=years,
        vol=market.spx_vol(strikes, expiry, years, instrument.settlement),
        rate=market.spx.rate,
        div_yield=market.div_yield(expiry, years, instrument.settlement),
        is_call=right == "call",
    )


def _step(instrument: Instrument) -> float:
    return VIX_STRIKE_STEP if instrument is Instrument.VIX else SPX_STRIKE_STEP


def _option_instrument(value: Instrument | str) -> Instrument:
    try:
        instrument = Instrument(value)
    except ValueError:
        instrument = None
    if instrument is None or not instrument.is_option:
        raise InputError(f"instrument = {value!r} is not allowed: use an option, SPX, SPXW or VIX")
    return instrument


def _check_right(right: str) -> None:
    if right not in ("call", "put"):
        raise InputError(f"right = {right!r} is not allowed: use 'call' or 'put'")


def _check_positive(instrument: Instrument, **values: float) -> None:
    """Quantities > 0 and widths that are positive multiples of the strike step."""
    for name, value in values.items():
        step = 0.0 if name == "quantity" else _step(instrument)
        if not value > 0 or (step and abs(value / step - round(value / step)) > 1e-9):
            grid = f" and a multiple of {step:g}" if step else ""
            raise InputError(f"{name} = {value} is not allowed: must be > 0{grid}")


def strike_for_delta(
    market: Market,
    expiry: dt.date,
    right: Right,
    delta: float,
    *,
    instrument: Instrument | str = Instrument.SPXW,
) -> float:
    """The listed strike whose |delta| is closest to ``delta`` (e.g. 0.12 for a 12-delta put)."""
    instrument = _option_instrument(instrument)
    _check_right(right)
    if not 0 < delta < 1:
        raise InputError(f"delta = {delta} is not allowed: use the absolute delta, between 0 and 1")
    center = market.vix_future(expiry).price if instrument is Instrument.VIX else market.spx.spot
    step = _step(instrument)
    low, high = (0.2, 4.0) if instrument is Instrument.VIX else (0.5, 1.5)
    strikes = np.arange(np.ceil(center * low / step) * step, center * high, step)
    deltas = np.abs(_option_greeks(market, instrument, expiry, strikes, right).delta)
    return float(strikes[int(np.argmin(np.abs(deltas - delta)))])


def _price(market: Market, instrument: Instrument, expiry: dt.date, strike: float, right: Right) -> float:
    return float(_option_greeks(market, instrument, expiry, np.array([strike]), right).price[0])


def _option(
    market: Market,
    instrument: Instrument,
    expiry: dt.date,
    strike: float,
    right: Right,
    quantity: float,
    group: str | None,
) -> Leg:
    return Leg(
        instrument=instrument,
        expiry=expiry,
        quantity=quantity,
        strike=strike,
        right=right,
        entry_price=_price(market, instrument, expiry, strike, right),
        group=group,
    )


def iron_condor(
    market: Market,
    expiry: dt.date,
    *,
    short_delta: float = 0.12,
    wing_width: float = 50.0,
    quantity: float = 1.0,
    instrument: Instrument | str = Instrument.SPXW,
    group: str | None = None,
) -> tuple[Leg, ...]:
    """A short iron condor: short put and call at ``short_delta``, long wings ``wing_width``
    points further out; ``quantity`` condors."""
    instrument = _option_instrument(instrument)
    _check_positive(instrument, quantity=quantity, wing_width=wing_width)
    group = group or f"IC-{expiry}"
    short_put = strike_for_delta(market, expiry, "put", short_delta, instrument=instrument)
    short_call = strike_for_delta(market, expiry, "call", short_delta, instrument=instrument)
    return (
        _option(market, instrument, expiry, short_put - wing_width, "put", quantity, group),
        _option(market, instrument, expiry, short_put, "put", -quantity, group),
        _option(market, instrument, expiry, short_call, "call", -quantity, group),
        _option(market, instrument, expiry, short_call + wing_width, "call", quantity, group),
    )


def broken_wing_butterfly(
    market: Market,
    expiry: dt.date,
    right: Right,
    *,
    short_delta: float = 0.20,
    near_width: float = 50.0,
    far_width: float = 100.0,
    quantity: float = 1.0,
    instrument: Instrument | str = Instrument.SPXW,
    group: str | None = None,
) -> tuple[Leg, ...]:
    """A broken-wing butterfly: long 1 at ``near_width`` inside the short strike (towards the
    money), short 2 at ``short_delta``, long 1 ``far_width`` outside; ``quantity`` units."""
    instrument = _option_instrument(instrument)
    _check_right(right)
    _check_positive(instrument, quantity=quantity, near_width=near_width, far_width=far_width)
    group = group or f"BWB-{right}-{expiry}"
    short = strike_for_delta(market, expiry, right, short_delta, instrument=instrument)
    inward = 1.0 if right == "put" else -1.0  # towards the money
    return (
        _option(market, instrument, expiry, short + inward * near_width, right, quantity, group),
        _option(market, instrument, expiry, short, right, -2 * quantity, group),
        _option(market, instrument, expiry, short - inward * far_width, right, quantity, group),
    )


def vertical(
    market: Market,
    expiry: dt.date,
    right: Right,
    *,
    long_strike: float,
    short_strike: float,
    quantity: float = 1.0,
    instrument: Instrument | str = Instrument.SPXW,
    group: str | None = None,
) -> tuple[Leg, ...]:
    """A vertical spread: long ``long_strike``, short ``short_strike``, ``quantity`` spreads."""
    instrument = _option_instrument(instrument)
    _check_right(right)
    _check_positive(instrument, quantity=quantity)
    if long_strike == short_strike:
        raise InputError(f"long_strike = short_strike = {long_strike} is not allowed: a spread needs two strikes")
    step = _step(instrument)
    for name, strike in (("long_strike", long_strike), ("short_strike", short_strike)):
        if strike <= 0 or abs(strike / step - round(strike / step)) > 1e-9:
            raise InputError(f"{name} = {strike} is not allowed: must be a positive multiple of {step}")
    group = group or f"{right}-spread-{long_strike:g}-{short_strike:g}-{expiry}"
    return (
        _option(market, instrument, expiry, long_strike, right, quantity, group),
        _option(market, instrument, expiry, short_strike, right, -quantity, group),
    )


def _vix_spread(
    market: Market,
    expiry: dt.date,
    right: Right,
    long_strike: float | None,
    long_delta: float | None,
    width: float,
    quantity: float,
    group: str | None,
) -> tuple[Leg, ...]:
    if (long_strike is None) == (long_delta is None):
        raise InputError("give exactly one of long_strike and long_delta")
    _check_positive(Instrument.VIX, quantity=quantity, width=width)
    if long_strike is None:
        assert long_delta is not None
        long_strike = strike_for_delta(market, expiry, right, long_delta, instrument=Instrument.VIX)
    short_strike = long_strike + width if right == "call" else long_strike - width
    return vertical(
        market,
        expiry,
        right,
        long_strike=long_strike,
        short_strike=short_strike,
        quantity=quantity,
        instrument=Instrument.VIX,
        group=group or f"VIX-{right}-spread-{expiry}",
    )


def vix_call_spread(
    market: Market,
    expiry: dt.date,
    *,
    long_strike: float | None = None,
    long_delta: float | None = None,
    width: float = 5.0,
    quantity: float = 1.0,
    group: str | None = None,
) -> tuple[Leg, ...]:
    """Long a VIX call at ``long_strike`` (or the strike nearest ``long_delta``), short one
    ``width`` points higher: the L1 hedge."""
    return _vix_spread(market, expiry, "call", long_strike, long_delta, width, quantity, group)


def vix_put_spread(
    market: Market,
    expiry: dt.date,
    *,
    long_strike: float | None = None,
    long_delta: float | None = None,
    width: float = 2.0,
    quantity: float = 1.0,
    group: str | None = None,
) -> tuple[Leg, ...]:
    """Long a VIX put at ``long_strike`` (or nearest ``long_delta``), short one ``width`` points
    lower: the L3 hedge."""
    return _vix_spread(market, expiry, "put", long_strike, long_delta, width, quantity, group)


def vix_future(market: Market, expiry: dt.date, quantity: float, *, mini: bool = True) -> Leg:
    """``quantity`` VIX futures (VXM minis by default, VX otherwise) at the market price."""
    quote = market.vix_future(expiry)
    return Leg(
        instrument=Instrument.VXM if mini else Instrument.VX,
        expiry=expiry,
        quantity=quantity,
        entry_price=quote.price,
    )


def spx_future(market: Market, expiry: dt.date, quantity: float, *, mini: bool = True) -> Leg:
    """``quantity`` S&P 500 futures (MES micros by default, ES otherwise) expiring on ``expiry`` (a
    quarterly third Friday, settled at the open) at the SPX forward to their settlement."""
    instrument = Instrument.MES if mini else Instrument.ES
    years = market.years_to(expiry, instrument.settlement)
    return Leg(
        instrument=instrument,
        expiry=expiry,
        quantity=quantity,
        entry_price=market.forward(expiry, years, instrument.settlement),
    )
