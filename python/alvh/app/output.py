"""Output safety, the one way every command writes (README, "Command line"): the outputs are
checked before any work — never onto an input, a format the extension names and alvh can write,
folders by one rule — and each file is written to a hidden temporary beside it and renamed into
place, so a failed or interrupted command leaves no partial file.

The folder rule: the folder an output file goes into must exist; an output folder (``--out``,
``--plots``) is created if missing, but not its missing parents; an output folder that is a file
is refused.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from alvh._csv import formula_safe
from alvh._optional import require
from alvh.exceptions import ConfigError

__all__ = [
    "ANY",
    "CSV",
    "HTML",
    "PARQUET",
    "PNG",
    "TABLE",
    "TOML",
    "atomic",
    "atomic_folder",
    "check_outputs",
    "write_table",
]

CSV = (".csv",)
PARQUET = (".parquet", ".pq")
TABLE = CSV + PARQUET
PNG = (".png",)
TOML = (".toml",)
HTML = (".html", ".htm")
ANY = ()
"""Formats (file name extensions) of an output option; ``ANY``: any name (the journal)."""


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: done once, at import
    os.umask(mask)
    return mask


_UMASK = _read_umask()
"""The process's umask, which the outputs' permissions follow (mkstemp's 0600 would make them
private to the user)."""


def check_outputs(
    inputs: Mapping[str, Path | None],
    files: Mapping[str, tuple[Path | None, tuple[str, ...]]],
    folders: Mapping[str, Path | None] | None = None,
) -> None:
    """Refuse, before any work, outputs that would overwrite an input (or each other), that name a
    format alvh cannot write under that option, or whose folder breaks the folder rule. Keys are
    the options as the user types them (``--csv``, ``BOOK``); ``files`` maps an option to its path
    and its formats (extensions)."""
    named = {option: path for option, path in inputs.items() if path is not None}
    for option, (path, formats) in files.items():
        if path is None:
            continue
        for other, taken in named.items():
            if _same_file(path, taken):
                what = "an input" if other in inputs else "another output"
                raise ConfigError(
                    f"{option} {path} is the same file as {other} {taken} ({what}): choose another output path"
                )
        _check_file_folder(option, path)
        _check_format(option, path, formats)
        named[option] = path
    for option, folder in (folders or {}).items():
        if folder is not None:
            _check_folder(option, folder)


def _same_file(path: Path, other: Path) -> bool:
    if path.exists() and other.exists():
        return os.path.samefile(path, other)
    return path.resolve() == other.resolve()


def _check_format(option: str, path: Path, formats: tuple[str, ...]) -> None:
    suffix = path.suffix.lower()
    if formats and suffix not in formats:
        raise ConfigError(
            f"{option} {path}: alvh cannot write {f'a {suffix!r} file' if suffix else 'a file without extension'} "
            f"here; use {' or '.join(formats)}"
        )
    if suffix in PARQUET:
        require("pyarrow.parquet", extra="parquet", needed_by=f"{option} {path}: writing Parquet")


def _check_file_folder(option: str, path: Path) -> None:
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; name a file")
    folder = path.parent
    if not folder.is_dir():
        problem = "not a folder" if folder.exists() else "no such folder"
        raise ConfigError(f"{option} {path}: {problem} {folder} (the folder of an output file must exist)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: no permission to write in the folder {folder}")


def _check_folder(option: str, folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{option} {folder}: not a folder (this option names a folder)")
    if not folder.parent.is_dir():
        raise ConfigError(
            f"{option} {folder}: no such folder {folder.parent} (alvh creates the output folder, not its parents)"
        )
    writable = folder if folder.exists() else folder.parent
    if not os.access(writable, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {folder}: no permission to write in the folder {writable}")


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """A hidden temporary file beside ``path``, with its extension, to write in the block; renamed
    onto ``path`` when the block ends, removed when it raises (Ctrl-C included)."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".partial{path.suffix}")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(folder: Path) -> Iterator[Path]:
    """A hidden temporary folder inside ``folder`` (created if missing, not its parents) to write
    files in; each is renamed into ``folder`` when the block ends, and the temporary removed
    whether the block finished or raised."""
    folder.mkdir(exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=folder, prefix=".alvh-partial-"))
    try:
        yield temporary
        for written in sorted(temporary.iterdir()):
            os.chmod(written, 0o666 & ~_UMASK)
            os.replace(written, folder / written.name)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def write_table(frame: pd.DataFrame, path: Path, *, index: bool) -> None:
    """``frame`` as CSV (formula-like cells escaped) or Parquet, by the extension, atomically."""
    with atomic(path) as temporary:
        if path.suffix.lower() in PARQUET:
            frame.to_parquet(temporary, index=index)
        else:
            formula_safe(frame).to_csv(temporary, index=index)
