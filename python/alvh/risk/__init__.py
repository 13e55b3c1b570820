"""The risk layer: a book valued on a market (Greeks per leg, layer and book in SPX terms),
full-revaluation scenario grids and stresses, and streamed valuation of bulk leg files."""

from alvh.risk.bulk import LegStream
from alvh.risk.cache import ValuationCache
from alvh.risk.scenarios import ScenarioGrid, scenario_grid
from alvh.risk.stresses import STRESS_PRESETS, StressPreset, StressResult, stress_test, vega_reconciliation
from alvh.risk.valuation import BookRisk, value_book, value_legs

__all__ = [
    "STRESS_PRESETS",
    "BookRisk",
    "LegStream",
    "ScenarioGrid",
    "StressPreset",
    "StressResult",
    "ValuationCache",
    "scenario_grid",
    "stress_test",
    "value_book",
    "value_legs",
    "vega_reconciliation",
]
