"""The documentation site's build helpers (docs/_tools): the check that the built site loads nothing
from the network, and the console that runs the pages' ``alvh`` commands."""

import runpy
from pathlib import Path
from typing import Any

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "docs" / "_tools"


@pytest.fixture(scope="module")
def offline() -> dict[str, Any]:
    return runpy.run_path(str(TOOLS / "offline.py"))


@pytest.fixture(scope="module")
def console_class() -> Any:
    return runpy.run_path(str(TOOLS / "console.py"))["Console"]


def write_site(root: Path, page: str, css: str = "") -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(
        f"<html><head>{page}</head><body><a href='https://example.org'>x</a></body></html>"
    )
    (root / "assets" / "main.css").write_text(css)
    return root


def test_a_self_contained_site_passes(tmp_path: Path, offline: dict[str, Any]) -> None:
    site = write_site(
        tmp_path,
        '<link rel="stylesheet" href="assets/main.css"><script src="assets/app.js"></script>'
        '<link rel="canonical" href="https://alvh.example/">',
        css="body { background: url(../images/a.png) } @import 'local.css';",
    )
    assert offline["remote_resources"](site) == []


@pytest.mark.parametrize(
    ("page", "css", "found"),
    [
        ('<script src="https://cdn.example/x.js"></script>', "", "<script src='https://cdn.example/x.js'>"),
        ('<link rel="stylesheet" href="//fonts.example/css">', "", "<link href='//fonts.example/css'>"),
        ('<img src="HTTP://img.example/a.png">', "", "<img src='HTTP://img.example/a.png'>"),
        ('<div style="background: url(https://img.example/b.png)"></div>', "", "https://img.example/b.png"),
        ("<style>@import 'https://cdn.example/t.css';</style>", "", "https://cdn.example/t.css"),
        ("", '@import "https://cdn.jsdelivr.net/npm/theme.css";', "https://cdn.jsdelivr.net/npm/theme.css"),
        ("", "x { src: url( 'https://fonts.example/f.woff2') }", "https://fonts.example/f.woff2"),
    ],
)
def test_each_remote_resource_is_reported(
    tmp_path: Path, offline: dict[str, Any], page: str, css: str, found: str
) -> None:
    (line,) = offline["remote_resources"](write_site(tmp_path, page, css))
    assert line.endswith(found)


def test_console_returns_the_transcript(console_class: Any) -> None:
    console = console_class()
    transcript = console.run("alvh --version")
    assert transcript.splitlines()[0] == "$ alvh --version"
    assert "alvh" in transcript.splitlines()[1]


def test_console_cuts_long_output(console_class: Any) -> None:
    lines = console_class().run("alvh --help", lines=2).splitlines()
    assert len(lines) == 4 and lines[-1] == "…"


def test_console_refuses_an_unexpected_exit_code(console_class: Any) -> None:
    console = console_class()
    with pytest.raises(RuntimeError, match="exited 2, expected 0"):
        console.run("alvh grid --no-such-option")
    assert "$ alvh grid" in console.run("alvh grid --no-such-option", exit_code=2)


def test_console_runs_only_alvh(console_class: Any) -> None:
    with pytest.raises(ValueError, match="not an alvh command"):
        console_class().run("rm -rf /")


def test_console_folder_goes_with_the_console(console_class: Any) -> None:
    console = console_class()
    console.run("alvh book import --help")
    folder = console.folder
    assert folder.is_dir()
    del console
    assert not folder.exists()


def test_the_hook_warns_for_each_remote_resource(
    tmp_path: Path, offline: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A warning on a ``mkdocs.*`` logger is what ``mkdocs build --strict`` counts to fail the build."""
    page = '<script src="https://cdn.example/x.js"></script>'
    site = write_site(tmp_path, page, css="@import '//cdn.example/t.css';")
    with caplog.at_level("WARNING", logger="mkdocs"):
        offline["on_post_build"]({"site_dir": str(site)})
    assert [(r.name, r.levelname) for r in caplog.records] == [("mkdocs.hooks.offline", "WARNING")] * 2
    assert "index.html: <script src='https://cdn.example/x.js'>" in caplog.records[0].getMessage()
