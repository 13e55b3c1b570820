"""The journal's file (issue 14): reading never creates or changes a file, writing creates a
journal only where no file exists, a file that is not an intact alvh journal of this schema is
refused before anything is written (its bytes and SQLite journal mode unchanged), and a
corrupt, truncated or read-only journal is a ConfigError naming the file, exit 1 on the command
line, never a SQLite traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import alvh.data
from alvh.app import journal_file
from alvh.app.cli import app
from alvh.app.journal import SCHEMA_VERSION, Journal
from alvh.exceptions import ConfigError
from tests.app.test_journal import make_report


def snapshot(path: Path) -> dict[str, bytes]:
    """The bytes of every file of ``path``'s folder: nothing created, nothing changed."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir())}


def journal_with_reports(path: Path, count: int = 30) -> Path:
    with Journal(path) as journal:
        for day in range(count):
            journal.append(make_report(day, book="another book"))
    return path


def history(path: Path, *args: str) -> tuple[int, str]:
    """``alvh history PATH ARGS``: exit code and stderr; a traceback fails the test."""
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["history", str(path), *args])
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    return result.exit_code, result.stderr


def report_to(journal: Path) -> tuple[int, str]:
    """``alvh report`` of the example book appending to ``journal``: exit code and stderr."""
    args = ["report", str(alvh.data.example_book_path()), "--market", str(alvh.data.example_market_path())]
    result = CliRunner().invoke(app, [*args, "--journal", str(journal), "--json"])
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    return result.exit_code, result.stderr


# --- files that are not journals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "an empty file"),
        (b"my notes\n", "not a SQLite database"),
        (b"this is not a database file at all" * 100, "not a SQLite database"),
    ],
    ids=["empty", "short text", "long text"],
)
def test_a_file_that_is_not_a_journal_is_refused_unchanged(tmp_path: Path, content: bytes, why: str) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(content)
    before = snapshot(notes)
    for read_only in (True, False):
        with pytest.raises(ConfigError, match=why) as error:
            Journal(notes, read_only=read_only)
        assert str(error.value).startswith(f"{notes}: cannot open as an alvh journal: ")
        assert snapshot(notes) == before
    code, stderr = history(notes)
    assert (code, snapshot(notes)) == (1, before)
    assert f"{notes}: cannot open as an alvh journal: {why}" in " ".join(stderr.split())
    code, stderr = report_to(notes)
    assert (code, snapshot(notes)) == (1, before)
    assert "cannot open as an alvh journal" in stderr


def test_reading_a_missing_journal_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "risk.db"
    with pytest.raises(ConfigError, match=f"^{re.escape(str(missing))}: no such journal file$"):
        Journal(missing, read_only=True)
    assert list(tmp_path.iterdir()) == []


