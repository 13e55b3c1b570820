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
  A new journal is linked into place whole, so several processes may create it at once.

Schema (version :data:`SCHEMA_VERSION`, kept in the table ``schema_version``)
-----------------------------------------------------------------------------
``reports``  one row per report: ``id``, ``as_of`` (naive ISO 8601, US/Eastern as everywhere in
             alvh), ``created_at`` (UTC, ISO 8601), ``book``, the market's ``spx`` and ``vix``, the
             book totals ``spx_delta`` (SPX shares-equivalent), ``spx_vega`` ($ per SPX vol point),
             ``theta`` ($ per day), ``market_value`` ($), and ``report``: the whole report as JSON.
``layers``   ``report_id, seq, layer, role`` and the layer's metrics (:data:`LAYER_METRICS`).
``rules``    ``report_id, seq, rule_id, status, value, rule_limit, message``.
``actions``  ``report_id, seq, type`` and the action as JSON.

One report per book and as_of
-----------------------------
A journal holds one report per ``(book, as_of)``. Appending a report whose book and as_of are
already there is a no-op returning the stored report's id when the content is the same (a cron
job run twice), and is refused with an :class:`~alvh.exceptions.InputError` when it differs
(nothing is written: a stored report is never lost silently) unless ``replace=True`` asks for
the new one to take the stored one's place. Journals written before this rule may hold a key
twice; they keep those rows.

The file
--------
Reading never creates or changes a file; writing creates a journal only where no file exists;
a file that is not an intact alvh journal of :data:`SCHEMA_VERSION` (another SQLite database, a
newer schema, a corrupt file) is refused with a :class:`~alvh.exceptions.ConfigError` before
anything is written, its bytes and SQLite journal mode unchanged (:mod:`alvh.app.journal_file`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd

from alvh.app.journal_file import LAYER_METRICS, SCHEMA_VERSION, open_journal, sqlite_errors
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

REQUIRED_KEYS = ("as_of", "book", "market", "layers", "total", "rules", "actions")
"""Top-level keys every report must have."""

RULE_STATUSES = ("ok", "warn", "breach", "info", "skipped")
"""Allowed ``status`` of a rule result."""

_TOTAL_METRICS = ("spx_delta", "spx_vega", "theta", "market_value")

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
    """The risk journal in the SQLite file ``path``. Use it as a context manager, or call
    :meth:`close`. One ``Journal`` per process (a connection must not cross a ``fork``); any
    number of processes may read and append to the same file at once.

    Parameters
    ----------
    path
        The database file: for writing, created if no file is there; for reading, it must exist.
    read_only
        Open for reading only: nothing is created or written.
    timeout
        Seconds a writer waits for another writer's lock before giving up.

    Raises
    ------
    ConfigError
        The file is missing (``read_only``), is not a SQLite database or not an alvh journal, is
        corrupt, cannot be written (for writing), or its schema version is not
        :data:`SCHEMA_VERSION`; the message names the file. The methods raise it too when SQLite
        fails (a journal corrupted or made read-only while open, a lock held past ``timeout``).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, timeout: float = 30.0) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise ConfigError(f"{self.path}: no such journal file")
        self._db = open_journal(self.path, write=not read_only, timeout=timeout)

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
        with self._reading():
            count: int = self._db.execute("SELECT count(*) FROM reports").fetchone()[0]
        return count

    def _reading(self) -> AbstractContextManager[None]:
        return sqlite_errors(self.path, "cannot read the journal")

    # --- writing ----------------------------------------------------------------------------

    def append(
        self,
        report: Mapping[str, Any],
        *,
        replace: bool = False,
        _before_commit: Callable[[int], None] | None = None,
    ) -> int:
        """Write one report atomically and return its id; the same report again (same book,
        as_of and content) returns the stored id and writes nothing.

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

        ``replace=True``: a different report stored for the same book and as_of is deleted in
        the same transaction, and this one takes its place (under a new id).

        Raises
        ------
        InputError
            A required key is missing or a field has the wrong type (the message names it), or
            the journal holds a different report for the same book and as_of and ``replace`` is
            false.
        ConfigError
            SQLite cannot write the journal (read-only, corrupt, locked past the timeout).
        """
        row, layers, rules, actions = _prepare(report)
        with sqlite_errors(self.path, "cannot write to the journal"), self._transaction():
            stored = self._stored(row, replace=replace)
            if stored is not None:
                return stored
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

    def _stored(self, row: tuple[Any, ...], *, replace: bool) -> int | None:
        """The id of the stored report equal to ``row``'s, or None once a different one of the
        same book and as_of is deleted (``replace``); raise if it may not be."""
        as_of, _, book, *_, text = row
        same_key = self._db.execute(
            "SELECT id, report FROM reports WHERE book = ? AND as_of = ? ORDER BY id", (book, as_of)
        ).fetchall()
        for report_id, stored in same_key:
            if _canonical(stored) == _canonical(text):
                return int(report_id)
        if same_key:
            if not replace:
                raise InputError(
                    f"{self.path}: the journal already holds a different report of book {book!r} as of {as_of} "
                    f"(report {same_key[0][0]}): it keeps one report per book and as_of; nothing was written "
                    "(append it with replace=True to replace the stored one)"
                )
            self._db.execute("DELETE FROM reports WHERE book = ? AND as_of = ?", (book, as_of))  # children cascade
        return None

    # --- reading ----------------------------------------------------------------------------

    def get(self, report_id: int) -> dict[str, Any]:
        """The report with id ``report_id``, as appended (read back from its JSON).

        Raises
        ------
        InputError
            No report has that id.
        """
        with self._reading():
            row = self._db.execute("SELECT report FROM reports WHERE id = ?", (int(report_id),)).fetchone()
        if row is None:
            raise InputError(f"{self.path}: no report with id {report_id}")
        report: dict[str, Any] = json.loads(row[0])
        return report

    def reports(self, *, book: str | None = None) -> list[JournalEntry]:
        """Every stored report (of ``book``, if given) in time order (``as_of``, then id)."""
        query = "SELECT id, as_of, created_at, book, report FROM reports"
        with self._reading():
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
        with self._reading():
            rows = self._db.execute(*_filtered(_HISTORY, book, "r.")).fetchall()
        frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
        frame["as_of"] = pd.to_datetime(frame["as_of"], format="ISO8601")
        for name in ("spx", "vix", *_TOTAL_METRICS):
            frame[name] = frame[name].astype("float64")
        for name in ("id", "breaches", "warnings", "actions"):
            frame[name] = frame[name].astype("int64")
        return frame

    def books(self) -> list[str]:
        """The books the journal holds reports of, sorted."""
        with self._reading():
            return [row[0] for row in self._db.execute("SELECT DISTINCT book FROM reports ORDER BY book")]


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
        dt.datetime.now(dt.UTC).isoformat(),
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


def _canonical(text: str) -> str:
    """A report's JSON with sorted keys: the same content compares equal whatever its key order."""
    return json.dumps(json.loads(text), sort_keys=True)


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
