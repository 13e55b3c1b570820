"""Running ``alvh`` in tests: in-process through typer's CliRunner (fast) or as a subprocess
through the installed entry point, and reading what it printed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from alvh.app.cli import app

SUBPROCESS_ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def invoke(runner: CliRunner, args: Sequence[str], *, code: int = 0) -> Result:
    """Run ``alvh ARGS`` in-process and check the exit code; an exception other than the
    command's own exit (a traceback for the user) fails the test."""
    result = runner.invoke(app, [str(a) for a in args])
    assert isinstance(result.exception, (SystemExit, type(None))), (
        f"alvh {' '.join(map(str, args))} raised {result.exception!r}\n{result.output}"
    )
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}\n{result.output}"
    return result


def flat(text: str) -> str:
    """Text without rich's panel borders and line wrapping, for checking messages."""
    for border in "│╭╮╰╯─":
        text = text.replace(border, " ")
    return " ".join(text.split())


def cells(line: str) -> list[str]:
    """The cells of one row of a rich table."""
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


def run_alvh(
    args: Sequence[str], *, script: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``alvh ARGS`` in a subprocess: the console script ``script`` or ``python -m alvh``."""
    command = [script] if script else [sys.executable, "-m", "alvh"]
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, env=SUBPROCESS_ENV, timeout=timeout, check=False
    )


def as_json(data: dict[str, Any]) -> Any:
    """What a JSON reader gets back from ``data`` (strict JSON, as the CLI prints it)."""
    return json.loads(json.dumps(data, allow_nan=False))


def console_script() -> str | None:
    """The installed ``alvh`` console script next to this Python, if there is one."""
    return shutil.which("alvh", path=str(Path(sys.executable).parent))
