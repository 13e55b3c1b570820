"""The valuation cache: results a caller may reuse while it values books against one market
snapshot (the decision engine values its book several times per decision, the backtest several
books per day). The caller creates it and passes it as ``cache=``; nothing is kept elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pandas as pd

from alvh.book import Book
from alvh.market.snapshot import Market

__all__ = ["MEMO_LEGS", "ValuationCache"]

MEMO_LEGS = 5000
"""Books (and cores) up to this many legs have their valuations kept; larger ones are valued
afresh each time (a large book is seldom valued twice unchanged, and what is kept for it would
hold its arrays in memory)."""

_CONDOR_TABLES = 16
"""Condor tables kept: the decision engine values its book again after each action, most often
with the core unchanged, so the last few cores' tables are enough."""

_T = TypeVar("_T")


class _BookEntry:
    """What is kept of one book: its state when first seen and the results computed for it.

    An unchanged legs table is recognised without comparing its values: the entry keeps a
    shallow copy of it, so that under pandas' copy-on-write any change to the book's table
    (setting cells, adding, replacing or dropping columns, a new index) gives it new column
    arrays or axes, which the entry compares by identity."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.layout = (book.name, book.layers)
        self.view = book.legs.copy(deep=False)  # shares the arrays, so a write to the book's copies them
        self.state = _table_state(book.legs)
        self.results: dict[Hashable, Any] = {}

    def holds(self, book: Book) -> bool:
        """Whether ``book`` is the book of this entry, as it was."""
        state = _table_state(book.legs)
        return (
            book is self.book
            and self.layout == (book.name, book.layers)
            and len(state) == len(self.state)
            and all(a is b for a, b in zip(state, self.state, strict=True))
        )


def _table_state(legs: pd.DataFrame) -> list[Any]:
    """The table's axes and column arrays (pandas' block arrays: reading them copies nothing)."""
    return [legs.columns, legs.index, *legs._mgr.arrays]


class ValuationCache:
    """Valuations of books against one market snapshot, kept to be reused: a book's valuation and
    kernel inputs (per unchanged book), its core's condor table, and the probability of profit of
    each condor.

    Share one cache across the valuations of one market snapshot — one decision, one backtest day
    — and across any books valued there: a result is reused only for the same snapshot (the very
    object) and the same book state (the same book object with the same layers and a legs table
    unchanged: the same column arrays and axes, which any edit under pandas' copy-on-write
    replaces; condor tables and probabilities are keyed by their inputs' values).
    Used with another snapshot, the cache forgets what it held and starts afresh, so one may also
    be kept across days: it never returns a result computed for another snapshot or book state.
    A cache is not for use from several threads at once.

    What it keeps, for the one snapshot it serves: one entry per book object valued (books of
    more than :data:`MEMO_LEGS` legs are not kept), the last 16 condor tables, and one
    probability per distinct condor payoff.
    """

    def __init__(self) -> None:
        self._market: Market | None = None
        self._books: dict[int, _BookEntry] = {}
        self._condors: dict[Hashable, pd.DataFrame] = {}
        self._probabilities: dict[Hashable, float] = {}

    def _serve(self, market: Market) -> None:
        """Hold results for ``market`` from now on (forgetting those of another snapshot)."""
        if market is not self._market:
            self._market = market  # held, so that its identity cannot pass to another snapshot
            self._books.clear()
            self._condors.clear()
            self._probabilities.clear()

    def for_book(self, book: Book, market: Market, what: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, or its result from an earlier call for ``what`` of this same, unchanged
        book (the same object, its legs table unchanged: :class:`_BookEntry`) at ``market``."""
        if len(book.legs) > MEMO_LEGS:
            return compute()
        self._serve(market)
        entry = self._books.get(id(book))  # the entry holds the book, so its id is not reused meanwhile
        if entry is None or not entry.holds(book):
            entry = self._books[id(book)] = _BookEntry(book)
        if what not in entry.results:
            entry.results[what] = compute()
        result: _T = entry.results[what]
        return result

    def condor_table(self, market: Market, key: Hashable, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """``compute()``, or the table computed for the same ``key`` (the core's legs and numbers)
        at ``market``; a copy either way, so that a caller's change leaves the kept one as it was."""
        self._serve(market)
        if key not in self._condors:
            while len(self._condors) >= _CONDOR_TABLES:
                self._condors.pop(next(iter(self._condors)))
            self._condors[key] = compute()
        return self._condors[key].copy()

    def probability_of_profit(self, market: Market, key: Hashable, compute: Callable[[], float]) -> float:
        """``compute()``, or the probability computed for the same ``key`` (a condor's expiry,
        time and payoff) at ``market``: the same condor recurs in every valuation of the day."""
        self._serve(market)
        if key not in self._probabilities:
            self._probabilities[key] = compute()
        return self._probabilities[key]
