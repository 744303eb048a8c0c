"""Regenerate docs/app.png: the teaching app in year 20 of the Marche-like economy.

Usage (from the repository root, with Debian's Chromium installed)::

    .venv/bin/python docs/app_screenshot.py [docs/app.png]

Serves the app offline on a free local port (as ``clusterlab app`` does), opens it in
Chromium through Playwright, picks the ``marche_teaching`` preset, steps to year 8,
raises the cross-cluster subsidy to 0.5 (so that it acts from year 9), steps to year 20
and saves a screenshot of the page (1600 x 1560 pixels). The picture in README.md and
docs/teaching.md is this one.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from clusterlab.experiments.app_server import server_command, server_env

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
LEVER = ".cl-lever-cross_cluster_subsidy"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the app server exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)  # the local app server
            return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the app server did not answer within {timeout} s")


def _step_to(page, year: int) -> None:
    step = page.get_by_role("button", name="Step", exact=True)
    while not page.get_by_text(f"Step: {year}").is_visible():
        step.click()
        page.wait_for_timeout(300)
    expect(page.locator(".cl-status")).to_contain_text(f"Year {year} of preset")


def shoot(out: Path) -> None:
    """Drive the app to the pictured state and save the screenshot to ``out``."""
    if not CHROMIUM.exists():
        sys.exit("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    url = f"http://127.0.0.1:{_free_port()}/"
    port = int(url.rsplit(":", 1)[1].strip("/"))
    server = subprocess.Popen(
        server_command("127.0.0.1", port),
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(url, server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1560})
            page.set_default_timeout(60_000)
            page.goto(url)
            page.get_by_text("Step: 0").wait_for()
            page.get_by_label("Preset (a policy mix, or the teaching economy)").click(force=True)
            page.get_by_role("option", name="marche_teaching").click()
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(page.locator(".cl-status")).to_contain_text("preset 'marche_teaching'")
            _step_to(page, 8)
            slider, value = (
                page.locator(f"{LEVER} [role=slider]"),
                page.locator(f"{LEVER} .cl-lever-value"),
            )
            while not re.search(r": 0\.5$", text := value.inner_text()):
                slider.press("ArrowRight")  # one slider step (0.01); wait for the model to take it
                expect(value).not_to_have_text(text)
            _step_to(page, 20)
            page.wait_for_timeout(2000)  # let the charts finish drawing
            expect(page.locator(".cl-status")).to_contain_text(
                "from year 9: cross_cluster_subsidy = 0.5"
            )
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    shoot(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/app.png"))
