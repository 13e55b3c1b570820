"""Headless Chromium for the tests, the system's own (Debian's ``chromium`` and ``chromium-driver``,
which `.ci/run` installs), driven through WebDriver by Selenium.

Why Selenium and Debian's chromedriver: the driver is built from the same Debian source package as
the browser, so their versions always match (Playwright pins one Chromium build of its own and
cannot download it here); Selenium is a small pure-Python wheel, and with the driver's path given it
downloads nothing. Chromium's own logs give what the tests check: the console (``browser`` log:
console messages, script errors, failed loads, Content-Security-Policy refusals) and every request
the page made (``performance`` log: the DevTools ``Network.requestWillBeSent`` events).

Without Chromium the tests skip, unless ``ALVH_REQUIRE_BROWSER=1`` (set by .ci/run): then a missing
browser fails them.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REQUIRE_BROWSER = "ALVH_REQUIRE_BROWSER"
"""Set to 1 to make a missing browser a failure instead of a skip (CI)."""

WINDOW = (1280, 900)
"""The window's size in CSS pixels (the screenshot is as wide, and as tall as the page)."""

_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
    # no traffic off this machine: no background services, and no host name resolves
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


@dataclass(frozen=True)
class PageLoad:
    """What loading a page did: the console's warnings and errors (Chromium's log entries at
    WARNING or SEVERE, with their source: ``console-api``, ``javascript``, ``network``,
    ``security``…) and the URL of every request, the page's own and ``data:`` URIs included."""

    problems: tuple[dict[str, Any], ...]
    requests: tuple[str, ...]


def chromium_paths() -> tuple[str, str]:
    """The Chromium binary and its chromedriver; skips the test (fails it under
    ``ALVH_REQUIRE_BROWSER=1``) when either or Selenium is missing."""
    try:
        import selenium  # noqa: F401, PLC0415 (optional: only its presence is checked here)
    except ImportError:
        missing = "the selenium package (pip install 'alvh[test]')"
    else:
        binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
        driver = shutil.which("chromedriver")
        if binary and driver:
            return binary, driver
        missing = "Chromium and its driver (apt-get install chromium chromium-driver)"
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{REQUIRE_BROWSER}=1 but {missing} is not installed")
    pytest.skip(f"no headless browser: {missing} is not installed")


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A Selenium WebDriver of headless Chromium that records the console and the network."""
    from selenium import webdriver  # noqa: PLC0415 (optional: only the browser tests need it)
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in _FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def load(driver: Any, path: Path) -> PageLoad:
    """Open the file ``path`` (returns once it has loaded: images decoded, styles applied) and
    report what it logged and requested since the last load."""
    driver.get_log("browser")  # drop what earlier pages left
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    problems = tuple(e for e in driver.get_log("browser") if e["level"] in ("WARNING", "SEVERE"))
    requests = []
    for entry in driver.get_log("performance"):
        event = json.loads(entry["message"])["message"]
        if event["method"] == "Network.requestWillBeSent":
            requests.append(event["params"]["request"]["url"])
    return PageLoad(problems, tuple(requests))


def screenshot(driver: Any, path: Path) -> Path:
    """A PNG of the whole page (not only the window) at ``path``."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
