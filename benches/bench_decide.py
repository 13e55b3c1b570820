"""Speed of :func:`alvh.method.decisions.decide` on the bundled example book and market with the
example history's signals and events (what ``alvh demo`` decides). Target (issue 11): under 50 ms
per decision. No ratio gate (nothing comparable exists): the benchmark reports the median time of
a decision and checks its result — the decision the report gives, whole (rules, actions, trades,
Greeks before and after)."""

import statistics
import time
from pathlib import Path

import pandas as pd

import alvh.data
from alvh.app.report import risk_report, signals_from_history
from alvh.market.events import load_events
from alvh.method.decisions import Decision, decide

BOOK = alvh.data.example_book()
MARKET = alvh.data.example_market()
HISTORY = alvh.data.example_history()
EVENTS = load_events(Path(str(alvh.data.example_book_path().parent / "events.toml")))
SIGNALS = signals_from_history(HISTORY, pd.Timestamp(MARKET.as_of.date()))
assert not {"cpi", "ppi"} & set(HISTORY.columns)  # else the report reads inflation too


def _decide() -> Decision:
    return decide(BOOK, MARKET, signals=SIGNALS, events=EVENTS, spx_history=HISTORY["spx"])


def test_decide_example_book(benchmark) -> None:  # type: ignore[no-untyped-def]
    decision = benchmark.pedantic(_decide, rounds=20, iterations=1, warmup_rounds=1)
    if benchmark.stats is not None:  # None when timing is disabled (benches run as plain tests)
        print(f"\ndecide(example book): median {benchmark.stats['median'] * 1e3:.1f} ms (target < 50 ms)")
    expected = risk_report(BOOK, MARKET, history=HISTORY, events=EVENTS).decision
    assert decision.to_dict() == expected.to_dict()
    assert [a.type for a in decision.actions] == [a.type for a in expected.actions]


def median_ms(calls: int = 30) -> float:
    """The median of ``calls`` decisions after one warm-up, in milliseconds (for a quick look:
    ``python -c "from benches.bench_decide import median_ms; print(median_ms())"``)."""
    _decide()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        _decide()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3
