"""The experiment (README, "The experiment"): hedge variants replayed on the same core, data and
costs, under the base settings and the robustness settings (trading costs halved and doubled, the
model futures curve's premium at 0, 3 and 5 points).

Every variant is a strategy of the backtest: ``naked`` and ``static`` as :mod:`alvh.backtest.replay`
runs them, and each ALVH variant the ``alvh`` strategy with its own rule changes
(:attr:`Variant.rules`, applied over ``overrides.alvh`` of the configuration). Each (setting,
variant) replay is one job; the jobs run on a Dask cluster (:class:`alvh.scale.Executor`: a local
one, or any by address) and their results are keyed by (setting, variant), so they are the same
for any number of workers. ``naked`` and ``static`` run once per setting, in one job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from alvh.backtest.config import STRATEGIES, BacktestConfig
from alvh.backtest.replay import Run, replay, trading_run
from alvh.backtest.results import BacktestResult, backtest_result
from alvh.exceptions import ConfigError, InputError
from alvh.scale.executor import Executor

__all__ = [
    "BASE",
    "METHOD_TODAY",
    "PREMIUMS",
    "VARIANTS",
    "Experiment",
    "Setting",
    "Variant",
    "robustness_settings",
    "run_experiment",
    "variant_config",
]


@dataclass(frozen=True)
class Variant:
    """One column of the experiment: a backtest strategy and, for ``alvh``, its rule changes."""

    name: str
    strategy: Literal["naked", "static", "alvh"]
    description: str
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Rule changes of an ALVH variant (as ``overrides.alvh``: rule id → fields)."""


METHOD_TODAY: dict[str, dict[str, Any]] = {
    "R-HEDGE-VEGA": {
        "enabled": True,
        "trade_to": "centre",
        "target_min": 0.40,
        "target_max": 0.60,
        "objective": "contracts",
        "min_hold_days": 0,
        "smoothing_days": 1,
    },
    "R-DELTA": {"instrument": "vix", "target_abs": 0.15, "vix_vega_cap": 100.0},  # no cap in effect
    "R-DELAYER": {"gain_only": False},
    "R-SLEEVE-VEGA": {"enabled": True},
    "R-STRESS": {"enabled": False},
}
"""The rules that give the decision engine as it was before issue 11: trade a breach back to the
centre of the band, fewest contracts, delta held with VIX futures, layers closed at a loss too."""

_BANDS: dict[str, dict[str, Any]] = {
    "R-HEDGE-VEGA": {"enabled": True, "trade_to": "edge", "objective": "dollars"},
    "R-DELAYER": {"gain_only": True},
    "R-SLEEVE-VEGA": {"enabled": True},
    "R-STRESS": {"enabled": False},
}
"""The Greek bands with hysteresis, whatever the rules file's defaults."""

VARIANTS: tuple[Variant, ...] = (
    Variant("naked", "naked", "the core condors, no hedge"),
    Variant("static", "static", "VXTH-style monthly 30-delta VIX calls"),
    Variant("method-today", "alvh", "the method as it was: trade to the band's centre, delta with VIX", METHOD_TODAY),
    Variant(
        "hysteresis",
        "alvh",
        "trigger and target bands, dollar sizing; delta with VIX",
        {**_BANDS, "R-DELTA": {"instrument": "vix"}},
    ),
    Variant(
        "es-delta",
        "alvh",
        "hysteresis, with SPX delta hedged by ES/MES futures",
        {**_BANDS, "R-DELTA": {"instrument": "es"}},
    ),
    Variant(
        "stress",
        "alvh",
        "stress-budgeted sizing in place of the vega bands; delta with ES/MES",
        {
            "R-STRESS": {"enabled": True},
            "R-HEDGE-VEGA": {"enabled": False},
            "R-SLEEVE-VEGA": {"enabled": False},
            "R-DELTA": {"instrument": "es"},
            "R-DELAYER": {"gain_only": True},
        },
    ),
)
"""The experiment's variants, in the tables' order (the one place they are defined)."""


@dataclass(frozen=True)
class Setting:
    """Market and cost settings a replay runs under: the configuration's trading costs times
    ``cost_factor``, and the model futures curve's ``anchor_premium`` (None: the configuration's)."""

    name: str
    cost_factor: float = 1.0
    anchor_premium: float | None = None

    def apply(self, config: BacktestConfig) -> BacktestConfig:
        """``config`` under this setting."""
        market = config.market
        if self.anchor_premium is not None:
            market = market.model_copy(update={"anchor_premium": self.anchor_premium})
        return config.model_copy(update={"costs": config.costs.scaled(self.cost_factor), "market": market})


BASE = Setting("base")
PREMIUMS = (0.0, 3.0, 5.0)
"""The model futures curve's premiums (VIX points, :attr:`alvh.market.model.ModelParams.anchor_premium`)
the robustness runs try."""


def robustness_settings(config: BacktestConfig) -> tuple[Setting, ...]:
    """The base setting, the costs ×0.5 and ×2, and each of :data:`PREMIUMS` that is not the
    configuration's own premium."""
    premiums = [Setting(f"premium {p:g}", anchor_premium=p) for p in PREMIUMS if p != config.market.anchor_premium]
    return (BASE, Setting("costs x0.5", cost_factor=0.5), Setting("costs x2", cost_factor=2.0), *premiums)


def variant_config(config: BacktestConfig, variant: Variant) -> BacktestConfig:
    """``config`` with the variant's rule changes over its ``overrides.alvh`` (field by field)."""
    if not variant.rules:
        return config
    alvh = {rule: dict(fields) for rule, fields in config.overrides.get("alvh", {}).items()}
    for rule, fields in variant.rules.items():
        alvh[rule] = {**alvh.get(rule, {}), **fields}
    return config.model_copy(update={"overrides": {**config.overrides, "alvh": alvh}})


