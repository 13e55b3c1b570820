"""Fuzzing every file loader: valid example files, mutated (bytes flipped, truncated, non-UTF-8
bytes, deep nesting, huge/NaN/inf/negative numbers, wrong types, lines and columns removed or
repeated). Every failure must be an AlvhError, and a load that succeeds must give only finite
numbers (inside the market bounds). HYPOTHESIS_PROFILE=ci tries more files."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alvh.backtest.config import BacktestConfig, load_backtest_config
from alvh.book import Book
from alvh.book.book import load_book
from alvh.book.legs import LEG_COLUMNS
from alvh.data import example_book, example_book_path, example_history_path, example_market_path
from alvh.exceptions import AlvhError
from alvh.market.bounds import check_plausible
from alvh.market.events import Event, load_events
from alvh.market.history import SPARSE, load_history
from alvh.market.snapshot import Market, load_market
from alvh.method.rules import DEFAULT_RULES_PATH, Rules, load_rules

DATA = example_market_path().parent


def _numbers(value: Any) -> Iterator[float]:
    """Every float or int inside nested dicts and lists (a model's dump)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (float, int)) and not isinstance(value, bool):
        yield float(value)


def _all_finite(model: Any) -> None:
    assert all(math.isfinite(x) for x in _numbers(model.model_dump())), model


def _market(market: Market, path: Path) -> None:
    _all_finite(market)
    check_plausible(market, str(path))


def _book(book: Book, path: Path) -> None:
    numbers = book.legs[["strike", "quantity", "entry_price", "realized_vol"]].to_numpy(np.float64)
    assert not np.isinf(numbers).any()
    assert np.isfinite(book.legs["quantity"].to_numpy(np.float64)).all()


def _events(events: list[Event], path: Path) -> None:
    assert events and all(isinstance(e, Event) for e in events)


def _history(frame: pd.DataFrame, path: Path) -> None:
    for column in frame.columns:
        values = frame[column].to_numpy(np.float64)
        assert (np.isfinite(values) | (np.isnan(values) & (column in SPARSE))).all(), column


def _model(model: Rules | BacktestConfig, path: Path) -> None:
    _all_finite(model)


@dataclass(frozen=True)
class Loader:
    seed: bytes
    suffix: str
    load: Callable[[Path], Any]
    check: Callable[[Any, Path], None]


def _book_csv() -> bytes:
    legs = example_book().legs
    return legs[[*(c for c in LEG_COLUMNS if legs[c].notna().any()), "role"]].to_csv(index=False).encode()


LOADERS = {
    "market toml": Loader(example_market_path().read_bytes(), ".toml", load_market, _market),
    "book toml": Loader(example_book_path().read_bytes(), ".toml", load_book, _book),
    "book csv": Loader(_book_csv(), ".csv", load_book, _book),
    "events toml": Loader((DATA / "events.toml").read_bytes(), ".toml", load_events, _events),
    "events csv": Loader(b"date,kind\n2026-12-09,FOMC\n2026-12-10,CPI\n2027-01-13,PPI\n", ".csv", load_events, _events),
    "history csv": Loader(example_history_path().read_bytes(), ".csv", load_history, _history),
    "rules toml": Loader(DEFAULT_RULES_PATH.read_bytes(), ".toml", load_rules, _model),
    "backtest toml": Loader((DATA / "backtest.toml").read_bytes(), ".toml", load_backtest_config, _model),
}

NUMBER = re.compile(rb"(?<![\w.-])-?\d+(\.\d+)?([eE][-+]?\d+)?(?![\w-])")
REPLACEMENTS = [
    b"1e308",
    b"-1e308",
    b"1e-320",
    b"nan",
    b"inf",
    b"-inf",
    b"-1",
    b"0",
    b"-0.0",
    b"99999999999999999999999",
    b'"text"',
    b"true",
    b"[]",
    b"{}",
    b"2026-01-01",
    b"",
]


def _replace_number(data: bytes, at: int, replacement: bytes) -> bytes:
    numbers = list(NUMBER.finditer(data))
    if not numbers:
        return data
    match = numbers[at % len(numbers)]
    return data[: match.start()] + replacement + data[match.end() :]


def _flip(data: bytes, at: int, byte: int) -> bytes:
    i = at % max(len(data), 1)
    return data[:i] + bytes([byte]) + data[i + 1 :]


def _truncate(data: bytes, at: int) -> bytes:
    return data[: at % (len(data) + 1)]


def _insert(data: bytes, at: int, junk: bytes) -> bytes:
    i = at % (len(data) + 1)
    return data[:i] + junk + data[i:]


def _nest(data: bytes, at: int, depth: int) -> bytes:
    return _replace_number(data, at, b"[" * depth + b"1" + b"]" * depth)


def _line(data: bytes, at: int, repeat: bool) -> bytes:
    lines = data.split(b"\n")
    i = at % len(lines)
    return b"\n".join([*lines[: i + 1], *lines[i:]] if repeat else [*lines[:i], *lines[i + 1 :]])


def _drop_column(data: bytes, at: int) -> bytes:
    rows = [line.split(b",") for line in data.split(b"\n")]
    return b"\n".join(b",".join(cells[: at % 12] + cells[at % 12 + 1 :]) for cells in rows)


AT = st.integers(0, 1 << 20)
Mutation = Callable[[bytes], bytes]
MUTATIONS: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(partial, st.just(_flip), at=AT, byte=st.integers(0, 255)),
    st.builds(partial, st.just(_truncate), at=AT),
    st.builds(
        partial,
        st.just(_insert),
        at=AT,
        junk=st.sampled_from([b"\xff", b"\xc3", b"\xe9", b"\x00", b"\xef\xbb\xbf", b"\r", b'"', b"\n\n"]),
    ),
    st.builds(partial, st.just(_nest), at=AT, depth=st.sampled_from([2, 50, 500, 5000, 50_000])),
    st.builds(partial, st.just(_replace_number), at=AT, replacement=st.sampled_from(REPLACEMENTS)),
    st.builds(partial, st.just(_line), at=AT, repeat=st.booleans()),
    st.builds(partial, st.just(_drop_column), at=AT),
)
"""One mutation of a file's bytes: a byte flipped, the file cut short, junk bytes inserted, a
number replaced by deep nesting or by a huge, NaN, negative or wrongly typed value, a line
dropped or repeated, a CSV column dropped."""


