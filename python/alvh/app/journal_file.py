"""The journal's SQLite file: its schema, creating a new journal, and opening one for reading or
for writing.

* **Reading never creates or changes a file**: a missing file is an error, and a reader issues
  no statement that writes (its connection is opened read-write all the same, so that SQLite
  removes the ``-wal`` and ``-shm`` files when it closes; SQLite opens a write-protected file
  read-only instead). One exception: a ``-wal`` left by a writer that crashed is folded into the
  file when the reader closes it (committed reports only). A journal in a folder that cannot be
  written is read as immutable.
* **Writing creates a journal only where no file exists**: it is built in a temporary file
  beside ``path`` and hard-linked into place, which fails if a file appeared meanwhile (another
  writer's new journal, opened next), so no half-made journal is ever visible and no file is
  ever overwritten.
* **Every file is checked before anything is written**, over a read-only connection: a SQLite
  file at all, the alvh tables, this schema version, and ``PRAGMA quick_check`` (every page
  readable and well formed; linear in the file's size: 65 ms for 2,000 daily reports, 55 MB).
  Only then does a writer open it read-write and set WAL mode, which is persistent: a refused
  file keeps its bytes and its mode (a refused WAL-mode file may be left with an empty ``-wal``
  and a ``-shm`` index beside it, which are not part of the database).
* SQLite's errors become :class:`~alvh.exceptions.ConfigError` naming the file and what is wrong.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from alvh.exceptions import ConfigError

__all__ = ["LAYER_METRICS", "SCHEMA_VERSION", "open_journal", "sqlite_errors"]

SCHEMA_VERSION = 1
"""The journal schema this alvh reads and writes."""

LAYER_METRICS = ("spx_delta", "spx_dollar_delta", "spx_gamma", "spx_vega", "tw_vega", "theta", "market_value")
"""Layer metrics kept as columns of the ``layers`` table (all are also in the report's JSON)."""

_TABLES = frozenset({"schema_version", "reports", "layers", "rules", "actions"})

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

_MAGIC = b"SQLite format 3\x00"


def open_journal(path: Path, *, write: bool, timeout: float) -> sqlite3.Connection:
    """A connection to the alvh journal at ``path``, checked (see the module's docstring); for
    writing, in WAL mode with ``synchronous=FULL`` and foreign keys on, and the journal created
    if no file is there."""
    if write and not os.path.lexists(path):
        _create(path, timeout)
    # a folder nobody can write to holds no -wal, so no writer is at work: the file cannot change
    # while it is read, and SQLite needs no -shm beside it (which it could not create)
    frozen = not os.access(path.parent, os.W_OK) and not os.path.lexists(f"{path}-wal")
    with sqlite_errors(path, "cannot open as an alvh journal"):
        _check_header(path)
        db = _connect(path, "ro&immutable=1" if frozen else "ro", timeout)
        try:
            _check(db, path)
        except BaseException:
            db.close()
            raise
    if frozen and not write:
        return db
    db.close()
    # mode=rw even to read (see the module's docstring); unlike mode=rwc, it never creates a file
    with sqlite_errors(path, "cannot write to the journal" if write else "cannot read the journal"):
        db = _connect(path, "rw", timeout)
        if not write:
            return db
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ConfigError(f"{path}: the journal needs SQLite's WAL mode, but the file stays in {mode!r} mode")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            db.close()
            raise
    return db


@contextmanager
def sqlite_errors(path: Path, doing: str) -> Iterator[None]:
    """SQLite's and the file system's errors as a :class:`ConfigError`: ``{path}: {doing}: why``."""
    try:
        yield
    except sqlite3.Error as e:
        raise ConfigError(f"{path}: {doing}: {_why(path, e)}") from None
    except OSError as e:
        raise ConfigError(f"{path}: {doing}: {e.strerror or e}") from None


def _why(path: Path, error: sqlite3.Error) -> str:
    name = getattr(error, "sqlite_errorname", "")
    if name == "SQLITE_NOTADB":
        return "not a SQLite database"
    if name == "SQLITE_CORRUPT":
        return f"the journal is corrupt (SQLite: {error})"
    if name.startswith("SQLITE_READONLY") or name == "SQLITE_CANTOPEN":
        return (
            f"{error} (SQLite needs to write the file and, in WAL mode, {path.name}-wal and {path.name}-shm "
            f"beside it: are {path.name} and its folder {path.parent} writable?)"
        )
    if name == "SQLITE_BUSY":
        return f"{error} (another process held the journal's write lock for longer than the timeout)"
    return str(error)


def _connect(path: Path, mode: str, timeout: float) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; the journal issues BEGIN and COMMIT itself
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)


def _check_header(path: Path) -> None:
    with path.open("rb") as file:
        head = file.read(len(_MAGIC))
    if not head:
        raise ConfigError(
            f"{path}: cannot open as an alvh journal: an empty file "
            "(a new journal is created only where no file exists)"
        )
    if head != _MAGIC:
        raise ConfigError(f"{path}: cannot open as an alvh journal: not a SQLite database")


def _check(db: sqlite3.Connection, path: Path) -> None:
    """Refuse anything but an intact alvh journal of :data:`SCHEMA_VERSION`; reads only."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables >= _TABLES:
        raise ConfigError(f"{path}: not an alvh journal (its tables: {', '.join(sorted(tables)) or 'none'})")
    version = db.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    if not isinstance(version, int):
        raise ConfigError(f"{path}: the journal's schema_version table holds no version")
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: journal schema version {version} is newer than this alvh supports "
            f"({SCHEMA_VERSION}): upgrade alvh to read or append to it"
        )
    if version < SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: journal schema version {version} is older than this alvh's ({SCHEMA_VERSION}) "
            "and no migration exists for it"
        )
    problems = [row[0] for row in db.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise ConfigError(
            f"{path}: cannot open as an alvh journal: the journal is corrupt (SQLite's quick_check: {problems[0]})"
        )


def _create(path: Path, timeout: float) -> None:
    """A new, empty journal at ``path``, unless a file appeared there meanwhile."""
    if not path.parent.is_dir():
        raise ConfigError(f"{path}: cannot open the journal: no such folder {path.parent}")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.new")
    with sqlite_errors(path, "cannot open the journal"):
        os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        try:
            db = _connect(temporary, "rw", timeout)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(f"BEGIN; {_SCHEMA} COMMIT;")
            finally:
                db.close()
            with suppress(FileExistsError):  # another writer's new journal: checked and opened like any other
                os.link(temporary, path)
        finally:
            temporary.unlink()
