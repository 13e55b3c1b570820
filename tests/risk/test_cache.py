"""The valuation cache a caller owns: a hit gives the numbers of a fresh valuation, a changed book
or another market snapshot never hits, a caller's change to its results stays its own, and no
cache is kept at module level."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import alvh
from alvh.book import Book, Layer, LayerSpec, Leg, Role
from alvh.data import example_book, example_market
from alvh.market import snapshot
from alvh.market.snapshot import Market
from alvh.risk import ValuationCache, scenario_grid, stress_test, valuation, vega_reconciliation
from alvh.risk.cache import MEMO_LEGS
from alvh.risk.kernel_inputs import leg_arrays
from alvh.risk.valuation import BookRisk, value_book


@pytest.fixture
def valuations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the books valued from scratch (not served by a cache) during a test."""
    done: list[str] = []
    compute = valuation._value_book

    def counted(book: Book, *args: Any) -> BookRisk:
        done.append(book.name)
        return compute(book, *args)

    monkeypatch.setattr(valuation, "_value_book", counted)
    yield done


def with_spot(market: Market, spot: float) -> Market:
    return market.model_copy(update={"spx": market.spx.model_copy(update={"spot": spot})})


def assert_same_risk(a: BookRisk, b: BookRisk) -> None:
    """Bit for bit the same tables."""
    for name in ("legs", "layers", "condors"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    pd.testing.assert_series_equal(a.total, b.total, check_exact=True)
    assert (a.as_of, a.book, a.core_units) == (b.as_of, b.book, b.core_units)


def test_a_cache_hit_gives_the_numbers_of_a_fresh_valuation(valuations: list[str]) -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    first = value_book(book, market, cache=cache)
    again = value_book(book, market, cache=cache)
    assert len(valuations) == 1  # the second was a hit
    assert_same_risk(again, first)
    assert_same_risk(again, value_book(example_book(), example_market()))


def test_without_a_cache_nothing_is_reused_across_calls(valuations: list[str]) -> None:
    book, market = example_book(), example_market()
    value_book(book, market)
    value_book(book, market)
    assert len(valuations) == 2


def test_revaluing_an_unchanged_book_gives_the_same_tables() -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    first = value_book(book, market, cache=cache)
    first.legs["scratch"] = 1.0  # a caller's change to its tables stays its own
    first.layers.loc["core", "theta"] = 0.0
    second = value_book(book, market, cache=cache)
    assert "scratch" not in second.legs.columns
    fresh = value_book(example_book(), market)
    pd.testing.assert_frame_equal(second.layers, fresh.layers)
    pd.testing.assert_frame_equal(second.legs, fresh.legs)
    pd.testing.assert_frame_equal(second.condors, fresh.condors)


def test_a_book_changed_in_place_is_valued_again() -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    before = value_book(book, market, cache=cache)
    book.legs.loc[0, "quantity"] = 2 * book.legs.loc[0, "quantity"]
    after = value_book(book, market, cache=cache)
    assert after.legs.loc[0, "market_value"] == pytest.approx(2 * before.legs.loc[0, "market_value"])


EDITS_IN_PLACE: dict[str, Callable[[pd.DataFrame], None]] = {
    "loc cell": lambda legs: legs.loc.__setitem__((1, "quantity"), 3.0),
    "iat cell": lambda legs: legs.iat.__setitem__((1, legs.columns.get_loc("strike")), legs.iat[1, 4] + 5.0),
    "column replaced": lambda legs: legs.__setitem__("quantity", legs["quantity"] * 2.0),
    "update": lambda legs: legs.update(pd.DataFrame({"quantity": legs["quantity"] * 3.0})),
    "fillna in place": lambda legs: legs.fillna({"entry_price": 1.0}, inplace=True),
    "loc column": lambda legs: legs.loc.__setitem__((slice(None), "strike"), legs["strike"] + 1.0),
}


@pytest.mark.parametrize("edit", EDITS_IN_PLACE.values(), ids=EDITS_IN_PLACE.keys())
def test_any_edit_in_place_is_seen(edit: Callable[[pd.DataFrame], None]) -> None:
    """The cache recognises an unchanged table by its arrays' identity (pandas' copy-on-write
    gives a written table new ones): every kind of edit must give the fresh valuation."""
    book, market, cache = example_book(), example_market(), ValuationCache()
    value_book(book, market, cache=cache)
    edit(book.legs)
    fresh = value_book(Book.from_table(book.name, book.layers, book.legs.copy()), market)
    assert_same_risk(value_book(book, market, cache=cache), fresh)


def test_a_changed_book_never_hits(valuations: list[str]) -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    value_book(book, market, cache=cache)
    hedged = book.with_legs([("L2", Leg("VXM", dt.date(2027, 1, 20), 5))])
    assert_same_risk(value_book(hedged, market, cache=cache), value_book(hedged, market))
    book.name = "renamed"  # the same object, changed
    assert value_book(book, market, cache=cache).book == "renamed"
    book.layers = (*book.layers[:-1], LayerSpec(book.layers[-1].name, Role.CUSTOM))
    assert value_book(book, market, cache=cache).layers["role"].iloc[-1] == Role.CUSTOM.value
    assert len(valuations) == 5
    value_book(book, market, cache=cache)
    assert len(valuations) == 5  # unchanged since: a hit


def test_another_market_never_hits(valuations: list[str]) -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    first = value_book(book, market, cache=cache)
    moved = with_spot(market, market.spx.spot * 1.01)
    on_moved = value_book(book, moved, cache=cache)
    assert on_moved.total["market_value"] != first.total["market_value"]
    assert_same_risk(on_moved, value_book(example_book(), moved))
    # an equal snapshot that is another object is another snapshot too: valued afresh, same numbers
    assert_same_risk(value_book(book, example_market(), cache=cache), first)
    assert len(valuations) == 4


def test_condor_tables_and_probabilities_follow_the_market() -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    condors = value_book(book, market, cache=cache).condors
    for spot in (0.97, 1.03):
        moved = with_spot(market, market.spx.spot * spot)
        on_moved = value_book(book, moved, cache=cache).condors
        pd.testing.assert_frame_equal(on_moved, value_book(example_book(), moved).condors, check_exact=True)
        assert (on_moved["probability_of_profit"] != condors["probability_of_profit"]).all()


def test_condor_metrics_are_shared_by_books_with_the_same_core_and_only_by_them() -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    first = value_book(book, market, cache=cache).condors
    first.loc["IC-2026-12-11", "max_loss"] = 0.0  # a caller's change stays its own
    assert value_book(example_book(), market, cache=cache).condors.loc["IC-2026-12-11", "max_loss"] > 0
    hedged = book.with_legs([("L2", Leg("VXM", dt.date(2027, 1, 20), 5))])
    pd.testing.assert_frame_equal(
        value_book(hedged, market, cache=cache).condors, value_book(example_book(), market, cache=cache).condors
    )
    legs = book.legs.copy()
    legs.loc[0, "entry_price"] += 1.0  # one core leg bought dearer: its condor's credit changes
    dearer = value_book(Book(book.name, book.layers, legs), market, cache=cache).condors
    unchanged = value_book(example_book(), market, cache=cache).condors
    assert dearer.loc[legs.loc[0, "group"], "credit"] == pytest.approx(
        unchanged.loc[legs.loc[0, "group"], "credit"] - 100 * legs.loc[0, "quantity"], rel=1e-12
    )


def test_leg_arrays_are_copies_or_read_only_views() -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    copies, views = leg_arrays(book, market, cache=cache), leg_arrays(book, market, writeable=False, cache=cache)
    assert copies["strike"].flags.writeable and not views["strike"].flags.writeable
    np.testing.assert_array_equal(copies["strike"], views["strike"])
    assert not np.shares_memory(copies["strike"], views["strike"])
    assert np.shares_memory(
        views["strike"], leg_arrays(book, market, writeable=False, cache=cache)["strike"]
    )  # no copy
    assert not np.shares_memory(views["strike"], leg_arrays(book, market, writeable=False)["strike"])  # own cache


def test_scenarios_read_the_legs_from_the_cache_with_the_same_numbers() -> None:
    book, market, cache = example_book(), example_market(), ValuationCache()
    value_book(book, market, cache=cache)
    grid = scenario_grid(book, market, explain=True, cache=cache)
    fresh = scenario_grid(book, market, explain=True)
    assert grid.pnl.tobytes() == fresh.pnl.tobytes()
    assert grid.explain is not None and fresh.explain is not None
    assert grid.explain.tobytes() == fresh.explain.tobytes()
    pd.testing.assert_frame_equal(vega_reconciliation(book, market, cache=cache), vega_reconciliation(book, market))
    stressed, alone = stress_test(book, market, "2018-02-05", cache=cache), stress_test(book, market, "2018-02-05")
    pd.testing.assert_series_equal(stressed.layers, alone.layers, check_exact=True)


def test_large_books_are_not_kept(valuations: list[str]) -> None:
    market, cache = example_market(), ValuationCache()
    leg = Leg("VXM", dt.date(2027, 1, 20), 1.0, entry_price=18.0)
    big = Book.from_layers("big", [Layer("x", Role.CUSTOM, (leg,) * (MEMO_LEGS + 1))])
    value_book(big, market, cache=cache)
    value_book(big, market, cache=cache)
    assert valuations == ["big", "big"]


def test_no_module_level_cache_remains() -> None:
    """Caches are the caller's (:class:`ValuationCache`) or a snapshot's own: none hangs off a
    module keyed by an object's identity."""
    package = Path(alvh.__file__).parent
    pattern = re.compile(r"snapshot_cache|_SNAPSHOT_CACHE|lru_cache|functools\.cache\b|@cache\b|id\((market|self)\)")
    found = [
        f"{path.relative_to(package)}:{n}"
        for path in sorted(package.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
    assert not hasattr(snapshot, "snapshot_cache")
