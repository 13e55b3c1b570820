"""MkDocs hook: the built site must load nothing from the network.

After the build, every HTML page is read for the resources a browser fetches on its own — scripts,
stylesheets, icons, images, frames, media — and every stylesheet for ``@import`` and ``url(...)``.
Each one that points off the site (``http:``, ``https:`` or ``//``) is logged as a warning, which
``mkdocs build --strict`` turns into a failed build. Plain links (``<a href>``) are not fetched and
are allowed. Scripts are not parsed: what they load only on demand (Material loads Mermaid from a
CDN only for a page with a Mermaid diagram) is kept out by not using those features.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.offline")

# (tag, attribute) pairs a browser fetches without being clicked
FETCHED = {
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("img", "srcset"),
    ("iframe", "src"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("image", "href"),
    ("use", "href"),
}
REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"""(?:@import\s+|url\(\s*)["']?\s*((?:https?:)?//[^"')\s;]+)""", re.IGNORECASE)
# <link rel=...> values that only name a page, never fetched by the browser on load
LINK_NOT_FETCHED = {"canonical", "alternate", "next", "prev", "author", "license", "help", "search"}


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and set(values.get("rel", "").lower().split()) <= LINK_NOT_FETCHED and values.get("rel"):
            return
        for name, value in values.items():
            if (tag, name) in FETCHED and REMOTE.match(value):
                self.remote.append(f"<{tag} {name}={value!r}>")
        self.remote.extend(f"<{tag} style> {url}" for url in CSS_REMOTE.findall(values.get("style", "")))

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.remote.extend(f"<style> {url}" for url in CSS_REMOTE.findall(data))


def remote_resources(site: Path) -> list[str]:
    """Every resource under ``site`` that a browser would fetch from the network, as
    ``"page: what"`` lines (empty when the site is self-contained)."""
    found: list[str] = []
    for page in sorted(site.rglob("*.html")):
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        found.extend(f"{page.relative_to(site)}: {what}" for what in parser.remote)
    for sheet in sorted(site.rglob("*.css")):
        urls = CSS_REMOTE.findall(sheet.read_text(encoding="utf-8"))
        found.extend(f"{sheet.relative_to(site)}: {url}" for url in urls)
    return found


def on_post_build(config: Any, **_: Any) -> None:
    for line in remote_resources(Path(config["site_dir"])):
        log.warning("the site would load this from the network: %s", line)