def rollback_database(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE prices (day TEXT, close REAL)")
        db.execute("INSERT INTO prices VALUES ('2026-11-20', 5900.0)")
    db.close()
    return path


def newer_journal(path: Path) -> Path:
    """A journal of the next schema version, in rollback mode: a WAL switch would show."""
    journal_with_reports(path, 2)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
        db.commit()
        assert db.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    db.close()
    return path


@pytest.mark.parametrize(
    ("make", "why"),
    [(rollback_database, r"not an alvh journal \(its tables: prices\)"), (newer_journal, "newer than this alvh")],
    ids=["another database", "newer schema"],
)
@pytest.mark.parametrize("read_only", [False, True], ids=["write", "read"])
def test_a_refused_database_keeps_its_bytes_and_journal_mode(
    tmp_path: Path, make: Callable[[Path], Path], why: str, read_only: bool
) -> None:
    path = make(tmp_path / "other.db")
    before = snapshot(path)
    with pytest.raises(ConfigError, match=why):
        Journal(path, read_only=read_only)
    assert snapshot(path) == before
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()


def test_the_history_command_never_writes(tmp_path: Path) -> None:
    path = journal_with_reports(tmp_path / "risk.db", 3)
    before = snapshot(path)
    assert history(path)[0] == 0
    assert snapshot(path) == before


def test_writing_creates_a_journal_where_no_file_exists(tmp_path: Path) -> None:
    path = tmp_path / "risk.db"
    assert report_to(path)[0] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["risk.db"]  # no temporary file left
    with Journal(path, read_only=True) as journal:
        assert len(journal) == 1


# --- corrupt and read-only journals ---------------------------------------------------------------


def overwrite(path: Path, offset: int, size: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    data[offset : offset + size] = bytes(range(256)) * (size // 256)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
        lambda p: p.write_bytes(p.read_bytes()[:100]),
        lambda p: overwrite(p, 8192),
        lambda p: overwrite(p, len(p.read_bytes()) // 2),
    ],
    ids=["truncated to half", "header only", "schema page overwritten", "data page overwritten"],
)
def test_a_corrupt_journal_is_a_config_error(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    path = journal_with_reports(tmp_path / "risk.db")
    damage(path)
    before = path.read_bytes()
    for read_only in (True, False):
        with pytest.raises(ConfigError, match="the journal is corrupt") as error, Journal(path, read_only=read_only):
            pass
        assert str(error.value).startswith(f"{path}: cannot open as an alvh journal: the journal is corrupt")
    code, stderr = history(path)
    assert code == 1 and f"{path}: cannot open as an alvh journal: the journal is corrupt" in " ".join(stderr.split())
    assert "Traceback" not in stderr
    code, stderr = report_to(path)
    assert code == 1 and "the journal is corrupt" in stderr
    assert path.read_bytes() == before  # (a WAL-mode file may gain SQLite's empty -wal and -shm beside it)


def read_only_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the journal opens is read-only, as SQLite opens a file the user cannot
    write: the API's error, in process (the test below runs the command line on a real one)."""
    connect = journal_file._connect

    def read_only(path: Path, mode: str, timeout: float) -> sqlite3.Connection:
        return connect(path, "ro", timeout)

    monkeypatch.setattr(journal_file, "_connect", read_only)


def test_appending_to_a_read_only_journal_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = journal_with_reports(tmp_path / "risk.db", 2)
    before = path.read_bytes()
    read_only_sqlite(monkeypatch)
    with (
        pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: cannot write to the journal: .*readonly"),
        Journal(path) as journal,
    ):
        journal.append(make_report(5))
    code, stderr = report_to(path)
    assert code == 1 and f"{path}: cannot write to the journal" in " ".join(stderr.split())
    assert path.read_bytes() == before
    assert history(path)[0] == 0  # reading needs no write access


def unprivileged() -> list[str]:
    """A command prefix under which file permissions hold: nothing for a user; for root, setpriv
    without the capabilities that override them (chmod does not stop root's writes)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("run as root without setpriv: file permissions do not hold")
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, "--bounding-set", caps, "--inh-caps", caps]


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_journal_is_read_and_refuses_appends(tmp_path: Path, read_only: str) -> None:
    folder = tmp_path / "journals"
    folder.mkdir()
    path = journal_with_reports(folder / "risk.db", 2)
    before = path.read_bytes()
    locked = path if read_only == "file" else folder
    locked.chmod(0o444 if read_only == "file" else 0o555)
    try:
        command = [*unprivileged(), sys.executable, "-c", "from alvh.app.entry import main; main()"]
        read = subprocess.run([*command, "history", str(path), "--json"], capture_output=True, text=True, check=False)
        assert read.returncode == 0, read.stderr
        assert len(json.loads(read.stdout)) == 2
        inputs = [str(alvh.data.example_book_path()), "--market", str(alvh.data.example_market_path())]
        write = subprocess.run(
            [*command, "report", *inputs, "--journal", str(path)], capture_output=True, text=True, check=False
        )
        assert write.returncode == 1 and "Traceback" not in write.stderr
        refusal = (  # a read-only folder is refused by the commands' output rule, before the report is computed
            f"{path}: cannot write to the journal: attempt to write a readonly database"
            if read_only == "file"
            else f"--journal {path}: no permission to write in the folder {folder}"
        )
        assert refusal in " ".join(write.stderr.split())
        assert path.read_bytes() == before
    finally:
        locked.chmod(0o755)
