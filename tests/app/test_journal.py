"""Risk journal (issue 6): append/read round trip, the normalised tables, the history frame,
schema versioning, validation, atomicity (rollback on error, SIGKILL mid-transaction) and
concurrent writers in separate processes.

The crash tests run writers as child processes (``python -c``) that import :func:`make_report`
from this module, and kill them with SIGKILL, which no handler can intercept: what survives is
only what SQLite made durable.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.app.journal import HISTORY_COLUMNS, LAYER_METRICS, REQUIRED_KEYS, SCHEMA_VERSION, Journal
from alvh.data import example_book, example_market
from alvh.exceptions import ConfigError, InputError
from alvh.risk.valuation import value_book

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2026, 11, 20, 16, 0)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the crash tests use SIGKILL")


def make_report(
    day: int = 0,
    *,
    book: str = "Example ALVH book",
    layers: int = 4,
    statuses: tuple[str, ...] = ("ok", "warn", "breach", "info", "skipped"),
    actions: int = 2,
    **extra: Any,
) -> dict[str, Any]:
    """A report of the shape the report builder produces, ``day`` days after :data:`AS_OF`."""
    rng = random.Random(f"{book}/{day}/{layers}")
    return {
        "as_of": (AS_OF + dt.timedelta(days=day)).isoformat(),
        "book": book,
        "market": {"spx": 5900.0 + day, "vix": 16.0 + 0.1 * day, "rate": 0.04},
        "layers": [
            {
                "layer": f"L{i}",
                "role": "core" if i == 0 else "L1_theta_anchor",
                **{name: rng.uniform(-1000, 1000) for name in LAYER_METRICS},
                "bucket_vega": {"0-7": rng.uniform(-10, 10)},
            }
            for i in range(layers)
        ],
        "total": {"spx_delta": -117.7 + day, "spx_vega": -3630.5, "theta": 2381.2, "market_value": -18757.6},
        "rules": [
            {"id": f"R-{i}", "status": status, "value": rng.uniform(0, 1), "limit": "<= 0.15", "message": "m"}
            for i, status in enumerate(statuses)
        ],
        "actions": [
            {"type": "HEDGE_DELTA", "rules": ["R-DELTA"], "trades": [{"instrument": "VXM", "quantity": 2}]}
            for _ in range(actions)
        ],
        **extra,
    }


def as_json(report: object) -> Any:
    return json.loads(json.dumps(report))


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        result: str = db.execute("PRAGMA integrity_check").fetchone()[0]
        return result


def table_counts(path: Path) -> dict[str, dict[int, int]]:
    """Rows per report id in each child table."""
    with sqlite3.connect(path) as db:
        return {
            table: dict(db.execute(f"SELECT report_id, count(*) FROM {table} GROUP BY report_id").fetchall())
            for table in ("layers", "rules", "actions")
        }


def assert_complete(path: Path) -> None:
    """Every report in the journal has exactly the child rows its JSON lists, and no child row
    belongs to a report that is not there: no half-written report."""
    counts = table_counts(path)
    with Journal(path) as journal:
        entries = journal.reports()
    ids = {e.id for e in entries}
    for table, per_report in counts.items():
        assert set(per_report) <= ids, f"{table} has rows of reports that do not exist"
    for entry in entries:
        for table in ("layers", "rules", "actions"):
            assert counts[table].get(entry.id, 0) == len(entry.report[table]), (entry.id, table)


# --- round trip and tables ----------------------------------------------------------------------


def test_append_and_read_back(tmp_path: Path) -> None:
    report = make_report(extra_key={"note": "kept"}, numbers=np.arange(3), scalar=np.float64(1.5))
    with Journal(tmp_path / "j.db") as journal:
        first = journal.append(report)
        second = journal.append(make_report(1))
        assert (first, second) == (1, 2)
        assert len(journal) == 2
        back = journal.get(first)
    expected = as_json({**report, "numbers": [0, 1, 2], "scalar": 1.5})
    assert back == expected
    assert back["extra_key"] == {"note": "kept"}


def test_round_trip_of_a_real_valuation(tmp_path: Path) -> None:
    risk = value_book(example_book(), example_market())
    layers = [{"layer": str(name), **row} for name, row in risk.layers.to_dict("index").items()]
    report = {
        "as_of": risk.as_of,  # a datetime is accepted and stored as ISO text
        "book": risk.book,
        "market": {"spx": 5900.0, "vix": 16.0},
        "layers": layers,
        "total": risk.total.to_dict(),
        "rules": [],
        "actions": [],
    }
    with Journal(tmp_path / "j.db") as journal:
        report_id = journal.append(report)
        back = journal.get(report_id)
        history = journal.history()
    assert back["as_of"] == "2026-11-20T16:00:00"
    assert back["layers"] == as_json(layers)
    assert history["spx_vega"].iloc[0] == pytest.approx(risk.total["spx_vega"], rel=1e-15)
    with sqlite3.connect(tmp_path / "j.db") as db:
        stored = db.execute("SELECT layer, role, spx_vega FROM layers ORDER BY seq").fetchall()
    assert stored == [(name, row["role"], row["spx_vega"]) for name, row in risk.layers.iterrows()]


def test_normalised_tables(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    report = make_report(layers=3, statuses=("ok", "breach", "breach"), actions=1)
    report["rules"][0]["value"] = None
    report["rules"][1]["value"] = float("nan")
    with Journal(path) as journal:
        report_id = journal.append(report)
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT as_of, book, spx, vix, spx_delta, theta FROM reports").fetchone()
        layers = db.execute(f"SELECT layer, role, {', '.join(LAYER_METRICS)} FROM layers ORDER BY seq").fetchall()
        rules = db.execute("SELECT rule_id, status, value, rule_limit FROM rules ORDER BY seq").fetchall()
        actions = db.execute("SELECT report_id, type, action FROM actions").fetchall()
    assert row == ("2026-11-20T16:00:00", "Example ALVH book", 5900.0, 16.0, -117.7, 2381.2)
    assert layers == [(x["layer"], x["role"], *(x[m] for m in LAYER_METRICS)) for x in report["layers"]]
    assert rules == [
        ("R-0", "ok", None, "<= 0.15"),
        ("R-1", "breach", None, "<= 0.15"),  # NaN is stored as NULL
        ("R-2", "breach", report["rules"][2]["value"], "<= 0.15"),
    ]
    assert [(a[0], a[1], json.loads(a[2])) for a in actions] == [(report_id, "HEDGE_DELTA", report["actions"][0])]


def test_history_columns_order_and_counts(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        assert list(journal.history().columns) == HISTORY_COLUMNS  # empty journal: same columns
        # appended out of time order; two books
        journal.append(make_report(2, statuses=("breach", "breach", "warn"), actions=0))
        journal.append(make_report(0, statuses=("ok",), actions=3))
        journal.append(make_report(1, book="Other", statuses=("warn", "warn"), actions=1))
        journal.append(make_report(1, statuses=(), actions=1))
        history = journal.history()
        other = journal.history(book="Other")
        entries = journal.reports(book="Example ALVH book")
    assert list(history.columns) == HISTORY_COLUMNS
    assert history["id"].tolist() == [2, 3, 4, 1]  # as_of order, then id
    assert history["as_of"].tolist() == [pd.Timestamp(AS_OF + dt.timedelta(days=d)) for d in (0, 1, 1, 2)]
    assert history["book"].tolist() == ["Example ALVH book", "Other", "Example ALVH book", "Example ALVH book"]
    assert history["breaches"].tolist() == [0, 0, 0, 2]
    assert history["warnings"].tolist() == [0, 2, 0, 1]
    assert history["actions"].tolist() == [3, 1, 1, 0]
    assert history["spx_delta"].tolist() == pytest.approx([-117.7, -116.7, -116.7, -115.7])
    assert history["spx"].tolist() == [5900.0, 5901.0, 5901.0, 5902.0]
    assert pd.api.types.is_datetime64_any_dtype(history["as_of"])
    assert other["id"].tolist() == [3]
    assert [e.id for e in entries] == [2, 4, 1]
    assert entries[0].as_of == AS_OF and entries[0].created_at.tzinfo is not None


def test_missing_metrics_are_nan(tmp_path: Path) -> None:
    report = make_report()
    report["total"] = {"spx_delta": 1.0}
    report["market"] = {}
    with Journal(tmp_path / "j.db") as journal:
        journal.append(report)
        history = journal.history()
    assert history["spx_delta"].iloc[0] == 1.0
    assert history[["spx", "vix", "spx_vega", "theta", "market_value"]].isna().all(axis=None)


def test_unknown_id(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal, pytest.raises(InputError, match="no report with id 7"):
        journal.get(7)


# --- file format and schema ---------------------------------------------------------------------


def test_wal_mode_and_schema_version_are_stored(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    Journal(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    with Journal(path) as journal:  # reopening an existing journal
        assert len(journal) == 0


@pytest.mark.parametrize(("version", "match"), [(SCHEMA_VERSION + 1, "newer than this alvh"), (0, "older")])
def test_other_schema_versions_are_refused(tmp_path: Path, version: int, match: str) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        journal.append(make_report())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = ?", (version,))
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=match) as error:
        Journal(path)
    assert str(path) in str(error.value) and f"version {version}" in str(error.value)
    assert path.read_bytes() == before  # refused, not modified


def test_not_a_journal(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE prices (x REAL)")
    with pytest.raises(ConfigError, match=r"not an alvh journal \(its tables: prices\)"):
        Journal(other)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database file at all" * 100)
    with pytest.raises(ConfigError, match="cannot open as an alvh journal"):
        Journal(garbage)


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_missing_key_is_refused(tmp_path: Path, key: str) -> None:
    report = make_report()
    del report[key]
    with Journal(tmp_path / "j.db") as journal:
        with pytest.raises(InputError, match=f"report is missing the key '{key}'"):
            journal.append(report)
        assert len(journal) == 0


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda r: r["layers"][1].pop("layer"), r"report.layers\[1\] is missing the key 'layer'"),
        (lambda r: r["rules"][0].pop("id"), r"report.rules\[0\] is missing the key 'id'"),
        (lambda r: r["rules"][2].pop("status"), r"report.rules\[2\] is missing the key 'status'"),
        (lambda r: r["actions"][0].pop("type"), r"report.actions\[0\] is missing the key 'type'"),
        (lambda r: r["rules"][0].update(status="fine"), r"report.rules\[0\].status = 'fine' is not allowed"),
        (lambda r: r["total"].update(spx_delta="12"), r"report.total.spx_delta = '12' is not allowed: must be a"),
        (lambda r: r["layers"][0].update(theta=True), r"report.layers\[0\].theta = True is not allowed"),
        (lambda r: r.update(as_of="2026-11-20T16:00:00+00:00"), "must be naive"),
        (lambda r: r.update(as_of="yesterday"), "must be an ISO 8601 date-time"),
        (lambda r: r.update(book=""), "report.book = '' is not allowed"),
        (lambda r: r.update(layers={"core": {}}), "report.layers must be a list of mappings"),
        (lambda r: r.update(market=[5900.0]), "report.market must be a mapping"),
        (lambda r: r.update(extra=object()), "report cannot be stored as JSON"),
    ],
)
def test_bad_fields_are_refused(tmp_path: Path, edit: Any, match: str) -> None:
    report = make_report()
    edit(report)
    with Journal(tmp_path / "j.db") as journal:
        with pytest.raises(InputError, match=match):
            journal.append(report)
        assert len(journal) == 0


def test_report_must_be_a_mapping(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal, pytest.raises(InputError, match="must be a mapping"):
        journal.append([make_report()])  # type: ignore[arg-type]


# --- atomicity ----------------------------------------------------------------------------------


def test_error_inside_the_transaction_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "j.db"

    def fail(report_id: int) -> None:
        raise RuntimeError(f"failure while writing report {report_id}")

    with Journal(path) as journal:
        journal.append(make_report(0))
        with pytest.raises(RuntimeError, match="writing report 2"):
            journal.append(make_report(1, layers=50), _before_commit=fail)
        assert len(journal) == 1
        assert journal.append(make_report(2)) == 2  # the journal is usable; the rolled-back id is reused
    assert table_counts(path)["layers"] == {1: 4, 2: 4}
    assert integrity(path) == "ok"


KILL_WRITER = """
import sys, time
from pathlib import Path
from alvh.app.journal import Journal
from tests.app.test_journal import make_report

