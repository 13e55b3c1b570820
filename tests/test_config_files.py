"""The shared file readers (alvh._config): a file that is not UTF-8, not parseable as CSV, empty,
or nested too deeply is a ConfigError naming the file, from every loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alvh.backtest.config import load_backtest_config
from alvh.book.book import load_book
from alvh.exceptions import ConfigError
from alvh.market.events import load_events
from alvh.market.history import load_history
from alvh.market.snapshot import load_market
from alvh.method.rules import load_rules

TOML_LOADERS: list[Callable[[Path], Any]] = [load_market, load_book, load_events, load_rules, load_backtest_config]
CSV_LOADERS: list[Callable[[Path], Any]] = [load_book, load_events, load_history]
NOT_UTF8 = "é".encode("latin-1")


@pytest.mark.parametrize("load", TOML_LOADERS)
def test_toml_that_is_not_utf8_names_the_file(tmp_path: Path, load: Callable[[Path], Any]) -> None:
    path = tmp_path / "file.toml"
    path.write_bytes(b'name = "caf' + NOT_UTF8 + b'"\n')
    with pytest.raises(ConfigError, match=rf"^{path}: line 1: byte 0xe9 is not UTF-8 text: save the file as UTF-8$"):
        load(path)


@pytest.mark.parametrize("load", TOML_LOADERS)
def test_deeply_nested_toml_names_the_file(tmp_path: Path, load: Callable[[Path], Any]) -> None:
    path = tmp_path / "file.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid TOML: arrays or tables nested too deeply$"):
        load(path)


@pytest.mark.parametrize("load", CSV_LOADERS)
def test_csv_that_is_not_utf8_names_the_file(tmp_path: Path, load: Callable[[Path], Any]) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(b"date,kind\n2026-12-09,FOMC" + NOT_UTF8 + b"\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 2: byte 0xe9 is not UTF-8 text: save the file as UTF-8$"):
        load(path)


@pytest.mark.parametrize("load", CSV_LOADERS)
def test_unparseable_csv_names_the_file_and_line(tmp_path: Path, load: Callable[[Path], Any]) -> None:
    path = tmp_path / "file.csv"
    path.write_text("date,kind\n2026-12-09,FOMC\n2026-12-10,CPI,extra,fields\n")
    with pytest.raises(ConfigError, match=rf"^{path}: not a readable CSV file: .*Expected 2 fields in line 3, saw 4"):
        load(path)


@pytest.mark.parametrize("load", CSV_LOADERS)
def test_empty_csv_names_the_file(tmp_path: Path, load: Callable[[Path], Any]) -> None:
    path = tmp_path / "file.csv"
    path.write_text("")
    with pytest.raises(ConfigError, match=rf"^{path}: empty file: a CSV file needs a header row$"):
        load(path)


@pytest.mark.parametrize("content", [b"", b"PAR1 not a parquet file PAR1"])
def test_a_corrupt_parquet_book_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "book.parquet"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=rf"^{path}: cannot read as Parquet: "):
        load_book(path)
