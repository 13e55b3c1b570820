"""Plausibility bounds of a market file's numbers: one table, :data:`BOUNDS`, that
:func:`~alvh.market.snapshot.load_market` applies and the README prints. They catch unit slips —
a vol of 95.0 meant as 0.95, a rate of 4.3 meant as 0.043 — that the model would otherwise price
without complaint. Each range is far wider than any market seen, so a value outside it is an
error, never a judgement call (no override)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alvh.exceptions import ConfigError

if TYPE_CHECKING:  # the snapshot's loader applies these bounds
    from alvh.market.snapshot import Market

__all__ = ["BOUNDS", "Bound", "check_plausible"]


@dataclass(frozen=True)
class Bound:
    """The allowed range of one field, its unit, a typical range and an example of the unit."""

    unit: str
    low: float
    high: float
    typical: str
    example: str

    def problem(self, value: float) -> str | None:
        """Why ``value`` is refused, or None if it is allowed."""
        if self.low <= value <= self.high:
            return None
        return f"{self.unit} is expected ({self.example}); allowed {self.low:g} … {self.high:g}"


BOUNDS: dict[str, Bound] = {
    "spx.spot": Bound("SPX in index points", 100.0, 100_000.0, "2,000 … 8,000", "5900.0"),
    "spx.rate": Bound("a decimal rate per year", -0.05, 0.25, "0 … 0.06", "0.043 for 4.3 %"),
    "spx.div_yield": Bound("a decimal yield per year", -0.05, 0.2, "0.01 … 0.03", "0.013 for 1.3 %"),
    "spx.forwards[].forward": Bound("an SPX forward in index points", 100.0, 100_000.0, "near spot", "5925.0"),
    "spx.smiles[].atm_vol": Bound("a decimal vol", 0.01, 3.0, "0.08 … 0.50", "0.14 for 14 %"),
    "spx.smiles[] ATM vol (SVI)": Bound(
        "a decimal vol, √(w(0)/T) of the SVI parameters", 0.01, 3.0, "0.08 … 0.50", "0.14 for 14 %"
    ),
    "vix.spot": Bound("VIX in index points", 5.0, 200.0, "10 … 40", "16.0"),
    "vix.futures[].price": Bound("a VIX future in index points", 5.0, 200.0, "12 … 40", "17.15"),
    "vix.futures[].option_vol": Bound("a decimal vol", 0.05, 5.0, "0.5 … 1.5", "0.95 for 95 %"),
}
"""Field of the market file → its bound (``[]``: every entry of the list)."""


def check_plausible(market: Market, source: str) -> None:
    """Raise a ConfigError naming ``source``, the field, its value, the unit and the allowed range
    of every number of ``market`` outside :data:`BOUNDS`."""
    problems = []
    for key, field, value in _fields(market):
        problem = BOUNDS[key].problem(value)
        if problem:
            problems.append(f"{source}: {field} = {value:g}: {problem}")
    if problems:
        raise ConfigError("\n".join(problems))


def _fields(market: Market) -> Iterator[tuple[str, str, float]]:
    """(key of BOUNDS, field as written in the file, value) for every bounded number."""
    spx, vix = market.spx, market.vix
    yield "spx.spot", "spx.spot", spx.spot
    yield "spx.rate", "spx.rate", spx.rate
    yield "spx.div_yield", "spx.div_yield", spx.div_yield
    for i, f in enumerate(spx.forwards):
        yield "spx.forwards[].forward", f"spx.forwards[{i}].forward", f.forward
    for i, smile in enumerate(spx.smiles):
        if smile.model == "quadratic":
            yield "spx.smiles[].atm_vol", f"spx.smiles[{i}].atm_vol", smile.atm_vol
        else:
            years = market.years_to(smile.expiry, smile.settlement)
            with np.errstate(over="ignore", invalid="ignore"):  # huge parameters: inf, refused below
                variance = float(smile.total_variance(np.zeros(1), years)[0])
            yield "spx.smiles[] ATM vol (SVI)", f"spx.smiles[{i}] ATM vol", math.sqrt(max(variance, 0.0) / years)
    yield "vix.spot", "vix.spot", vix.spot
    for i, future in enumerate(vix.futures):
        yield "vix.futures[].price", f"vix.futures[{i}].price", future.price
        if future.option_vol is not None:
            yield "vix.futures[].option_vol", f"vix.futures[{i}].option_vol", future.option_vol
