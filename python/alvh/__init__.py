"""alvh — risk of SPX iron-condor books hedged with layered VIX instruments.

The array kernels (Rust): :func:`price`, :func:`greeks`, :func:`implied_vol`.

Books and markets: :class:`Book`, :class:`Layer`, :class:`Leg`, :class:`Market`
(:func:`load_book`, :func:`load_market`), :func:`value_book`, :func:`scenario_grid`,
:func:`stress_test`; the method: :class:`Rules` (:func:`load_rules`) and :func:`risk_report`
:func:`decide`. These load on first use (PEP 562), so ``import alvh`` stays as light as the kernels need
(numpy only).

The package is layered, each layer importing only those before it: :mod:`alvh.market` →
:mod:`alvh.book` → :mod:`alvh.risk` → :mod:`alvh.method` → :mod:`alvh.backtest` → :mod:`alvh.app`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from alvh import exceptions
from alvh._core import __version__, simd_level, thread_count
from alvh.pricing import Greeks, IVStatus, Model, greeks, implied_vol, price

if TYPE_CHECKING:
    from alvh.app.report import risk_report
    from alvh.book import Book, Layer, Leg, load_book
    from alvh.market import Market, load_market
    from alvh.method import Rules, decide, load_rules
    from alvh.risk import scenario_grid, stress_test, value_book

_LAZY = {
    "Book": "alvh.book",
    "Layer": "alvh.book",
    "Leg": "alvh.book",
    "load_book": "alvh.book",
    "Market": "alvh.market",
    "load_market": "alvh.market",
    "value_book": "alvh.risk",
    "scenario_grid": "alvh.risk",
    "stress_test": "alvh.risk",
    "Rules": "alvh.method",
    "load_rules": "alvh.method",
    "decide": "alvh.method",
    "risk_report": "alvh.app.report",
}

__all__ = [
    "Book",
    "Greeks",
    "IVStatus",
    "Layer",
    "Leg",
    "Market",
    "Model",
    "Rules",
    "__version__",
    "decide",
    "exceptions",
    "greeks",
    "implied_vol",
    "load_book",
    "load_market",
    "load_rules",
    "price",
    "risk_report",
    "scenario_grid",
    "simd_level",
    "stress_test",
    "thread_count",
    "value_book",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'alvh' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
