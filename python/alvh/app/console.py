"""The terminal around every command: the two consoles (stdout for results, stderr for errors and
progress), alvh errors turned into one line and exit code 1, native solver output kept off
stdout, and checks of input and output paths before any work is done."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from alvh.exceptions import AlvhError, ConfigError

__all__ = [
    "EXIT_BREACH",
    "EXIT_ERROR",
    "alvh_errors",
    "console",
    "errors",
    "existing",
    "fail",
    "native_output_to_stderr",
    "progress_bar",
    "writable",
]

console = Console()
errors = Console(stderr=True)

EXIT_ERROR = 1
EXIT_BREACH = 3


@contextmanager
def alvh_errors() -> Iterator[None]:
    """An alvh error, or a file that cannot be written or read, becomes one clear line on stderr
    and exit code 1 (no traceback)."""
    try:
        yield
    except AlvhError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{e.filename}: {e.strerror}" if e.filename and e.strerror else str(e))


def fail(message: str) -> NoReturn:
    errors.print("[bold red]error:[/bold red] ", end="")
    errors.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_ERROR) from None


@contextmanager
def native_output_to_stderr() -> Iterator[None]:
    """Route what native code writes to file descriptor 1 to stderr while computing: scipy's HiGHS
    can print solver internals there even with ``disp=False`` (HiGHS issue 2783), and stdout must
    hold only the command's output (``--json`` parses)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreters): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def progress_bar(unit: str) -> Progress:
    """A progress bar on stderr (when it is a terminal), gone when the work is done."""
    return Progress(
        TextColumn(f"[bold]{unit}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


def existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise ConfigError(f"{path}: no such {what} file")
    return path


def writable(*paths: Path | None, folder: Path | None = None) -> None:
    """Check the output files' folders (and an output ``folder``) before any work is done."""
    for path in paths:
        if path is not None and not path.parent.is_dir():
            raise ConfigError(f"{path}: no such folder {path.parent}")
    if folder is not None and folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder (the plots go into a folder)")
