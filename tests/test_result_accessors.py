"""One rule for the accessors of alvh's objects: a derived value without arguments is a property
(``grid.hedge_offset`` like ``stress.hedge_offset``); a method takes arguments or converts the
object (``to_frame()``, ``to_dict()``, ``to_xarray()``)."""

from __future__ import annotations

import inspect

import pytest

from alvh.book import Book
from alvh.method.actions import Action
from alvh.method.decisions import Decision
from alvh.risk.scenarios import ScenarioGrid, StressPreset, StressResult
from alvh.risk.valuation import BookRisk

OBJECTS = [Book, BookRisk, ScenarioGrid, StressPreset, StressResult, Decision, Action]


@pytest.mark.parametrize("kind", OBJECTS, ids=lambda kind: kind.__name__)
def test_methods_without_arguments_are_conversions(kind: type) -> None:
    bare = [
        name
        for name, member in vars(kind).items()
        if inspect.isfunction(member)
        and not name.startswith("_")
        and list(inspect.signature(member).parameters) == ["self"]
        and not name.startswith("to_")
    ]
    assert bare == [], f"{kind.__name__}: {', '.join(bare)} take no argument: make them properties"
