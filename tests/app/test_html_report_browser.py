"""The HTML risk report in a real browser (headless Chromium, tests/app/browser.py): the page that
``alvh demo --html`` writes loads without a console warning or error and without a request beyond
itself and its inline images, shows every table and every plot at its size, and a screenshot of
the whole page is written (``html_report.png`` in the test's tmp_path) and is not blank. The checks
are shown to catch a page that breaks each rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from typer.testing import CliRunner

from alvh.app.plots import FIGURE_SIZE_PX
from tests.app import browser
from tests.app.browser import REQUIRE_BROWSER, WINDOW, PageLoad, chromium_paths, headless_chromium, load, screenshot
from tests.app.cli_runs import invoke

SECTIONS = ("layers", "rules", "actions", "scenarios", "profile", "vega", "stresses")
ONE_PIXEL = "data:image/png;base64," + (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


def outside(page: Path, result: PageLoad) -> list[str]:
    """The requests of a load that went beyond the page and its inline images."""
    return [url for url in result.requests if url != page.resolve().as_uri() and not url.startswith("data:")]


def test_a_missing_browser_skips_the_tests_or_fails_them_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda _: None)
    monkeypatch.delenv(REQUIRE_BROWSER, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no headless browser: Chromium and its driver"):
        chromium_paths()
    monkeypatch.setenv(REQUIRE_BROWSER, "1")
    with pytest.raises(pytest.fail.Exception, match="ALVH_REQUIRE_BROWSER=1 but Chromium and its driver"):
        chromium_paths()


def test_the_checks_catch_a_page_that_breaks_the_rules(chromium: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>bad</title></head><body>"
        f"<img src='http://plots.example.invalid/p.png'><img src='{ONE_PIXEL}'>"
        "<script>console.error('broken'); undefinedFunction();</script></body></html>"
    )
    result = load(chromium, bad)
    assert outside(bad, result) == ["http://plots.example.invalid/p.png"]
    assert ONE_PIXEL in result.requests  # inline images are seen, and allowed
    sources = sorted(problem["source"] for problem in result.problems)
    assert sources == ["console-api", "javascript", "network"], result.problems

    good = tmp_path / "good.html"
    good.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ok</title></head>"
        f"<body><img src='{ONE_PIXEL}'></body></html>"
    )
    clean = load(chromium, good)  # and nothing of the bad page is left over
    assert (clean.problems, outside(good, clean)) == ((), [])


def test_the_report_in_chromium(chromium: Any, runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    invoke(runner, ["demo", "--html", page])
    result = load(chromium, page)
    assert result.problems == (), result.problems
    assert outside(page, result) == []

    shown = chromium.execute_script(
        """
        const box = (e) => e.getBoundingClientRect();
        return {
            sections: [...document.querySelectorAll("section")].map((s) => [s.id, box(s).height]),
            tables: [...document.querySelectorAll("table")].map((t) => [t.rows.length, box(t).width, box(t).height]),
            images: [...document.images].map((i) => [i.complete, i.naturalWidth, i.naturalHeight, box(i).width]),
            flagged: document.querySelectorAll("tr.alvh-flag").length,
            flagColour: getComputedStyle(document.querySelector("tr.alvh-flag")).backgroundColor,
        };
        """
    )
    assert [name for name, _ in shown["sections"]] == list(SECTIONS)
    assert all(height > 50 for _, height in shown["sections"]), shown["sections"]
    assert len(shown["tables"]) == 7  # layers, rules, actions, trades, grid, vega, stresses
    assert all(rows >= 2 and width > 100 and height > 20 for rows, width, height in shown["tables"]), shown["tables"]
    width, height = FIGURE_SIZE_PX
    assert len(shown["images"]) == 7
    assert all(i[:3] == [True, width, height] and i[3] > 400 for i in shown["images"]), shown["images"]
    assert shown["flagged"] >= 1 and shown["flagColour"] == "rgb(253, 226, 225)"  # alvh._html.FLAG_STYLE

    shot = screenshot(chromium, tmp_path / "html_report.png")
    print(f"screenshot of the HTML report: {shot}")
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    pixels = np.round(255 * matplotlib.image.imread(shot)[..., :3]).astype(np.uint32)
    assert pixels.shape[1] == WINDOW[0] and pixels.shape[0] > 7 * 300  # the whole page, plots and all
    not_white = (pixels < 245).any(axis=2).mean()
    colours = len(np.unique(pixels @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)))
    assert not_white > 0.1 and colours > 1000, (not_white, colours)  # tables, text and coloured plots
