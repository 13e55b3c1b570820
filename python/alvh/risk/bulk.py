"""Bulk Greeks for files of millions of legs, in chunks so memory stays bounded whatever the file
size: each chunk is validated as a book (errors name the file's row), valued by the Rust kernels,
optionally written out per leg (Parquet or CSV, appended chunk by chunk), and its per-layer sums
added to running totals. Roles do not change a leg's Greeks, so every layer is valued as
``custom`` (no per-condor metrics for a file of unrelated legs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from alvh._config import pyarrow_parquet
from alvh._csv import formula_safe
from alvh.book import Book
from alvh.book.legs import LEG_COLUMNS
from alvh.exceptions import ConfigError
from alvh.market.snapshot import Market
from alvh.risk.valuation import BUCKETS, METRICS, value_book

__all__ = ["LegStream", "bulk_book"]

_OUTPUT_EXTRA = ["years", "dte", "underlying", "vol", "price"]


class LegStream:
    """Value the legs of ``path`` (CSV or Parquet) chunk by chunk; iterating yields the number of
    legs done in each chunk, and afterwards :attr:`layers` holds the per-layer sums.

    Parameters
    ----------
    path
        Legs file with the columns of a book's legs (``layer, instrument, expiry, right, strike,
        quantity``, optional ``entry_price, group, start, realized_vol``).
    market
        The market snapshot.
    chunk_size
        Legs per chunk.
    output
        Optional per-leg results file: ``.parquet`` or ``.csv``.
    """

    def __init__(self, path: Path, market: Market, *, chunk_size: int = 200_000, output: Path | None = None) -> None:
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".parquet", ".pq"):
            raise ConfigError(f"{path}: unknown legs format {suffix!r}; use .csv or .parquet")
        if output is not None and output.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise ConfigError(f"{output}: unknown output format {output.suffix!r}; use .parquet or .csv")
        if output is not None and output.resolve() == path.resolve():
            raise ConfigError(f"{output}: the output would overwrite the legs file; choose another path")
        if chunk_size < 1:
            raise ConfigError(f"chunk_size = {chunk_size} is not allowed: at least 1")
        self.path, self.market, self.chunk_size, self.output = path, market, chunk_size, output
        self.rows = 0
        self.layers = pd.DataFrame(columns=[*METRICS, *BUCKETS], dtype=float)
        self.total_rows = self._count_rows()

    def _count_rows(self) -> int:
        if self.path.suffix.lower() == ".csv":
            lines, last = 0, b"\n"
            with self.path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    lines, last = lines + block.count(b"\n"), block[-1:]
            # the last line counts even without a final newline; the first line is the header
            return max(lines + (last != b"\n") - 1, 0)
        return int(_parquet(self.path).metadata.num_rows)

    def _chunks(self) -> Iterator[pd.DataFrame]:
        if self.path.suffix.lower() == ".csv":
            try:
                yield from pd.read_csv(self.path, chunksize=self.chunk_size)
            except (ValueError, pd.errors.ParserError) as e:
                raise ConfigError(f"{self.path}: cannot read as CSV: {e}") from None
        else:
            try:
                for batch in _parquet(self.path).iter_batches(batch_size=self.chunk_size):
                    yield batch.to_pandas()
            except ValueError as e:
                raise ConfigError(f"{self.path}: cannot read as Parquet: {e}") from None

    def __iter__(self) -> Iterator[int]:
        # The output is written to a hidden file beside it and renamed into place only when every
        # chunk is done: a failed or interrupted run leaves no half-written output behind.
        partial = sink = None
        if self.output is not None:
            partial = self.output.with_name(f".{self.output.name}.partial")
            sink = _sink(partial, parquet=self.output.suffix.lower() != ".csv")
        done = False
        try:
            for chunk in self._chunks():
                book = bulk_book(chunk, name=self.path.stem, source=str(self.path), first_row=self.rows)
                risk = value_book(book, self.market)
                self._add(risk.layers[[*METRICS, *BUCKETS]])
                if sink is not None:
                    sink.write(risk.legs[[*LEG_COLUMNS, *_OUTPUT_EXTRA, *METRICS]])
                self.rows += len(chunk)
                yield len(chunk)
            done = True
        finally:
            if sink is not None and partial is not None and self.output is not None:
                sink.close()
                if done and partial.exists():
                    os.replace(partial, self.output)
                else:
                    partial.unlink(missing_ok=True)

    def _add(self, layers: pd.DataFrame) -> None:
        # Running sums in file order, layers in order of first appearance. The same file gives the
        # same totals every run; another chunk size regroups the sums (last-bit differences).
        order = self.layers.index.append(layers.index.difference(self.layers.index, sort=False))
        self.layers = self.layers.reindex(order, fill_value=0.0) + layers.reindex(order, fill_value=0.0)


def bulk_book(frame: pd.DataFrame, *, name: str, source: str, first_row: int = 0, where: str = "row") -> Book:
    """Legs of a bulk file (a chunk or partition of it) as a book whose layers are all ``custom``
    (roles do not change a leg's Greeks), in order of first appearance; errors name the leg as
    ``{where} {first_row + i + 1}`` (``source``: the file)."""
    # text whose missing value is pd.NA (Dask's strings) as pandas' text dtype, whose is NaN: the
    # checks compare text with ==, which pd.NA refuses
    text = {c: "str" for c, t in frame.dtypes.items() if isinstance(t, pd.StringDtype) and t.na_value is pd.NA}
    rows = frame.astype(text).assign(source=[f"{where} {first_row + i + 1}" for i in range(len(frame))])
    # pd.unique keeps the order of appearance, without a Python step per leg
    names = [str(name) for name in pd.unique(rows["layer"].astype(str))] if "layer" in rows else []
    return Book.from_frame(rows, name=name, roles=dict.fromkeys(names, "custom"), source=source)


class _CsvSink:
    def __init__(self, path: Path) -> None:
        self.path, self.header = path, True

    def write(self, legs: pd.DataFrame) -> None:
        formula_safe(legs).to_csv(self.path, mode="w" if self.header else "a", header=self.header, index=False)
        self.header = False

    def close(self) -> None:
        pass


class _ParquetSink:
    def __init__(self, path: Path) -> None:
        self.path, self.pq = path, pyarrow_parquet(path)
        self.writer: Any = None

    def write(self, legs: pd.DataFrame) -> None:
        import pyarrow as pa  # noqa: PLC0415 (optional)

        # Text columns as strings even when a chunk has only missing values, so every chunk
        # has the first chunk's schema.
        text = {c: legs[c].astype("string") for c in ("layer", "instrument", "right", "group")}
        table = pa.Table.from_pandas(legs.assign(**text), preserve_index=False)
        if self.writer is None:
            self.writer = self.pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _sink(path: Path, *, parquet: bool) -> _CsvSink | _ParquetSink:
    return _ParquetSink(path) if parquet else _CsvSink(path)


def _parquet(path: Path) -> Any:
    pq = pyarrow_parquet(path)
    try:
        return pq.ParquetFile(path)
    except ValueError as e:  # pyarrow.ArrowInvalid is a ValueError
        raise ConfigError(f"{path}: cannot read as Parquet: {e}") from None
