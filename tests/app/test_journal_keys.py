"""One report per book and as_of (issue 14): appending the same report again is a no-op that
returns the stored id, a different report for the same book and as_of is refused (or replaces
the stored one with ``replace=True``), journals written before the rule keep their rows; and
``alvh history --book`` says on stderr when no report matches, naming the books the journal holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alvh.app.cli import app
from alvh.app.journal import Journal
from alvh.exceptions import InputError
from tests.app.test_journal import AS_OF, as_json, assert_complete, make_report


def test_appending_the_same_report_twice_keeps_one(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        first = journal.append(make_report(0))
        other = journal.append(make_report(1))
        assert journal.append(make_report(0)) == first
        assert journal.append(json.loads(json.dumps(make_report(0)))) == first  # the same content
        assert len(journal) == 2
        assert list(journal.history()["id"]) == [first, other]
    assert_complete(tmp_path / "j.db")


def test_a_different_report_for_the_same_book_and_as_of_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        first = journal.append(make_report(0))
        changed = make_report(0, layers=2)
        with pytest.raises(InputError) as error:
            journal.append(changed)
        assert str(error.value) == (
            f"{path}: the journal already holds a different report of book 'Example ALVH book' as of "
            f"{AS_OF.isoformat()} (report {first}): it keeps one report per book and as_of; nothing was "
            "written (append it with replace=True to replace the stored one)"
        )
        assert len(journal) == 1 and journal.get(first) == as_json(make_report(0))
        assert journal.append(make_report(0, book="another book")) == first + 1  # another book: another key


def test_replace_swaps_the_stored_report(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        journal.append(make_report(0))
        kept = journal.append(make_report(1))
        changed = make_report(0, layers=2)
        new = journal.append(changed, replace=True)
        assert len(journal) == 2 and journal.get(new) == as_json(changed)
        assert journal.get(kept) == as_json(make_report(1))
        assert journal.append(changed, replace=True) == new  # identical: nothing to replace
    assert_complete(path)


def test_a_journal_written_before_the_rule_keeps_its_duplicates(tmp_path: Path) -> None:
    """Journals of schema version 1 may hold the same report twice: they open, keep every row,
    and an append of that report again returns the first copy."""
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        first = journal.append(make_report(0))
    with sqlite3.connect(path) as db:  # what appending twice did before the rule
        for table in ("reports", "layers", "rules", "actions"):
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            new = [
                ("id + 1" if table == "reports" else "report_id + 1") if c in ("id", "report_id") else c
                for c in columns
            ]
            db.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(new)} FROM {table}")
    db.close()
    with Journal(path) as journal:
        assert len(journal) == 2
        assert journal.append(make_report(0)) == first
        assert len(journal) == 2
        with pytest.raises(InputError, match=r"already holds a different report .* \(report 1\)"):
            journal.append(make_report(0, layers=2))
    assert_complete(path)


def test_history_of_an_unknown_book_says_so(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        journal.append(make_report(0, book="core book"))
        journal.append(make_report(0, book="hedged book"))
    runner = CliRunner(env={"COLUMNS": "200"})
    result = runner.invoke(app, ["history", str(path), "--book", "nosuch", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert " ".join(result.stderr.split()) == (
        f"no report of book 'nosuch' in {path}; its books: 'core book', 'hedged book'"
    )
    result = runner.invoke(app, ["history", str(path), "--book", "core book"])
    assert result.exit_code == 0 and result.stderr == ""
    empty = tmp_path / "empty.db"
    Journal(empty).close()
    result = runner.invoke(app, ["history", str(empty)])
    assert result.exit_code == 0 and " ".join(result.stderr.split()) == f"no report in {empty}: the journal is empty"


def test_history_png_of_no_report_writes_no_plot_and_exits_0(tmp_path: Path) -> None:
    path, png = tmp_path / "j.db", tmp_path / "trend.png"
    with Journal(path) as journal:
        journal.append(make_report(0, book="core book"))
    result = CliRunner().invoke(app, ["history", str(path), "--book", "nosuch", "--png", str(png)])
    assert result.exit_code == 0, result.stderr
    assert f"no trend plot written to {png}: nothing to plot" in " ".join(result.stderr.split())
    assert not png.exists()
