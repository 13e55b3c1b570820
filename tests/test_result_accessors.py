"""One rule for the accessors of alvh's objects: a derived value without arguments is a property
(``grid.hedge_offset`` like ``stress.hedge_offset``, ``result.summary``, ``report.layers``); a
method takes arguments or converts the object (``to_frame()``, ``to_dict()``, ``to_xarray()``).
Checked on every public class of every module of the package, so a new class is held to it too."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import alvh

ACTIONS = {
    ("alvh.app.journal", "Journal", "close"): "releases the journal file",
    ("alvh.app.journal", "Journal", "books"): "reads the journal file each call",
    ("alvh.app.market_commands", "ChainOptions", "calibrate"): "runs a calibration",
    ("alvh.backtest.config", "BacktestConfig", "strategy_rules"): "reads the rule files each call",
    ("alvh.backtest.config", "BacktestConfig", "calendar"): "reads the event file each call",
    ("alvh.scale.executor", "Job", "result"): "waits for the job",
    ("alvh.scale.executor", "Executor", "close"): "shuts the workers down",
}
"""Argument-free methods that act (wait, stop, close, read a file) rather than derive a value."""


def _public_classes() -> list[tuple[str, type]]:
    classes = []
    for module in pkgutil.walk_packages(alvh.__path__, "alvh."):
        if module.name.endswith("__main__"):  # running it is the command line
            continue
        loaded = importlib.import_module(module.name)
        classes += [
            (module.name, kind)
            for name, kind in vars(loaded).items()
            if inspect.isclass(kind) and kind.__module__ == module.name and not name.startswith("_")
        ]
    return classes


def test_the_walk_finds_the_result_classes() -> None:
    """The check below is only as good as its list: it holds the result objects of every layer."""
    names = {kind.__name__ for _, kind in _public_classes()}
    assert {"Book", "BookRisk", "ScenarioGrid", "StressResult", "Decision", "Action", "Report"} <= names
    assert {"BacktestResult", "Market", "Greeks", "StressScenarios", "Trade"} <= names


def test_methods_without_arguments_are_conversions_or_actions() -> None:
    bare = [
        f"{module}.{kind.__name__}.{name}"
        for module, kind in _public_classes()
        for name, member in vars(kind).items()
        if inspect.isfunction(member)
        and not name.startswith(("_", "to_"))
        and list(inspect.signature(member).parameters) == ["self"]
        and (module, kind.__name__, name) not in ACTIONS
    ]
    assert bare == [], f"these take no argument: make them properties (or to_… conversions): {', '.join(bare)}"


def test_every_allowed_action_still_exists() -> None:
    """An allow-list entry whose method went away would hide the next one of that name."""
    classes = {(module, kind.__name__): kind for module, kind in _public_classes()}
    missing = [key for key in ACTIONS if key[2] not in vars(classes.get(key[:2], object))]
    assert missing == []
