"""Fixtures of the command-line tests."""

import pytest
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    # wide tables: no cell of interest is cut short
    return CliRunner(env={"COLUMNS": "200"})