path, marker, committed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
with Journal(path) as journal:
    for day in range(committed):
        journal.append(make_report(day))

    def pause(report_id):
        # inside the transaction: every row is written, COMMIT is not; renamed into place, so the
        # parent never reads a marker that exists but is still empty (seen on a busy machine)
        written = marker.with_suffix(".tmp")
        written.write_text(str(report_id))
        written.replace(marker)
        time.sleep(120)

    # a big report: ~40 MB of rows and JSON, far more than SQLite's page cache, so uncommitted pages
    # spill into the WAL file before the kill
    journal.append(make_report(committed, layers=60_000, payload="x" * 8_000_000), _before_commit=pause)
raise SystemExit("the writer was not killed")
"""


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_writer_killed_mid_transaction_leaves_the_journal_intact(tmp_path: Path) -> None:
    path, marker, committed = tmp_path / "j.db", tmp_path / "in-transaction", 5
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_WRITER, str(path), str(marker), str(committed)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: marker.exists() or child.poll() is not None, 120, "the writer to open its transaction")
        assert child.poll() is None, child.communicate()[1]
        killed_id = int(marker.read_text())
        wal = path.with_name(path.name + "-wal")
        # the kill lands mid-write: uncommitted frames of the killed report are already in the WAL file
        assert wal.stat().st_size > 4_000_000
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert killed_id == committed + 1

    assert integrity(path) == "ok"
    with Journal(path) as journal:
        assert integrity(path) == "ok"
        assert len(journal) == committed
        entries = journal.reports()
        assert [e.id for e in entries] == list(range(1, committed + 1))
        for entry, day in zip(entries, range(committed), strict=True):
            assert entry.report == as_json(make_report(day))
        with pytest.raises(InputError):
            journal.get(killed_id)
        assert journal.append(make_report(99)) == killed_id  # the killed report's id was never committed
    with sqlite3.connect(path) as db:
        for table in ("layers", "rules", "actions"):
            assert db.execute(f"SELECT count(*) FROM {table} WHERE report_id > ?", (killed_id,)).fetchone() == (0,)
    counts = table_counts(path)
    assert counts["layers"] == {i: 4 for i in range(1, committed + 2)}  # none of the killed 60,000 rows
    assert_complete(path)


LOOP_WRITER = """
import os, sys
from pathlib import Path
from alvh.app.journal import Journal
from tests.app.test_journal import make_report

