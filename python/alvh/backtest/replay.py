"""Backtest of the ALVH method on daily SPX and VIX history: naked condors, ALVH-hedged condors and
a static VIX-call hedge, on identical condor entries — **model-priced** (no historical option
prices: every leg is priced from the day's closes by :mod:`alvh.market.model`); see
docs/method.md, Backtest.

Each trading day t, for each strategy, in this order (everything uses data up to t only):

1. **Market.** The day's model market from the SPX and VIX closes of t (and the anchor, an
   average of VIX closes up to t; quoted ``vx1``… futures when the history has them).
2. **Settlement.** Legs expiring on or before t leave the book at intrinsic value
   (:mod:`alvh.backtest.ledger`).
3. **The ladder** (identical for all three strategies): core condors are closed at the close on
   which their DTE falls to ``exit_dte`` or below (0: held to expiry), and on each
   ``entry_weekday`` ``units`` iron condors are sold (short strikes at ``short_delta``, wings
   ``wing_width`` points out, the SPXW Friday expiry nearest ``entry_dte`` days ahead).
4. **Static hedge** (strategy ``static`` only): Cboe VXTH-style. On the first day and on the
   first trading day on or after each monthly VIX expiry, buy VIX calls of the next expiry (about
   one month) at ``call_delta``, for a share of the equity that depends on the front VIX future
   (VXTH's tiers by default: 0 % up to 15, 1 % up to 30, 0.5 % up to 50, none above), held to
   expiry.
5. **Management: the same code path as** ``alvh report``: :func:`alvh.method.decisions.decide` on the book,
   the day's market, the rules, the signals of :func:`alvh.method.signals.signal_snapshot` on the closes
   up to t (every day's at once, by :func:`alvh.method.signals.signal_history`), the event calendar, the
   SPX closes up to t, whether CPI/PPI are rising (the history's ``cpi``/``ppi`` columns, releases
   up to t; :func:`alvh.method.signals.inflation_rising_by_day`, as ``alvh report``) and the core's
   theta realisation over the five sessions to the previous close; every trade of every action
   is executed (the replay records actions, not rules: only the rules the engine's steps read are
   evaluated, ``all_rules=False``, with the same actions). ``alvh`` uses the rules as configured;
   ``naked`` and ``static`` switch off the hedge rules (:data:`alvh.backtest.config.HEDGE_RULES`),
   so the core is still rolled, reduced and laddered by R-ROLL, R-CROWDED-BE, R-MACD-LADDER and
   R-SKEW-ADD — those rules read only the core and the signals, so the core's trades are the same
   in all three strategies and the comparison isolates the hedges.
6. **Marks.** The book is marked at model mid prices (futures at the model futures price).

Fills, costs and cash are those of :mod:`alvh.backtest.ledger`. Equity = capital + cash + MTM;
the daily P&L is the change in equity, and per layer the change in the layer's MTM plus its cash
flows — the layers sum to the total.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from alvh.backtest.config import STRATEGIES, BacktestConfig
from alvh.backtest.results import BacktestResult, Records, backtest_result
from alvh.backtest.strategy import Strategy, Today
from alvh.book import Leg
from alvh.book.builders import iron_condor
from alvh.exceptions import InputError
from alvh.market.expiries import vix_expiry
from alvh.market.history import check_history
from alvh.market.model import market_from_closes, spx_expiries, vix_anchor
from alvh.market.snapshot import Market
from alvh.method.signals import inflation_rising_by_day, signal_history
from alvh.scale.cluster import SCHEDULER_ENV
from alvh.scale.executor import Executor

__all__ = [
    "PARALLEL_DAYS",
    "SHARED_MARKET_DAYS",
    "MarketDay",
    "Run",
    "market_days",
    "replay",
    "run_backtest",
    "trading_run",
]

SHARED_MARKET_DAYS = 2500
"""Runs of at most this many trading days (about ten years) have their days' markets computed
once, by the caller, and sent with the jobs (they are the same for every strategy): about 3.5 KB a
day in a job's task, which Dask warns about past 10 MB. The processes of a longer run compute
their own. In a task (not scattered to one worker) they go wherever Dask reruns a job."""

PARALLEL_DAYS = 250
"""Runs of at least this many trading days (about a year) spread the strategies over worker
processes by default: a local cluster takes about a second to start, which shorter runs do not
win back on two cores (2015, 252 days: 5.5–5.6 s in one process, 5.05 s on a cluster; its first
half, 124 days: 3.0–3.1 s and 3.8 s, imports included)."""


@dataclass(frozen=True)
class MarketDay:
    """What one trading day gives every strategy alike (module docstring, steps 1 and 3): the
    model market and the condors the ladder sells (None on days without an entry)."""

    market: Market
    entry_legs: tuple[Leg, ...] | None


@dataclass(frozen=True)
class Run:
    """What every process of a run shares: the history and the trading days ``first`` to
    ``last`` (positions in it, ``last`` excluded)."""

    history: pd.DataFrame
    config: BacktestConfig
    first: int
    last: int
    markets: tuple[MarketDay, ...] | None = None
    """The trading days' :func:`market_days` of this run's history and config, when computed once
    for every process of the run; None: each replay computes them."""

    def __post_init__(self) -> None:
        if self.markets is None:
            return
        dates = self.history.index
        wanted = [dates[self.first].date(), dates[self.last - 1].date()]
        given = [self.markets[0].market.as_of.date(), self.markets[-1].market.as_of.date()] if self.markets else []
        if len(self.markets) != self.last - self.first or given != wanted:
            raise InputError(
                f"Run.markets: {len(self.markets)} markets, need one per trading day from {wanted[0]} to "
                f"{wanted[1]} ({self.last - self.first}): use market_days(run)"
            )


def run_backtest(
    history: pd.DataFrame,
    config: BacktestConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> BacktestResult:
    """Replay the three strategies over ``history`` (:func:`alvh.market.history.load_history`'s
    frame) — see the module docstring.

    Parameters
    ----------
    history
        Daily closes indexed by date (:func:`~alvh.market.history.check_history` rules).
    config
        The run's settings (default :class:`BacktestConfig`).
    progress
        Called as ``progress(days_done, days_total)`` after each day (of the ALVH strategy when
        the work is spread over processes).
    workers
        Processes to spread the strategies over: the ALVH strategy runs in this one, the others
        as ``workers - 1`` jobs of :class:`alvh.scale.Executor` (they are independent; results
        are identical for any number). Default: 3 with a ``scheduler``; else one per CPU, at most
        3, for runs of at least :data:`PARALLEL_DAYS` days, and 1 for shorter ones (a local
        cluster takes seconds to start). Without Dask and no scheduler, everything runs here.
    scheduler
        A Dask scheduler (``tcp://HOST:PORT``) for the jobs; default ``$ALVH_SCHEDULER``, else a
        local cluster of ``workers - 1`` processes (:class:`alvh.scale.Executor`), started as
        this begins: the days' markets (:func:`market_days`) are computed here meanwhile, once,
        and sent with the jobs (runs of up to :data:`SHARED_MARKET_DAYS` days).

    Raises
    ------
    InputError
        A bad history, fewer than ``config.warmup`` days of it before the first trading day,
        ``workers`` below 1, or no scheduler at ``scheduler``.
    MissingDependencyError
        A scheduler named and Dask not installed.
    """
    config = config or BacktestConfig()
    run = trading_run(history, config)
    dates = history.index
    if workers is None:
        remote = scheduler or os.environ.get(SCHEDULER_ENV)
        long = run.last - run.first >= PARALLEL_DAYS
        workers = len(STRATEGIES) if remote else min(len(STRATEGIES), os.cpu_count() or 1) if long else 1
    if workers < 1:
        raise InputError(f"workers = {workers} is not allowed: use at least 1")
    # the slowest strategy (ALVH) runs here and reports the progress; the others are jobs
    split = np.array_split(["naked", "static"], workers - 1) if workers > 1 else []
    groups = [tuple(str(n) for n in group) for group in split if len(group)]
    with Executor(
        scheduler, workers=len(groups), feature="a backtest on a Dask scheduler", preload=[__name__]
    ) as executor:
        if groups and run.last - run.first <= SHARED_MARKET_DAYS:  # computed here once, while the cluster starts
            run = replace(run, markets=tuple(market_days(run)))
        jobs = [executor.submit(replay, run, group) for group in groups]
        records = replay(run, ("alvh",) if jobs else STRATEGIES, progress)
        for job in jobs:
            records |= job.result()
    ordered = {name: records[name] for name in STRATEGIES}
    return backtest_result(ordered, dates=dates, capital=config.capital, config=config)


def trading_run(history: pd.DataFrame, config: BacktestConfig) -> Run:
    """The run of ``config`` on ``history``: its trading days from ``config.start`` (at least
    ``config.warmup`` days into the history) to ``config.end``.

    Raises
    ------
    InputError
        A bad history, or no trading day with ``config.warmup`` days of history before it.
    """
    check_history(history)
    dates = history.index
    first = max(config.warmup, int(dates.searchsorted(pd.Timestamp(config.start)))) if config.start else config.warmup
    last = int(dates.searchsorted(pd.Timestamp(config.end), side="right")) if config.end else len(dates)
    if first >= last:
        raise InputError(
            f"history: no trading day between {config.start or 'the start'} and {config.end or 'the end'} with "
            f"{config.warmup} days of history before it (history runs {dates[0].date()} to {dates[-1].date()})"
        )
    return Run(history, config, first, last)


REPLAY_TEXT_STORAGE = "python"
"""Where the replay's tables keep their text (pandas' ``mode.string_storage`` while it runs): a
day builds hundreds of small tables and reads their text cell by cell, which costs several times
more from pyarrow's arrays than from Python strings (the default backtest: about 15 % of its CPU).
The text is the same either way, and so are the results (tested). pandas' options are global to
the process: another thread building tables meanwhile gets this storage too, with the same text."""


def replay(run: Run, names: tuple[str, ...], progress: Callable[[int, int], None] | None = None) -> dict[str, Records]:
    """Run the strategies ``names`` over the trading days (module docstring, steps 1–6)."""
    rules = run.config.strategy_rules()
    strategies = [Strategy(name, rules[name], run.config) for name in names]
    total = run.last - run.first
    with pd.option_context("mode.string_storage", REPLAY_TEXT_STORAGE):
        for done, today in enumerate(_days(run), start=1):
            for strategy in strategies:
                strategy.step(today)
            if progress is not None:
                progress(done, total)
    return {s.name: s.records for s in strategies}


def market_days(run: Run) -> Iterator[MarketDay]:
    """The model market of each trading day (from its closes, the VIX anchor and any quoted
    futures) and the condors the ladder sells on it (module docstring, steps 1 and 3)."""
    history, config, ladder = run.history, run.config, run.config.ladder
    futures = [c for c in history.columns if c.startswith("vx")]
    dates = history.index
    closes = history[["spx", "vix"]].to_numpy(np.float64)
    anchors = vix_anchor(history["vix"], config.market).to_numpy(np.float64)
    quotes = history[futures].to_numpy(np.float64)
    for i in range(run.first, run.last):
        when = dates[i].date()
        market = market_from_closes(
            when,
            float(closes[i, 0]),
            float(closes[i, 1]),
            params=config.market,
            anchor=float(anchors[i]),
            vix_futures=quotes[i].tolist(),
        )
        entry_legs = None  # the same condors for every strategy: identical entries
        if when.weekday() == ladder.entry_weekday:
            expiry = _entry_expiry(when, ladder.entry_dte, config.market.spx_expiry_days)
            entry_legs = iron_condor(
                market, expiry, short_delta=ladder.short_delta, wing_width=ladder.wing_width, quantity=ladder.units
            )
        yield MarketDay(market, entry_legs)


def _days(run: Run) -> Iterator[Today]:
    """What each trading day gives the strategies (module docstring, steps 1 and 3)."""
    history, config = run.history, run.config
    spx, vix = history["spx"], history["vix"]
    dates = history.index
    events = config.calendar()
    signals_by_day = signal_history(
        spx_closes=spx, vix_closes=vix, front_future_closes=history.get("vx1"), ad_line=history.get("ad_line")
    )
    inflation = inflation_rising_by_day(history).to_numpy(object)  # as of each day: releases up to it
    previous: dt.date | None = None
    markets = run.markets if run.markets is not None else market_days(run)
    for i, day in zip(range(run.first, run.last), markets, strict=True):
        when = dates[i].date()
        yield Today(
            when=when,
            previous=previous,
            market=day.market,
            signals=signals_by_day[dates[i]],
            events=events,
            spx_history=spx.iloc[: i + 1],
            inflation_rising=inflation[i],
            spx_close=_close_on(spx, i),
            vix_close=_close_on(vix, i),
            entry_legs=day.entry_legs,
            vix_roll=_roll_day(previous, when),
        )
        previous = when


def _close_on(closes: pd.Series, i: int) -> Callable[[dt.date], float]:
    """The close of the last trading day on or before a date, among the days up to ``i``."""
    dates = closes.index

    def close(day: dt.date) -> float:
        j = min(int(dates.searchsorted(pd.Timestamp(day), side="right")) - 1, i)
        return float(closes.iloc[j])

    return close


def _entry_expiry(when: dt.date, target_dte: int, listed_days: int) -> dt.date:
    """The listed SPXW Friday nearest ``target_dte`` days ahead (ties: the later)."""
    expiries = spx_expiries(when, listed_days)
    return min(expiries, key=lambda e: (abs((e - when).days - target_dte), -(e - when).days))


def _roll_day(previous: dt.date | None, when: dt.date) -> bool:
    """The first trading day of the run, or the first on or after a monthly VIX expiry."""
    if previous is None:
        return True
    months = {(previous.year, previous.month), (when.year, when.month)}
    return any(previous < vix_expiry(y, m) <= when for y, m in months)
