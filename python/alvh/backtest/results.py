"""A backtest's output: the daily, trade and action tables (:class:`BacktestResult`), the headline
figures of each strategy (:func:`summary_metrics`) and the stress periods they report."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from alvh._config import pyarrow_parquet
from alvh._csv import formula_safe
from alvh._format import count, dollars
from alvh.backtest.config import LAYER_NAMES, STRATEGIES, BacktestConfig
from alvh.book import Instrument
from alvh.exceptions import InputError
from alvh.method.decisions import ActionType

__all__ = [
    "ES_LEVELS",
    "LABEL",
    "STRESS_DAYS",
    "BacktestResult",
    "Records",
    "backtest_result",
    "expected_shortfall",
    "hedge_layer_figures",
    "negative_share_days",
    "period_pnl",
    "summary_metrics",
]

LABEL = "model-priced"
"""Every backtest result says how it was priced."""

STRESS_DAYS = {
    "2015-08-24": (dt.date(2015, 8, 24), dt.date(2015, 8, 24)),
    "2016-06-24": (dt.date(2016, 6, 24), dt.date(2016, 6, 24)),
    "2018-02-05": (dt.date(2018, 2, 5), dt.date(2018, 2, 5)),
    "Q4-2018": (dt.date(2018, 10, 1), dt.date(2018, 12, 31)),
}
"""Stress periods whose P&L the summary reports (first and last day, inclusive)."""

TRADING_DAYS = 252
ES_LEVELS = (0.01, 0.05)
"""Tail shares of the daily expected shortfalls the summary reports (``es_1pct``, ``es_5pct``)."""
_HEDGE_ACTIONS = {
    ActionType.HEDGE_DELTA,
    ActionType.ADD_VEGA_HEDGE,
    ActionType.TRIM_HEDGE,
    ActionType.ADD_L3,
    ActionType.DELAYER,
}

Records = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
"""A strategy's daily rows, trades and actions."""

_TRADE_COLUMNS = ["date", "strategy", "action", "layer", "instrument", "expiry", "right", "strike", "group",
                  "quantity", "mid", "fill", "commission", "cash_flow", "opening"]  # fmt: skip
_ACTION_COLUMNS = ["date", "strategy", "type", "rules", "trades", "condors", "feasible"]


