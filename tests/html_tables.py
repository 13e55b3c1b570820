"""Read back the tables of an HTML fragment (a ``_repr_html_`` block): each table's caption, header
and rows as the text a browser shows, so that tests assert on cells, not on markup. The parser
also checks that every tag it opens is closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"br", "hr", "img", "meta", "link", "input"}


@dataclass
class Table:
    caption: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    flagged: list[bool] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        return [row[self.header.index(name)] for row in self.rows]

    def row(self, first: str) -> dict[str, str]:
        """The row whose first cell is ``first``, by header."""
        (row,) = [r for r in self.rows if r[0] == first]
        return dict(zip(self.header, row, strict=True))


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self.open: list[str] = []
        self.text: list[str] | None = None
        self.title = ""
        self._flag = False
        self._row: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)
        if tag == "table":
            self.tables.append(Table())
        elif tag == "tr":
            self._row, self._flag = [], "alvh-flag" in (dict(attrs).get("class") or "")
        elif tag in ("td", "th", "caption", "strong"):
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()
        text = "".join(self.text or [])
        if tag == "caption":
            self.tables[-1].caption = text
        elif tag == "strong":
            self.title = text
        elif tag in ("td", "th"):
            self._row.append(text)
        elif tag == "tr":
            table = self.tables[-1]
            if "thead" in self.open:
                table.header = self._row
            else:
                table.rows.append(self._row)
                table.flagged.append(self._flag)
        if tag in ("td", "th", "caption", "strong"):
            self.text = None

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def read_tables(fragment: str) -> tuple[str, list[Table]]:
    """The title (the ``<strong>`` text) and the tables of ``fragment``."""
    parser = _Tables()
    parser.feed(fragment)
    parser.close()
    assert not parser.open, f"unclosed tags: {parser.open}"
    return parser.title, parser.tables