path, started, done = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
with Journal(path) as journal, done.open("a") as log:
    started.write_text("started")
    day = 0
    while True:
        report_id = journal.append(make_report(day, layers=200 + 97 * day % 2000))
        log.write(f"{report_id}\\n")  # only after COMMIT returned
        log.flush()
        os.fsync(log.fileno())
        day += 1
"""


def test_writers_killed_at_random_times_lose_nothing_committed(tmp_path: Path) -> None:
    path, done = tmp_path / "j.db", tmp_path / "committed.txt"
    rng = random.Random(20261120)
    for attempt in range(3):
        started = tmp_path / f"started-{attempt}"
        child = subprocess.Popen(
            [sys.executable, "-c", LOOP_WRITER, str(path), str(started), str(done)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: started.exists() or child.poll() is not None, 60, "the writer to start")  # noqa: B023
            assert child.poll() is None, child.communicate()[1]
            time.sleep(rng.uniform(0.2, 0.6))
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.communicate()
        assert child.returncode == -signal.SIGKILL
        assert integrity(path) == "ok"
        committed = {int(line) for line in done.read_text().split()}
        with Journal(path) as journal:
            stored = {e.id for e in journal.reports()}
        assert committed <= stored  # everything the writer saw committed is there
        # per kill, at most the one report committed before the writer could log it
        assert len(stored - committed) <= attempt + 1
        assert_complete(path)
    assert len(committed) > 3


CONCURRENT_WRITER = """
import sys, time
from pathlib import Path
from alvh.app.journal import Journal
from tests.app.test_journal import make_report

path, writer, count, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
while not go.exists():
    time.sleep(0.001)
with Journal(path) as journal:  # several processes create the journal at once
    for day in range(count):
        journal.append(make_report(day, book=f"writer-{writer}", layers=1 + day % 7))
"""


def test_concurrent_writers(tmp_path: Path) -> None:
    path, go, writers, count = tmp_path / "j.db", tmp_path / "go", 4, 20
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_WRITER, str(path), str(w), str(count), str(go)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    time.sleep(0.5)  # let the children import alvh, then release them together
    go.write_text("go")
    errors = [child.communicate(timeout=120)[1] for child in children]
    assert [child.returncode for child in children] == [0] * writers, errors
    assert integrity(path) == "ok"
    with Journal(path) as journal:
        history = journal.history()
        entries = journal.reports()
    assert len(history) == writers * count
    assert sorted(history["id"]) == list(range(1, writers * count + 1))
    for w in range(writers):
        mine = [e for e in entries if e.book == f"writer-{w}"]
        assert [e.report for e in mine] == [
            as_json(make_report(d, book=f"writer-{w}", layers=1 + d % 7)) for d in range(count)
        ]
    assert_complete(path)
