"""The HTML risk report (:mod:`alvh.app.html_report`, ``--html``), read as a parser reads it: one
self-contained page (every image an inline PNG of the plots' size, no script, no link or address
out of the page, a Content-Security-Policy that loads nothing else), every section with its table,
the rules in breach and only those highlighted, text escaped; the command line writes it under the
output-safety rules. tests/app/test_html_report_browser.py loads it in headless Chromium."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from typer.testing import CliRunner

import alvh.app.report_plots
import alvh.data
from alvh._html import FLAG_STYLE
from alvh.app import cli
from alvh.app.figures import png_bytes
from alvh.app.html_report import CONTENT_SECURITY_POLICY, report_html, write_html
from alvh.app.plots import FIGURE_SIZE_PX
from alvh.app.report import Report, risk_report
from alvh.app.report_plots import ReportPlot, report_plots
from alvh.book import Book
from alvh.book.book import LayerSpec
from alvh.market.events import load_events
from alvh.method.display import actions_html, rules_html, trades_html
from alvh.method.rules import RuleStatus
from tests.app.cli_runs import flat, invoke

BOOK = alvh.data.example_book_path()
MARKET = alvh.data.example_market_path()
EVENTS = BOOK.parent / "events.toml"
SECTIONS = ("layers", "rules", "actions", "scenarios", "profile", "vega", "stresses")


class Page(HTMLParser):
    """The parts of a page the tests read: every start tag with its attributes, the text, and the
    tables of each section, each a list of rows: (the row's attributes, its cells' text)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[tuple[dict[str, str], list[str]]]]] = {}
        self._section = ""
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "section":
            self._section = attributes["id"]
        elif tag == "table":
            self.tables.setdefault(self._section, []).append([])
        elif tag == "tr":
            self.tables[self._section][-1].append((attributes, []))
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._section][-1][-1][1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, section: str, table: int = 0) -> list[list[str]]:
        return [cells for _, cells in self.tables[section][table]]


@pytest.fixture(scope="module")
def report() -> Report:
    return risk_report(
        alvh.data.example_book(),
        alvh.data.example_market(),
        history=alvh.data.example_history(),
        events=load_events(EVENTS),
    )


@pytest.fixture(scope="module")
def plots(report: Report) -> tuple[ReportPlot, ...]:
    return report_plots(report)


@pytest.fixture(scope="module")
def page(report: Report, plots: tuple[ReportPlot, ...]) -> str:
    return report_html(report, plots=plots)


def assert_self_contained(text: str) -> Page:
    """Nothing in ``text`` loads or links anything outside the page; returns the parsed page."""
    parsed = Page(text)
    ids = {attributes["id"] for _, attributes in parsed.tags if "id" in attributes}
    for tag, attributes in parsed.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), tag
        if "src" in attributes:
            assert attributes["src"].startswith("data:image/png;base64,"), attributes["src"][:80]
        if "href" in attributes:
            assert attributes["href"].startswith("#") and attributes["href"][1:] in ids, attributes["href"]
        assert not any(name.startswith("on") for name in attributes), attributes
    style = text.split("<style>")[1].split("</style>", maxsplit=1)[0]
    assert "url(" not in style and "@import" not in style
    assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in text
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert not re.search(r"(https?:)?//[\w.-]+\.\w", text.replace("data:image/png;base64,", ""))
    return parsed


def inline_images(parsed: Page) -> list[bytes]:
    return [
        base64.b64decode(attributes["src"].removeprefix("data:image/png;base64,"), validate=True)
        for tag, attributes in parsed.tags
        if tag == "img"
    ]


# --- the page --------------------------------------------------------------------------------------


def test_the_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert_self_contained(page)


