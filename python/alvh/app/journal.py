"""The risk journal: every report (Greeks by layer, rule results, actions, market snapshot)
appended to one SQLite file, so that the book's risk can be followed day by day.

Durability and concurrency
--------------------------
* **One report, one transaction.** :meth:`Journal.append` writes the report row and its layer,
  rule and action rows between ``BEGIN IMMEDIATE`` and ``COMMIT`` and rolls back on any error:
  a report is either wholly in the journal or not at all.
* **WAL mode** (``PRAGMA journal_mode=WAL``): a writer appends frames to the ``-wal`` file and
  marks the last frame of a transaction as its commit. A process killed mid-transaction (even
  after some of its frames reached the disk) leaves frames without a commit mark, which the next
  reader ignores, so nothing already committed is lost and no half-written report is visible.
  Readers do not block the writer and see only committed reports.
* **synchronous = FULL**: the WAL is fsynced at every commit, so a report that ``append``
  returned an id for survives a power loss or OS crash too, not only a killed process (``NORMAL``
  would be safe against a killed process but could lose the last commits on power loss). The cost,
  one fsync per report, is nothing next to computing a report.
* **Concurrent writers** are serialised by SQLite's write lock: ``BEGIN IMMEDIATE`` takes it
  before anything is read, so two writers never deadlock on a read-to-write upgrade, and the
  busy timeout (``timeout``, 30 s by default) makes a writer wait for the lock instead of failing.
  The schema is created inside the same kind of transaction, so several processes may open a new
  journal at once.

Schema (version :data:`SCHEMA_VERSION`, kept in the table ``schema_version``)
-----------------------------------------------------------------------------
``reports``  one row per report: ``id``, ``as_of`` (naive ISO 8601, US/Eastern as everywhere in
             alvh), ``created_at`` (UTC, ISO 8601), ``book``, the market's ``spx`` and ``vix``, the
             book totals ``spx_delta`` (SPX shares-equivalent), ``spx_vega`` ($ per SPX vol point),
             ``theta`` ($ per day), ``market_value`` ($), and ``report``: the whole report as JSON.
``layers``   ``report_id, seq, layer, role`` and the layer's metrics (:data:`LAYER_METRICS`).
``rules``    ``report_id, seq, rule_id, status, value, rule_limit, message``.
``actions``  ``report_id, seq, type`` and the action as JSON.

A file written by a newer alvh (higher schema version) is refused with a
:class:`~alvh.exceptions.ConfigError`, never modified.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd

from alvh.exceptions import ConfigError, InputError

__all__ = [
    "HISTORY_COLUMNS",
    "LAYER_METRICS",
    "REQUIRED_KEYS",
    "RULE_STATUSES",
    "SCHEMA_VERSION",
    "Journal",
    "JournalEntry",
]

SCHEMA_VERSION = 1
"""The journal schema this alvh reads and writes."""

REQUIRED_KEYS = ("as_of", "book", "market", "layers", "total", "rules", "actions")
"""Top-level keys every report must have."""

RULE_STATUSES = ("ok", "warn", "breach", "info", "skipped")
"""Allowed ``status`` of a rule result."""

LAYER_METRICS = ("spx_delta", "spx_dollar_delta", "spx_gamma", "spx_vega", "tw_vega", "theta", "market_value")
"""Layer metrics kept as columns of the ``layers`` table (all are also in the report's JSON)."""

_TOTAL_METRICS = ("spx_delta", "spx_vega", "theta", "market_value")

_SCHEMA = f"""
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    as_of TEXT NOT NULL,
    created_at TEXT NOT NULL,
    book TEXT NOT NULL,
    spx REAL,
    vix REAL,
    spx_delta REAL,
    spx_vega REAL,
    theta REAL,
    market_value REAL,
    report TEXT NOT NULL
);
CREATE INDEX reports_book_as_of ON reports (book, as_of);
CREATE INDEX reports_as_of ON reports (as_of);
CREATE TABLE layers (
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    layer TEXT NOT NULL,
    role TEXT,
    {", ".join(f"{name} REAL" for name in LAYER_METRICS)},
    PRIMARY KEY (report_id, seq)
);
CREATE TABLE rules (
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    status TEXT NOT NULL,
    value REAL,
    rule_limit TEXT,
    message TEXT,
    PRIMARY KEY (report_id, seq)
);
CREATE TABLE actions (
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    action TEXT NOT NULL,
    PRIMARY KEY (report_id, seq)
);
INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION});
"""

_HISTORY = """
SELECT r.id, r.as_of, r.book, r.spx, r.vix, r.spx_delta, r.spx_vega, r.theta, r.market_value,
       (SELECT count(*) FROM rules WHERE report_id = r.id AND status = 'breach') AS breaches,
       (SELECT count(*) FROM rules WHERE report_id = r.id AND status = 'warn') AS warnings,
       (SELECT count(*) FROM actions WHERE report_id = r.id) AS actions
FROM reports AS r
"""

HISTORY_COLUMNS = [
    "id",
    "as_of",
    "book",
    "spx",
    "vix",
    "spx_delta",
    "spx_vega",
    "theta",
    "market_value",
    "breaches",
    "warnings",
    "actions",
]
"""Columns of :meth:`Journal.history`."""


@dataclass(frozen=True)
class JournalEntry:
    """One stored report."""

    id: int
    as_of: dt.datetime
    created_at: dt.datetime
    """When it was written (UTC)."""
    book: str
    report: dict[str, Any]
    """The report as appended, read back from its JSON (datetimes as ISO strings, numpy scalars
    as Python numbers)."""


class Journal:
    """A risk journal in the SQLite file ``path`` (created if missing). Use it as a context
    manager, or call :meth:`close`. One ``Journal`` per process (a connection must not cross a
    ``fork``); any number of processes may append to the same file at once.

    Parameters
    ----------
    path
        The database file.
    timeout
        Seconds a writer waits for another writer's lock before giving up with
        ``sqlite3.OperationalError: database is locked``.

    Raises
    ------
    ConfigError
        The file is not a SQLite database or not an alvh journal, WAL mode cannot be enabled on
        it, or its schema version is not :data:`SCHEMA_VERSION`.
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        # isolation_level=None: no implicit transactions; this class issues BEGIN and COMMIT itself
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        try:
            self._setup()
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise ConfigError(f"{self.path}: cannot open as an alvh journal: {e}") from None
        except BaseException:
            self._db.close()
            raise

    def _setup(self) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise ConfigError(f"{self.path}: the journal needs SQLite's WAL mode, but the file stays in {mode!r} mode")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._transaction():
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                return
            if not {"schema_version", "reports", "layers", "rules", "actions"} <= tables:
                raise ConfigError(f"{self.path}: not an alvh journal (its tables: {', '.join(sorted(tables))})")
            version = self._db.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        if not isinstance(version, int):
            raise ConfigError(f"{self.path}: the journal's schema_version table holds no version")
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path}: journal schema version {version} is newer than this alvh supports "
                f"({SCHEMA_VERSION}): upgrade alvh to read or append to it"
            )
        if version < SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path}: journal schema version {version} is older than this alvh's ({SCHEMA_VERSION}) "
                "and no migration exists for it"
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction: the write lock is taken at BEGIN; COMMIT on success, ROLLBACK on
        any exception (SQLite may already have rolled back after some I/O errors)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- context manager --------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection (the last one to close checkpoints the WAL)."""
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __len__(self) -> int:
        count: int = self._db.execute("SELECT count(*) FROM reports").fetchone()[0]
        return count

    # --- writing ----------------------------------------------------------------------------

    def append(self, report: Mapping[str, Any], *, _before_commit: Callable[[int], None] | None = None) -> int:
        """Write one report atomically and return its id.

        ``report`` is a mapping with the keys :data:`REQUIRED_KEYS`::

            {"as_of": "2026-11-20T16:00:00", "book": "...", "market": {"spx": ..., "vix": ..., ...},
             "layers": [{"layer": "core", "role": "core", "spx_delta": ..., ...}, ...],
             "total": {"spx_delta": ..., "spx_vega": ..., "theta": ..., "market_value": ..., ...},
             "rules": [{"id": <rule id>, "status": "ok", "value": ..., "limit": "...", "message": "..."}, ...],
             "actions": [{"type": "HEDGE_DELTA", ...}, ...]}

        ``as_of`` is a naive ISO 8601 date-time (or a ``datetime``), US/Eastern like every alvh
        time. The whole mapping, extra keys included, is stored as JSON (numpy scalars and arrays
        become numbers and lists, dates ISO strings); the fields above are also stored in columns.

        ``_before_commit`` is a test hook, not API: called with the new id inside the open
        transaction, after every row is written and before COMMIT (the tests use it to kill a
        writer mid-transaction; an exception it raises rolls the report back).

        Raises
        ------
        InputError
            A required key is missing or a field has the wrong type; the message names it.
        """
        row, layers, rules, actions = _prepare(report)
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO reports (as_of, created_at, book, spx, vix, spx_delta, spx_vega, theta, market_value, "
                "report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            report_id = cursor.lastrowid
            assert report_id is not None  # set by every successful INSERT
            placeholders = ", ".join("?" * (len(LAYER_METRICS) + 4))
            self._db.executemany(
                f"INSERT INTO layers (report_id, seq, layer, role, {', '.join(LAYER_METRICS)}) VALUES ({placeholders})",
                [(report_id, *values) for values in layers],
            )
            self._db.executemany(
                "INSERT INTO rules (report_id, seq, rule_id, status, value, rule_limit, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(report_id, *values) for values in rules],
            )
            self._db.executemany(
                "INSERT INTO actions (report_id, seq, type, action) VALUES (?, ?, ?, ?)",
                [(report_id, *values) for values in actions],
            )
            if _before_commit is not None:
                _before_commit(report_id)
        return report_id

    # --- reading ----------------------------------------------------------------------------

    def get(self, report_id: int) -> dict[str, Any]:
        """The report with id ``report_id``, as appended (read back from its JSON).

        Raises
        ------
        InputError
            No report has that id.
        """
        row = self._db.execute("SELECT report FROM reports WHERE id = ?", (int(report_id),)).fetchone()
        if row is None:
            raise InputError(f"{self.path}: no report with id {report_id}")
        report: dict[str, Any] = json.loads(row[0])
        return report

    def reports(self, *, book: str | None = None) -> list[JournalEntry]:
        """Every stored report (of ``book``, if given) in time order (``as_of``, then id)."""
        query = "SELECT id, as_of, created_at, book, report FROM reports"
        rows = self._db.execute(*_filtered(query, book, "")).fetchall()
        return [
            JournalEntry(
                id=row[0],
                as_of=dt.datetime.fromisoformat(row[1]),
                created_at=dt.datetime.fromisoformat(row[2]),
                book=row[3],
                report=json.loads(row[4]),
            )
            for row in rows
        ]

    def history(self, *, book: str | None = None) -> pd.DataFrame:
        """The journal's trend: one row per report (of ``book``, if given) in time order.

        Columns: ``id``, ``as_of`` (datetime64), ``book``, the market's ``spx`` and ``vix``, the
        book's net ``spx_delta`` (SPX shares-equivalent), ``spx_vega`` ($ per SPX vol point),
        ``theta`` ($ per day) and ``market_value`` ($), and the counts of rule ``breaches``,
        ``warnings`` (status ``warn``) and ``actions``. Missing metrics are NaN.
        """
        rows = self._db.execute(*_filtered(_HISTORY, book, "r.")).fetchall()
        frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
        frame["as_of"] = pd.to_datetime(frame["as_of"], format="ISO8601")
        for name in ("spx", "vix", *_TOTAL_METRICS):
            frame[name] = frame[name].astype("float64")
        for name in ("id", "breaches", "warnings", "actions"):
            frame[name] = frame[name].astype("int64")
        return frame


def _filtered(query: str, book: str | None, prefix: str) -> tuple[str, tuple[str, ...]]:
    where = f" WHERE {prefix}book = ?" if book is not None else ""
    order = f" ORDER BY {prefix}as_of, {prefix}id"
    return query + where + order, (book,) if book is not None else ()


# --- validation ---------------------------------------------------------------------------------


def _prepare(
    report: Mapping[str, Any],
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Validate ``report`` and return its ``reports`` row and its layer, rule and action rows
    (without the report id), or raise :class:`InputError` naming the field."""
    if not isinstance(report, Mapping):
        raise InputError(f"report must be a mapping (dict), got {type(report).__name__}")
    for key in REQUIRED_KEYS:
        if key not in report:
            raise InputError(f"report is missing the key {key!r} (required: {', '.join(REQUIRED_KEYS)})")
    as_of = _as_of(report["as_of"])
    book = report["book"]
    if not isinstance(book, str) or not book:
        raise InputError(f"report.book = {book!r} is not allowed: must be a non-empty string")
    market = _mapping("report.market", report["market"])
    total = _mapping("report.total", report["total"])

    layers = []
    for i, layer in enumerate(_records("report.layers", report["layers"])):
        where = f"report.layers[{i}]"
        layers.append(
            (
                i,
                _text(where, layer, "layer"),
                _text(where, layer, "role", required=False),
                *(_number(f"{where}.{name}", layer.get(name)) for name in LAYER_METRICS),
            )
        )
    rules = []
    for i, rule in enumerate(_records("report.rules", report["rules"])):
        where = f"report.rules[{i}]"
        status = _text(where, rule, "status")
        if status not in RULE_STATUSES:
            raise InputError(f"{where}.status = {status!r} is not allowed: use one of {', '.join(RULE_STATUSES)}")
        limit = rule.get("limit")
        rules.append(
            (
                i,
                _text(where, rule, "id"),
                status,
                _number(f"{where}.value", rule.get("value")),
                limit if limit is None or isinstance(limit, str) else _json(f"{where}.limit", limit),
                _text(where, rule, "message", required=False),
            )
        )
    actions = [
        (i, _text(f"report.actions[{i}]", action, "type"), _json(f"report.actions[{i}]", action))
        for i, action in enumerate(_records("report.actions", report["actions"]))
    ]
    row = (
        as_of.isoformat(),
        dt.datetime.now(dt.timezone.utc).isoformat(),
        book,
        _number("report.market.spx", market.get("spx")),
        _number("report.market.vix", market.get("vix")),
        *(_number(f"report.total.{name}", total.get(name)) for name in _TOTAL_METRICS),
        _json("report", report),
    )
    return row, layers, rules, actions


def _as_of(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        as_of = value
    elif isinstance(value, dt.date):
        as_of = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        try:
            as_of = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InputError(
                f"report.as_of = {value!r} is not allowed: must be an ISO 8601 date-time, e.g. 2026-11-20T16:00:00"
            ) from None
    else:
        raise InputError(f"report.as_of = {value!r} is not allowed: must be an ISO 8601 string or a datetime")
    if as_of.tzinfo is not None:
        raise InputError(
            f"report.as_of = {value!r} is not allowed: must be naive (US/Eastern wall-clock time, as every alvh time)"
        )
    return as_of


def _mapping(where: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"{where} must be a mapping (dict), got {type(value).__name__}")
    return value


def _records(where: str, value: object) -> list[Mapping[str, Any]]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise InputError(f"{where} must be a list of mappings, got {type(value).__name__}")
    return [_mapping(f"{where}[{i}]", item) for i, item in enumerate(value)]


def _text(where: str, record: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    if key not in record or record[key] is None:
        if required:
            raise InputError(f"{where} is missing the key {key!r}")
        return None
    value = record[key]
    if not isinstance(value, str):
        raise InputError(f"{where}.{key} = {value!r} is not allowed: must be a string")
    return value


def _number(where: str, value: object) -> float | None:
    """A finite float, or None for a missing value or NaN (SQLite stores NaN as NULL anyway)."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{where} = {value!r} is not allowed: must be a number")
    number = float(value)
    if math.isnan(number):
        return None
    return number


def _json(where: str, value: object) -> str:
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as e:
        raise InputError(f"{where} cannot be stored as JSON: {e}") from None


def _json_default(value: object) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
