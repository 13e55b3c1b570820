"""``alvh experiment``: the files it writes and what it prints (on the synthetic experiment, no
replay), its refusals before any work, and the whole command on a short window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import alvh.data
from alvh.app import experiment_command
from alvh.backtest.experiment_report import experiment_markdown, experiment_tables
from tests.app.cli_runs import flat, invoke
from tests.backtest.experiment_cases import synthetic_experiment


@pytest.fixture
def no_replay(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The command's replays replaced by the synthetic experiment; the calls' arguments."""
    calls: list[dict[str, Any]] = []

    def run(history: pd.DataFrame, config: Any, **options: Any) -> Any:
        calls.append({"history": history, "config": config, **options})
        return synthetic_experiment()

    monkeypatch.setattr(experiment_command, "run_experiment", run)
    return calls


def test_writes_the_markdown_and_the_csv(runner: CliRunner, no_replay: list[dict[str, Any]], tmp_path: Path) -> None:
    out = tmp_path / "exp"
    result = invoke(
        runner, ["experiment", "--start", "2015-08-03", "--end", "2015-09-15", "--out", out, "--workers", 2]
    )
    call = no_replay[0]
    assert (str(call["config"].start), str(call["config"].end), call["workers"]) == ("2015-08-03", "2015-09-15", 2)
    assert call["scheduler"] is None
    assert sorted(p.name for p in out.iterdir()) == ["experiment.csv", "experiment.md"]  # no partial file left
    assert (out / "experiment.md").read_text() == experiment_markdown(experiment_tables(synthetic_experiment()))
    figures = pd.read_csv(out / "experiment.csv")
    assert list(figures.columns) == ["table", "setting", "variant", "figure", "value"]
    total = figures.query("table == 'figures' and variant == 'hedged' and figure == 'total_pnl'")["value"]
    assert float(total.iloc[0]) == -670.0  # a negative number is not escaped as a formula
    text = flat(result.output)
    assert "model-priced" in text and "Hedge trading costs $" in text and "Best (" in text
    assert f"Written to {out}/: experiment.md, experiment.csv." in text


def test_the_scheduler_is_passed_on(runner: CliRunner, no_replay: list[dict[str, Any]], tmp_path: Path) -> None:
    invoke(runner, ["experiment", "--out", tmp_path / "exp", "--scheduler", "tcp://10.0.0.5:8786"])
    assert no_replay[0]["scheduler"] == "tcp://10.0.0.5:8786"


def test_quoted_futures_data_is_read(runner: CliRunner, no_replay: list[dict[str, Any]], tmp_path: Path) -> None:
    history = pd.read_csv(alvh.data.example_history_path())
    history["vx1"] = history["vix"] + 1.0
    data = tmp_path / "quoted.csv"
    history.to_csv(data, index=False)
    invoke(runner, ["experiment", "--data", data, "--out", tmp_path / "exp", "--workers", 1])
    assert "vx1" in no_replay[0]["history"].columns


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("out is a file", "--out {out}: not a folder"),
        ("no parent", "--out {out}: no such folder"),
        ("data in out", "--out experiment.csv {out}/experiment.csv is the same file as --data"),
        ("bad config", "no such config file"),
    ],
)
def test_refused_before_any_work(
    runner: CliRunner, no_replay: list[dict[str, Any]], tmp_path: Path, setup: str, message: str
) -> None:
    out = tmp_path / "exp"
    args: list[Any] = ["experiment", "--out", out]
    if setup == "out is a file":
        out.write_text("keep")
    elif setup == "no parent":
        out = tmp_path / "missing" / "exp"
        args = ["experiment", "--out", out]
    elif setup == "data in out":
        out.mkdir()
        (out / "experiment.csv").write_text("keep")
        args += ["--data", out / "experiment.csv"]
    else:
        args += ["--config", tmp_path / "none.toml"]
    result = invoke(runner, args, code=1)
    assert message.format(out=out) in flat(result.stderr)
    assert not no_replay
    if setup == "data in out":
        assert (out / "experiment.csv").read_text() == "keep"


def test_the_command_on_a_short_window(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    args = ["experiment", "--start", "2015-08-01", "--end", "2015-09-15", "--out", out, "--workers", 1]
    result = invoke(runner, args)
    text = (out / "experiment.md").read_text()
    assert "2015-08-03 to 2015-09-15" in text and "**model-priced**" in text
    assert "| Figure | naked | static | method-today | hysteresis | es-delta | stress |" in text
    figures = pd.read_csv(out / "experiment.csv")
    settings = figures.query("table == 'settings'")["setting"].unique().tolist()
    assert settings == ["base", "costs x0.5", "costs x2", "premium 0", "premium 5"]
    assert "Best (" in flat(result.output)


def test_help(runner: CliRunner) -> None:
    assert "experiment" in invoke(runner, ["--help"]).stdout
    text = flat(invoke(runner, ["experiment", "--help"]).stdout)
    for option in ("--data", "--config", "--start", "--end", "--out", "--workers", "--scheduler", "Example"):
        assert option in text