def test_the_plots_are_inlined_as_pngs_of_the_plot_size(
    report: Report, plots: tuple[ReportPlot, ...], page: str
) -> None:
    images = inline_images(Page(page))
    assert len(images) == 1 + len(report.grid.layers) + 2  # heat maps: the book's and each layer's
    assert images == [plot.png for plot in plots]
    width, height = FIGURE_SIZE_PX
    for png in images:
        pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
        assert pixels.shape[:2] == (height, width)
        assert np.ptp(pixels[..., :3]) > 0.5  # not blank
    alts = [attributes["alt"] for tag, attributes in Page(page).tags if tag == "img"]
    assert alts[0] == "Scenario P&L of the book, +1 d" and alts[-2:] == [
        "Risk profile: book P&L against the SPX level",
        "SPX vega by maturity bucket and layer",
    ]


def test_every_section_has_its_content(report: Report, page: str) -> None:
    parsed = Page(page)
    sections = [attributes["id"] for tag, attributes in parsed.tags if tag == "section"]
    assert sections == list(SECTIONS)
    layers = parsed.rows("layers")
    assert [row[0] for row in layers[1:]] == [*report.risk.layers.index, "book"]
    assert layers[-1][2] == "17"  # the book's legs
    rules = parsed.rows("rules")
    assert [row[0] for row in rules[1:]] == [r.id for r in report.decision.rules]
    actions, trades = parsed.rows("actions", 0), parsed.rows("actions", 1)
    action = report.decision.actions[0]
    assert len(actions) == 1 + len(report.decision.actions) and action.type.value in actions[1][1]
    assert len(trades) == 1 + sum(len(a.trades) for a in report.decision.actions) > 1
    trade = action.trades[0]
    assert trades[1][:4] == ["1", trade.layer, trade.instrument, trade.expiry.isoformat()]
    assert trades[1][6] == f"{trade.quantity:+d}"
    grid = parsed.rows("scenarios")
    assert len(grid) == 1 + len(report.grid.spot_shocks) and len(grid[0]) == 1 + len(report.grid.vol_shifts)
    book_pnl = report.grid.book[:, :, 1, 0]
    assert grid[1][1] == f"{book_pnl[0, 0]:,.0f}"
    assert [row[0] for row in parsed.rows("vega")[1:]] == list(report.risk.layers.index)
    stresses = parsed.rows("stresses")
    assert [row[0] for row in stresses[1:]] == [s.preset.name for s in report.stresses]
    assert stresses[1][-2] == f"{report.stresses[0].book:,.0f}"


def test_the_rules_that_fired_and_only_those_are_highlighted(report: Report, page: str) -> None:
    """Breaches and warnings (both call for action), as in a notebook's Decision: one renderer."""
    rows = Page(page).tables["rules"][0][1:]
    fired = [r.fired for r in report.decision.rules]
    breaches = [r.status is RuleStatus.BREACH for r in report.decision.rules]
    assert any(breaches) and not all(fired)  # the example book breaches R-STRESS
    assert [attributes.get("class") == "alvh-flag" for attributes, _ in rows] == fired
    assert all(FLAG_STYLE in attributes["style"] for attributes, _ in rows if attributes.get("class"))
    assert f"{sum(breaches)} of {len(breaches)} rules in breach" in page


def test_the_pages_decision_tables_are_the_notebooks(report: Report, page: str) -> None:
    """The rules, actions and trades are drawn by alvh.method.display, for the page and a notebook."""
    actions = report.decision.actions
    assert rules_html(report.decision.rules) in page
    assert actions_html(actions, after=True) in page and trades_html(actions) in page
    for table in (rules_html(report.decision.rules), actions_html(actions), trades_html(actions)):
        assert table in report.decision._repr_html_()


def test_text_from_the_book_is_escaped(report: Report, plots: tuple[ReportPlot, ...]) -> None:
    hostile_book = '<img src=x onerror="alert(1)">'
    hostile_layer = "<b>L1</b>&"
    book = alvh.data.example_book()
    layers = [LayerSpec(hostile_layer if spec.name == "L1" else spec.name, spec.role) for spec in book.layers]
    legs = book.legs.assign(layer=book.legs["layer"].replace("L1", hostile_layer))
    hostile = risk_report(
        Book.from_table(hostile_book, layers, legs), alvh.data.example_market(), events=load_events(EVENTS)
    )
    page = report_html(hostile, plots=plots)
    parsed = assert_self_contained(page)
    assert "<img src=x" not in page and "<b>" not in page
    text = "".join(parsed.text)
    assert hostile_book in text and hostile_layer in text  # shown as text
    assert [row[0] for row in parsed.rows("layers")[1:]][1] == hostile_layer


