"""Run ``alvh`` commands for the documentation site and return them as console transcripts.

The site's pages load this file from hidden ``exec`` blocks (markdown-exec) and print what
:meth:`Console.run` returns (markdown-exec captures the page's own ``print``, not this module's):
each command runs while the site builds, in a temporary folder of its own page (so the build writes
nothing into the repository), and a command that exits with an unexpected code raises, which fails
the build.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

import alvh.data

DATA = Path(alvh.data.__file__).parent


class Console:
    """A temporary working folder in which ``alvh`` commands run; ``$D`` is the bundled data folder."""

    def __init__(self, width: int = 100) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="alvh-docs-"))
        # removed with the console (or at exit), silently: the pages never close it
        weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self.env = {**os.environ, "COLUMNS": str(width), "D": str(DATA)}

    def run(self, command: str, *, lines: int | None = None, exit_code: int = 0) -> str:
        """Run one ``alvh …`` command line; return ``$ command`` and its output (the first
        ``lines`` lines of it when given)."""
        program, *args = shlex.split(command.replace("$D", str(DATA)))
        if program != "alvh":
            raise ValueError(f"not an alvh command: {command!r}")
        done = subprocess.run(
            [sys.executable, "-m", "alvh", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != exit_code:
            raise RuntimeError(
                f"{command!r} exited {done.returncode}, expected {exit_code}:\n{done.stdout}\n{done.stderr}"
            )
        output = (done.stdout + done.stderr).rstrip("\n").splitlines()
        shown = output if lines is None or len(output) <= lines else [*output[:lines], "…"]
        return "\n".join(["$ " + command, *(line.rstrip() for line in shown)])

    def files(self) -> list[str]:
        """The files the commands wrote, relative to the working folder."""
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())