def fuzz_one(name: str, mutations: list[Mutation], folder: Path) -> bool:
    """Load one mutated file: True if it loaded (and passed its checks), False if refused with an
    AlvhError; any other exception propagates."""
    loader = LOADERS[name]
    data = loader.seed
    for mutate in mutations:
        data = mutate(data)
    path = folder / f"fuzzed{loader.suffix}"
    path.write_bytes(data)
    try:
        result = loader.load(path)
    except AlvhError:
        return False
    loader.check(result, path)
    return True


@pytest.mark.parametrize("name", list(LOADERS))
def test_every_seed_file_loads(name: str, tmp_path: Path) -> None:
    assert fuzz_one(name, [], tmp_path)


@pytest.mark.parametrize("name", list(LOADERS))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations=st.lists(MUTATIONS, min_size=1, max_size=3))
def test_mutated_files_load_or_raise_an_alvh_error(name: str, mutations: list[Mutation], tmp_path: Path) -> None:
    fuzz_one(name, mutations, tmp_path)


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        # what the fuzzer found: Python's float power overflowed (OverflowError) on a huge SVI sigma
        ("market toml", b"sigma = 0.204657", b"sigma = 1e308", r"spx\.smiles\[4\] ATM vol = inf: a decimal vol"),
        ("rules toml", b"shifts = [-10.0,", b"shifts = [inf,", r"R-RECON\.shifts\[0\] = inf: .*finite"),
        (
            "backtest toml",
            b"vix_option_half_spread = 0.05",
            b"vix_option_half_spread = inf",
            r"costs\.vix_option_half_spread = inf: .*finite",
        ),
        ("backtest toml", b"capital = 1000000.0", b"capital = inf", r"capital = inf: .*finite"),
    ],
)
def test_what_the_fuzzer_found_is_refused(name: str, old: bytes, new: bytes, message: str, tmp_path: Path) -> None:
    loader = LOADERS[name]
    assert old in loader.seed
    path = tmp_path / f"file{loader.suffix}"
    path.write_bytes(loader.seed.replace(old, new, 1))
    with pytest.raises(AlvhError, match=message):
        loader.load(path)