@dataclass(frozen=True)
class BacktestResult:
    """A backtest's output (every $ figure in dollars, every figure model-priced).

    ``daily`` is indexed by (``date``, ``strategy``) with columns ``spx``, ``vix`` (the day's
    closes), ``pnl`` (the day's P&L), ``pnl_core`` … ``pnl_static`` (per layer, 0 where a
    strategy has no such layer), ``cash_flow`` (the day's), ``cash`` (cumulative), ``mtm``,
    ``equity``, ``drawdown`` ($ below the running peak of equity, <= 0), ``drawdown_pct`` (share
    of that peak), ``costs`` (the day's half-spreads and commissions), ``credit`` (premium
    received opening core positions that day), ``margin`` (the core's defined-risk margin at
    the close: its condors' max losses) and ``hedge_share`` (the hedge layers' vega as a share of
    the core's |vega| after the day's trades; NaN without a core). ``trades`` lists every fill.
    """

    daily: pd.DataFrame
    trades: pd.DataFrame
    actions: pd.DataFrame
    """Every action other than HOLD, per day and strategy: columns ``date``, ``strategy``,
    ``type``, ``rules`` (the ids that fired it), ``trades`` (count), ``condors`` (the condors a
    roll or a reduction names) and ``feasible``."""
    capital: float
    config: BacktestConfig
    label: str = LABEL

    @property
    def start(self) -> dt.date:
        return pd.Timestamp(self.daily.index.get_level_values("date")[0]).date()

    @property
    def end(self) -> dt.date:
        return pd.Timestamp(self.daily.index.get_level_values("date")[-1]).date()

    def strategy(self, name: str) -> pd.DataFrame:
        """The daily table of one strategy, indexed by date."""
        if name not in STRATEGIES:
            raise InputError(f"strategy = {name!r} is not one of {', '.join(STRATEGIES)}")
        frame = self.daily.xs(name, level="strategy")
        assert isinstance(frame, pd.DataFrame)
        return frame

    def __repr__(self) -> str:
        """A few lines: the span and, per strategy, its total P&L and deepest drawdown (never the
        daily table)."""
        days = self.daily.index.get_level_values("date").nunique()
        lines = [
            f"BacktestResult {self.start} to {self.end} ({count(days, 'day')}, {self.label}): "
            f"{count(len(self.trades), 'fill')}, starting capital {dollars(self.capital, sign=False)}"
        ]
        for name in self.daily.index.get_level_values("strategy").unique():
            frame = self.strategy(str(name))
            pnl = float(frame["equity"].iloc[-1]) - self.capital
            lines.append(f"  {name}: total P&L {dollars(pnl)}, max drawdown {dollars(float(frame['drawdown'].min()))}")
        return "\n".join(lines)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per strategy (see :func:`summary_metrics` for the columns)."""
        rows = {name: summary_metrics(self, name) for name in STRATEGIES}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "strategy"
        return frame

    def write(self, path: str | Path, *, table: Literal["daily", "summary", "trades", "actions"] = "daily") -> Path:
        """Write a table (default the daily one) as CSV (``.csv``) or Parquet (``.parquet``,
        ``.pq``), chosen by the suffix; returns the path."""
        path = Path(path)
        frames: dict[str, Callable[[], pd.DataFrame]] = {
            "daily": lambda: self.daily,
            "summary": lambda: self.summary,  # computed only when asked for
            "trades": lambda: self.trades,
            "actions": lambda: self.actions,
        }
        if table not in frames:
            raise InputError(f"table = {table!r} is not one of {', '.join(frames)}")
        frame = frames[table]()
        suffix = path.suffix.lower()
        if suffix == ".csv":
            formula_safe(frame).to_csv(path)
        elif suffix in (".parquet", ".pq"):
            pyarrow_parquet(path)  # a named error without the optional pyarrow
            frame.to_parquet(path)
        else:
            raise InputError(f"{path}: unknown format {suffix!r}; use .csv or .parquet")
        return path


def backtest_result(
    records: dict[str, Records], *, dates: pd.Index, capital: float, config: BacktestConfig
) -> BacktestResult:
    """The result of a run from each strategy's records (in :data:`STRATEGIES` order); ``dates``
    is the history's index, whose resolution the tables' dates keep."""
    frames = []
    unit = dates.dtype
    for rows, _, _ in records.values():
        frame = pd.DataFrame(rows)
        frame["date"] = frame["date"].astype(unit)
        frame["equity"] = capital + frame["cash"] + frame["mtm"]
        peak = np.maximum.accumulate(np.maximum(frame["equity"].to_numpy(), capital))
        frame["drawdown"] = frame["equity"] - peak
        frame["drawdown_pct"] = frame["drawdown"] / peak
        frames.append(frame)
    daily = pd.concat(frames, ignore_index=True).set_index(["date", "strategy"])
    days = pd.DatetimeIndex(frames[0]["date"])
    daily = daily.reindex(pd.MultiIndex.from_product([days, list(records)], names=["date", "strategy"]))
    trades = pd.DataFrame([t for _, ts, _ in records.values() for t in ts], columns=_TRADE_COLUMNS)
    actions = pd.DataFrame([a for _, _, acts in records.values() for a in acts], columns=_ACTION_COLUMNS)
    trades["date"], actions["date"] = trades["date"].astype(unit), actions["date"].astype(unit)
    return BacktestResult(daily=daily, trades=trades, actions=actions, capital=capital, config=config)


def summary_metrics(result: BacktestResult, name: str) -> dict[str, Any]:
    """The headline figures of one strategy:

    ``pricing`` (always "model-priced"), ``start``, ``end``, ``days``, ``capital``, ``final_equity``,
    ``total_pnl``; ``ann_return`` (mean daily return × 252, a day's return being its P&L over the
    starting capital: an options book's margin does not compound, and the ratio stays defined if
    equity falls to zero), ``ann_vol`` (daily sd × √252), ``sharpe`` and ``sortino`` (both with a
    zero risk-free rate; Sortino's downside deviation is the root mean square of the negative
    daily returns, zeros counted for the others); ``max_drawdown`` ($) and ``max_drawdown_pct``
    (of the running peak of equity); ``peak_margin`` (the largest defined-risk margin of the core
    at a close, $); ``worst_day`` ($) and ``worst_day_date``; ``es_1pct`` and ``es_5pct`` (daily
    expected shortfall, :func:`expected_shortfall`, $); ``pnl_<stress>`` for each of
    :data:`STRESS_DAYS` (NaN when outside the run); ``hedge_pnl`` (P&L of all hedge layers),
    ``hedge_premium`` (net premium paid opening hedge options), ``hedge_contracts`` and
    ``hedge_costs`` (contracts traded in the hedge layers and what trading them cost, settlements
    not counted: :func:`hedge_layer_figures`), ``costs`` (half-spreads and commissions, all
    layers); ``core_credit`` (premium received opening core positions),
    ``core_pnl``, ``credit_kept_core`` (core P&L / core credit) and ``credit_kept`` (total P&L /
    core credit); the counts of actions that traded: ``core_rolls`` (R-ROLL; ``condors_rolled``
    the condors they rolled), ``core_reductions`` (R-CROWDED-BE cuts), ``core_adjustments`` (the
    two together: the forced adjustments of the core the hedges are meant to avoid),
    ``theta_layers`` (R-MACD-LADDER / R-SKEW-ADD additions) and ``hedge_actions``."""
    daily = result.strategy(name)
    pnl = daily["pnl"]
    returns = pnl / result.capital
    mean, sd = float(returns.mean()), float(returns.std(ddof=1)) if len(returns) > 1 else float("nan")
    downside = float(np.sqrt(np.mean(np.minimum(returns.to_numpy(), 0.0) ** 2)))
    annual = mean * TRADING_DAYS
    trades = result.trades[result.trades["strategy"] == name] if len(result.trades) else result.trades
    actions = result.actions[result.actions["strategy"] == name] if len(result.actions) else result.actions
    hedge_layers = [layer for layer in LAYER_NAMES if layer != "core"]
    hedge_buys = (
        trades[trades["layer"].isin(hedge_layers) & trades["opening"] & (trades["instrument"] == Instrument.VIX.value)]
        if len(trades)
        else trades
    )
    premium = hedge_buys["fill"] * hedge_buys["quantity"] * Instrument.VIX.multiplier
    credit = float(daily["credit"].sum())
    total = float(pnl.sum())
    core = float(daily["pnl_core"].sum())
    worst = int(np.argmin(pnl.to_numpy()))
    out: dict[str, Any] = {
        "pricing": LABEL,
        "start": pd.Timestamp(daily.index[0]).date(),
        "end": pd.Timestamp(daily.index[-1]).date(),
        "days": len(daily),
        "capital": result.capital,
        "final_equity": float(daily["equity"].iloc[-1]),
        "total_pnl": total,
        "ann_return": annual,
        "ann_vol": sd * math.sqrt(TRADING_DAYS),
        "sharpe": annual / (sd * math.sqrt(TRADING_DAYS)) if sd > 0 else float("nan"),
        "sortino": annual / (downside * math.sqrt(TRADING_DAYS)) if downside > 0 else float("nan"),
        "max_drawdown": float(daily["drawdown"].min()),
        "max_drawdown_pct": float(daily["drawdown_pct"].min()),
        "peak_margin": float(daily["margin"].max()),
        "worst_day": float(pnl.iloc[worst]),
        "worst_day_date": pd.Timestamp(daily.index[worst]).date(),
        **{f"es_{level:.0%}".replace("%", "pct"): expected_shortfall(pnl, level) for level in ES_LEVELS},
    }
    for label, (first, last) in STRESS_DAYS.items():
        out[f"pnl_{label}"] = period_pnl(pnl, first, last)
    layers = hedge_layer_figures(result, name)
    out |= {
        "hedge_pnl": float(daily[[f"pnl_{layer}" for layer in hedge_layers]].to_numpy().sum()),
        "hedge_premium": float(premium.sum()) if len(trades) else 0.0,
        "hedge_contracts": float(layers["contracts"].sum()),
        "hedge_costs": float(layers["costs"].sum()),
        "costs": float(daily["costs"].sum()),
        "core_credit": credit,
        "core_pnl": core,
        "credit_kept_core": core / credit if credit else float("nan"),
        "credit_kept": total / credit if credit else float("nan"),
        "core_rolls": int(_count(actions, ActionType.ROLL_CORE)),
        "condors_rolled": int(_count(actions, ActionType.ROLL_CORE, "condors")),
        "core_reductions": int(_count(actions, ActionType.REDUCE)),
        "core_adjustments": int(_count(actions, ActionType.ROLL_CORE) + _count(actions, ActionType.REDUCE)),
        "theta_layers": int(_count(actions, ActionType.ADD_THETA_LAYER)),
        "hedge_actions": int(sum(_count(actions, kind) for kind in _HEDGE_ACTIONS)),
    }
    return out


def expected_shortfall(pnl: pd.Series, level: float) -> float:
    """The mean of the worst ``ceil(level × days)`` daily P&Ls ($; a loss is negative), NaN
    without days. Counting whole days keeps the figure a plain average of real days (no
    interpolation between them).

    Raises
    ------
    InputError
        ``level`` outside (0, 1].
    """
    if not 0 < level <= 1:
        raise InputError(f"level = {level!r}: the tail share must be in (0, 1]")
    values = np.sort(pnl.to_numpy(dtype=np.float64))
    if not len(values):
        return float("nan")
    worst = math.ceil(level * len(values) - 1e-9)  # 5 % of 100 days is 5 days, not 6 by rounding error
    return float(values[: max(worst, 1)].mean())


def period_pnl(pnl: pd.Series, first: dt.date, last: dt.date) -> float:
    """The P&L of the days ``first`` to ``last`` (inclusive) of a daily P&L indexed by date; NaN
    unless the series covers the whole period."""
    covered = bool(len(pnl)) and pnl.index[0] <= pd.Timestamp(first) and pd.Timestamp(last) <= pnl.index[-1]
    inside = pnl.loc[pd.Timestamp(first) : pd.Timestamp(last)]
    return float(inside.sum()) if covered and len(inside) else float("nan")


def hedge_layer_figures(result: BacktestResult, name: str) -> pd.DataFrame:
    """Per hedge layer (L1, L2, L3, static; index ``layer``) of one strategy: ``contracts`` traded
    (absolute quantities, settlements not counted), ``costs`` ($: |fill − mid| × |quantity| ×
    multiplier + commission of each of those trades), ``pnl`` (after costs, $) and
    ``pnl_before_costs`` (``pnl`` + ``costs``). A layer the strategy does not have is all zeros."""
    layers = [layer for layer in LAYER_NAMES if layer != "core"]
    trades = result.trades
    traded = trades[(trades["strategy"] == name) & (trades["action"] != "SETTLE") & trades["layer"].isin(layers)]
    multiplier = traded["instrument"].map(lambda text: Instrument(text).multiplier).astype(np.float64)
    quantity = traded["quantity"].astype(np.float64).abs()
    cost = (traded["fill"] - traded["mid"]).abs() * quantity * multiplier + traded["commission"]
    by_layer = pd.DataFrame({"layer": traded["layer"], "contracts": quantity, "costs": cost}).groupby("layer").sum()
    out = by_layer.reindex(layers, fill_value=0.0).astype(np.float64)
    daily = result.strategy(name)
    out["pnl"] = [float(daily[f"pnl_{layer}"].sum()) for layer in layers]
    out["pnl_before_costs"] = out["pnl"] + out["costs"]
    out.index.name = "layer"
    return out


def negative_share_days(result: BacktestResult, name: str) -> int:
    """Days on which the strategy's hedges ended with a negative hedge share (the daily column
    ``hedge_share``: hedge vega / |core vega| at the close, after the day's trades): hedges that
    added short vega to a short-vega core. Days without a share (NaN: no core) are not counted.

    Raises
    ------
    InputError
        The daily table has no ``hedge_share`` column.
    """
    daily = result.strategy(name)
    if "hedge_share" not in daily.columns:
        raise InputError(f"the daily table of {name!r} has no hedge_share column (the backtest records it each day)")
    return int((daily["hedge_share"].to_numpy(dtype=np.float64) < 0).sum())


def _count(actions: pd.DataFrame, kind: ActionType, column: str | None = None) -> float:
    """How many actions of a kind traded (or the sum of ``column`` over them)."""
    if not len(actions):
        return 0.0
    rows = actions[(actions["type"] == kind.value) & (actions["trades"] > 0)]
    return float(rows[column].sum()) if column else float(len(rows))