def test_write_html_writes_the_page(report: Report, plots: tuple[ReportPlot, ...], page: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("yesterday's report")
    assert write_html(report, path, plots=plots) == path
    assert path.read_text(encoding="utf-8") == page
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left beside it


# --- the command line ------------------------------------------------------------------------------


def test_demo_html_writes_the_page_and_no_plot_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, ["demo", "--html", "report.html"])
    assert "HTML report written to report.html." in flat(result.stdout)
    assert "Greeks by layer" in result.stdout  # the tables are printed as before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    parsed = assert_self_contained((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert len(inline_images(parsed)) == 7


def test_report_html_inlines_the_plots_it_writes_drawn_once(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = []

    def counted(figure: Any) -> bytes:
        drawn.append(figure)
        return png_bytes(figure)

    monkeypatch.setattr(alvh.app.report_plots, "png_bytes", counted)
    page, folder = tmp_path / "r.html", tmp_path / "plots"
    result = invoke(runner, ["report", BOOK, "--market", MARKET, "--json", "--html", page, "--plots", folder])
    assert result.stdout.lstrip().startswith("{")  # stdout stays JSON: the lines about files go to stderr
    assert f"HTML report written to {page}." in flat(result.stderr)
    images = inline_images(assert_self_contained(page.read_text(encoding="utf-8")))
    assert sorted(images) == sorted(p.read_bytes() for p in folder.iterdir())
    assert len(drawn) == len(images) == 7


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["report", "book.toml", "-m", "m.toml", "--html", "book.toml"], "--html book.toml is the same file as BOOK"),
        (["report", "book.toml", "-m", "m.toml", "--html", "r.pdf"], "--html r.pdf: alvh cannot write a '.pdf' file"),
        (["demo", "--html", "r.png"], "--html r.png: alvh cannot write a '.png' file here; use .html or .htm"),
        (["demo", "--html", "missing/r.html"], "--html missing/r.html: no such folder missing"),
    ],
    ids=["onto-the-book", "report-pdf", "demo-png", "missing-folder"],
)
def test_html_outputs_are_refused_before_the_work(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, source in (("book.toml", BOOK), ("m.toml", MARKET)):
        (tmp_path / name).write_bytes(source.read_bytes())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def work(*_: Any, **__: Any) -> Any:
        raise AssertionError("the command started its work before refusing its outputs")

    monkeypatch.setattr(cli, "risk_report", work)
    result = invoke(runner, args, code=1)
    assert expected in flat(result.stderr)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_report_whose_page_fails_is_not_journalled_and_leaves_no_page(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*_: Any, **__: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    journal, page = tmp_path / "risk.db", tmp_path / "r.html"
    result = invoke(runner, ["report", BOOK, "-m", MARKET, "--html", page, "--journal", journal], code=1)
    assert "No space left on device" in flat(result.stderr)
    assert list(tmp_path.iterdir()) == []


def test_the_notebook_view_is_the_pages_tables_without_its_plots(report: Report, page: str) -> None:
    """Report._repr_html_: the same tables, drawn by the same functions, and no image (drawing the
    plots takes seconds, and they would weigh megabytes in a notebook file)."""
    block = report._repr_html_()
    assert block.startswith('<div class="alvh-repr">') and "<img" not in block and "<section" not in block
    notebook, on_page = Page(block), Page(page)
    for key in ("layers", "rules", "actions", "scenarios", "vega", "stresses"):
        for table in on_page.tables[key]:
            assert table in notebook.tables[""], key  # no sections: every table under ""
