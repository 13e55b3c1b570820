"""Synthetic backtest results with hand-checkable numbers, and an experiment made of them (no
replay): naked, static and one ALVH variant over five days."""

from __future__ import annotations

from typing import Any

import pandas as pd

from alvh.backtest import BacktestConfig, BacktestResult
from alvh.backtest.config import LAYER_NAMES
from alvh.backtest.experiment import BASE, Experiment, Setting, Variant
from alvh.backtest.results import backtest_result

DAYS = pd.bdate_range("2015-08-20", periods=5)
"""Thu 2015-08-20 … Wed 2015-08-26: 2015-08-24 is the third day."""

VARIANTS = (
    Variant("naked", "naked", "no hedge"),
    Variant("static", "static", "VIX calls"),
    Variant("hedged", "alvh", "an ALVH variant"),
)


def synthetic_result(
    strategy: str,
    layer_pnl: dict[str, list[float]],
    *,
    hedge_share: list[float] | None = None,
    trades: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
) -> BacktestResult:
    """A one-strategy result over :data:`DAYS`: each layer's daily P&L as given (others 0), the
    daily ``hedge_share`` when given, the trades and actions listed."""
    rows = []
    cash = 0.0
    for i, day in enumerate(DAYS):
        pnl = {layer: layer_pnl.get(layer, [0.0] * len(DAYS))[i] for layer in LAYER_NAMES}
        cash += sum(pnl.values())
        row = {
            "date": day,
            "strategy": strategy,
            "spx": 2000.0,
            "vix": 20.0,
            "pnl": sum(pnl.values()),
            **{f"pnl_{layer}": value for layer, value in pnl.items()},
            "cash_flow": sum(pnl.values()),
            "cash": cash,
            "mtm": 0.0,
            "costs": 0.0,
            "credit": 1000.0 if i == 0 else 0.0,
            "margin": 5000.0,
        }
        if hedge_share is not None:
            row["hedge_share"] = hedge_share[i]
        rows.append(row)
    records = {strategy: (rows, trades or [], actions or [])}
    return backtest_result(records, dates=DAYS, capital=1_000_000.0, config=BacktestConfig())


def trade(layer: str, instrument: str, quantity: float, mid: float, fill: float, **fields: Any) -> dict[str, Any]:
    """A trade record of the ALVH strategy on the first day (the fields of the trades table)."""
    return {
        "date": DAYS[0],
        "strategy": "alvh",
        "action": "ADD_VEGA_HEDGE",
        "layer": layer,
        "instrument": instrument,
        "expiry": DAYS[-1].date(),
        "right": None,
        "strike": None,
        "group": None,
        "quantity": quantity,
        "mid": mid,
        "fill": fill,
        "commission": abs(quantity),
        "cash_flow": 0.0,
        "opening": True,
    } | fields


def action(day: int, kind: str, rules: str, trades: int, *, condors: float = 0.0) -> dict[str, Any]:
    """An action record of the ALVH strategy on the ``day``-th of :data:`DAYS`."""
    return {"date": DAYS[day], "strategy": "alvh", "type": kind, "rules": rules, "trades": trades,
            "condors": condors, "feasible": True}  # fmt: skip


NAKED_PNL = [100.0, -300.0, -1000.0, 200.0, 50.0]
HEDGED_TRADES = [
    trade("L2", "VX", 2.0, 15.0, 15.025),  # 0.025 × 2 × 1000 + 2 = 52 $
    trade("L1", "VIX", 3.0, 1.0, 1.05, right="call", strike=20.0),  # 0.05 × 3 × 100 + 3 = 18 $; premium 315 $
    trade("L1", "VIX", -3.0, 0.0, 0.0, action="SETTLE", commission=0.0, right="call", strike=20.0),  # not traded
    trade("core", "SPX", -10.0, 5.0, 4.85, right="put", strike=1900.0),  # not a hedge
]


def hedged_result() -> BacktestResult:
    """The ALVH variant: the naked core's P&L, L1 and L2 hedges, two days with a negative share."""
    return synthetic_result(
        "alvh",
        {"core": NAKED_PNL, "L1": [-18.0, 20.0, 300.0, -50.0, -10.0], "L2": [-52.0, 10.0, 100.0, -20.0, 0.0]},
        hedge_share=[0.5, -0.1, float("nan"), -2.0, 0.45],
        trades=HEDGED_TRADES,
        actions=[action(0, "ADD_VEGA_HEDGE", "R-HEDGE-VEGA", 2), action(2, "ROLL_CORE", "R-ROLL", 4, condors=1.0)],
    )


def synthetic_experiment(settings: tuple[Setting, ...] = (BASE,)) -> Experiment:
    """:data:`VARIANTS` with the same synthetic results under every setting."""
    results = {}
    for setting in settings:
        results[(setting.name, "naked")] = synthetic_result("naked", {"core": NAKED_PNL})
        results[(setting.name, "static")] = synthetic_result(
            "static", {"core": NAKED_PNL, "static": [-10.0, 0.0, 400.0, 0.0, 0.0]}
        )
        results[(setting.name, "hedged")] = hedged_result()
    return Experiment(BacktestConfig(), VARIANTS, settings, results, ())