@dataclass(frozen=True)
class Experiment:
    """The replays of an experiment: one single-strategy :class:`BacktestResult` per (setting,
    variant)."""

    config: BacktestConfig
    variants: tuple[Variant, ...]
    settings: tuple[Setting, ...]
    results: dict[tuple[str, str], BacktestResult]
    quoted_futures: tuple[str, ...]
    """The history's quoted VIX futures columns (``vx1``…), which replace the model curve."""

    @property
    def naked(self) -> Variant:
        """The variant every other is compared with."""
        return next(v for v in self.variants if v.strategy == "naked")

    def result(self, setting: str, variant: str) -> BacktestResult:
        return self.results[(setting, variant)]

    def daily(self, setting: str, variant: str) -> pd.DataFrame:
        """The daily table of a variant under a setting, indexed by date."""
        found = next(v for v in self.variants if v.name == variant)
        return self.result(setting, variant).strategy(found.strategy)


@dataclass(frozen=True)
class _Job:
    setting: Setting
    run: Run
    names: tuple[str, ...]
    """The strategies it replays."""
    variants: tuple[Variant, ...]
    """The variant each strategy is, in ``names`` order."""


def run_experiment(
    history: pd.DataFrame,
    config: BacktestConfig | None = None,
    *,
    variants: Sequence[Variant] = VARIANTS,
    settings: Sequence[Setting] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Experiment:
    """Replay every variant under every setting (module docstring).

    Parameters
    ----------
    history
        Daily closes (:func:`alvh.market.history.load_history`); quoted ``vx1``… columns replace
        the model futures curve.
    config
        The run's settings (default :class:`BacktestConfig`); the variants change only the ALVH
        strategy's rules.
    variants
        Exactly one ``naked`` variant (the comparison), at most one ``static``, any ALVH ones;
        names unique.
    settings
        Default :func:`robustness_settings` of ``config``; the first is the base.
    workers
        Worker processes of the local cluster the replays run on (default: one per CPU); 1 runs
        them here, one by one, as does a missing Dask with no scheduler.
    scheduler
        A Dask scheduler (``tcp://HOST:PORT``) to run the replays on instead; default
        ``$ALVH_SCHEDULER``.
    progress
        Called as ``progress(replays_done, replays_total)``.

    Raises
    ------
    InputError
        A bad history or window, a bad variant list, ``workers`` below 1, or no scheduler at
        ``scheduler``.
    MissingDependencyError
        A scheduler named and Dask not installed.
    ConfigError
        A variant's rule changes that the rules refuse (named), checked before any replay.
    """
    config = config or BacktestConfig()
    settings = tuple(settings) if settings is not None else robustness_settings(config)
    variants = tuple(variants)
    _check_variants(variants, settings)
    if workers is not None and workers < 1:
        raise InputError(f"workers = {workers} is not allowed: use at least 1")
    jobs = _jobs(history, config, variants, settings)
    local = 0 if workers == 1 else workers  # one process: this one
    with Executor(
        scheduler, workers=local, feature="an experiment on a Dask scheduler", preload=[replay.__module__]
    ) as executor:
        records = executor.map(replay, [(job.run, job.names) for job in jobs], progress)
    results: dict[tuple[str, str], BacktestResult] = {}
    for job, by_strategy in zip(jobs, records, strict=True):
        for name, variant in zip(job.names, job.variants, strict=True):
            single = {name: by_strategy[name]}
            results[(job.setting.name, variant.name)] = backtest_result(
                single, dates=history.index, capital=job.run.config.capital, config=job.run.config
            )
    ordered = {(s.name, v.name): results[(s.name, v.name)] for s in settings for v in variants}
    futures = tuple(c for c in history.columns if c.startswith("vx"))
    return Experiment(config, variants, settings, ordered, futures)


def _check_variants(variants: tuple[Variant, ...], settings: tuple[Setting, ...]) -> None:
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise InputError(f"variants: names must be unique (got {', '.join(names)})")
    strategies = [v.strategy for v in variants]
    if strategies.count("naked") != 1 or strategies.count("static") > 1:
        raise InputError("variants: need exactly one naked variant (the comparison) and at most one static")
    unknown = [v.name for v in variants if v.strategy not in STRATEGIES]
    if unknown:
        raise InputError(f"variants {', '.join(unknown)}: strategy must be one of {', '.join(STRATEGIES)}")
    if not settings or len({s.name for s in settings}) != len(settings):
        raise InputError("settings: need at least one, with unique names")


def _jobs(
    history: pd.DataFrame, config: BacktestConfig, variants: tuple[Variant, ...], settings: tuple[Setting, ...]
) -> list[_Job]:
    """One job per setting and ALVH variant, then one per setting for naked and static (the ALVH
    replays take longest and start first); every job's rules are checked here, before any runs."""
    hedged = [v for v in variants if v.strategy == "alvh"]
    plain = tuple(v for v in variants if v.strategy != "alvh")
    jobs = []
    for variant in hedged:
        for setting in settings:
            jobs.append(_job(history, variant_config(setting.apply(config), variant), setting, (variant,)))
    for setting in settings:
        jobs.append(_job(history, setting.apply(config), setting, plain))
    return jobs


def _job(history: pd.DataFrame, config: BacktestConfig, setting: Setting, variants: tuple[Variant, ...]) -> _Job:
    try:
        config.strategy_rules()
    except ConfigError as e:
        raise ConfigError(f"variant {', '.join(v.name for v in variants)}: {e}") from None
    return _Job(setting, trading_run(history, config), tuple(v.strategy for v in variants), variants)
