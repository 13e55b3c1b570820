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
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from alvh.exceptions import AlvhError, ConfigError

__all__ = [
    "EXIT_BREACH",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "alvh_errors",
    "console",
    "errors",
    "existing",
    "fail",
    "native_output_silenced",
    "progress_bar",
]

PIPED_WIDTH = 1000
"""Columns of stdout when it is not a terminal and COLUMNS is unset: rich's default of 80 would
crop wide tables (and lose their numbers) in a file or a pipe."""

console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPED_WIDTH)
errors = Console(stderr=True)

EXIT_ERROR = 1
EXIT_BREACH = 3
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C."""


@contextmanager
def alvh_errors() -> Iterator[None]:
    """An alvh error, or a file that cannot be written or read, becomes one clear line on stderr
    and exit code 1 (no traceback); Ctrl-C becomes one line and exit code 130 (the outputs' own
    context managers have removed their temporary files on the way out)."""
    try:
        yield
    except KeyboardInterrupt:
        errors.print("interrupted", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except AlvhError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{e.filename}: {e.strerror}" if e.filename and e.strerror else str(e))


def fail(message: str) -> NoReturn:
    errors.print("[bold red]error:[/bold red] ", end="")
    errors.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_ERROR) from None


@contextmanager
def native_output_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 1 to the null device while computing:
    scipy's HiGHS prints solver internals there even with ``disp=False`` (HiGHS issue 2783), and
    stdout holds only the command's output (``--json`` parses). Python's own ``sys.stdout`` is not
    redirected (nothing is printed to it while computing) and stderr keeps the progress bar."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreters): nothing to protect
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


class RateColumn(ProgressColumn):
    """Items per second, e.g. ``1,234 legs/s``."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s", style="progress.data.speed")


def progress_bar(unit: str) -> Progress:
    """A progress bar on stderr (when it is a terminal), gone when the work is done."""
    return Progress(
        TextColumn(f"[bold]{unit}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


def existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise ConfigError(f"{path}: no such {what} file")
    return path
