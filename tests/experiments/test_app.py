"""The teaching app page: its legends, and one end-to-end run in a real headless browser
(Debian's Chromium, driven by Playwright; never a browser Playwright downloads).
"""

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from clusterlab.experiments.app import legend_html
from clusterlab.experiments.app_server import server_command, server_env
from clusterlab.experiments.app_space import LegendEntry

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # Chromium refuses to run as root without it (CI runs as root)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_legend_html_escapes_labels_and_uses_hex_colours():
    out = legend_html([LegendEntry("<b>R&D</b>", "tab:blue", "-"), LegendEntry("uni", "k", "^")])
    assert "&lt;b&gt;R&amp;D&lt;/b&gt;" in out
    assert "<b>" not in out
    assert "#1f77b4" in out
    assert "#000000" in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, server: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"the app server did not answer within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> Iterator[tuple[str, Path, int]]:
    """The app served on a free localhost port for this module; stopped afterwards.

    Yields its address, its log file and the server's process id.
    """
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            server_command("127.0.0.1", port),
            env=server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for_server(url, server, log, timeout=60)
        yield url, log, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _changed(locator, before: bytes, timeout: float = 15) -> bool:
    """Whether the element's pixels differ from ``before`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if locator.screenshot() != before:
            return True
        time.sleep(0.3)
    return False


def _at_year(page, year: int, timeout: float = 60_000) -> None:
    """Wait until the page's status line shows ``year`` (the app's own text, not Mesa's
    step counter, which reads "Step: 0" on Mesa 3.3 and "Time: 0.0" on 3.5). ``expect``
    waits 5 s unless told: a page loading under load takes longer."""
    expect(page.locator(".cl-status")).to_contain_text(f"Year {year} of preset", timeout=timeout)


def _loads_without_error(page, url: str) -> None:
    page.goto(url)
    _at_year(page, 0, timeout=60_000)
    page.locator(".cl-map img").wait_for()
    page.locator(".cl-network img").wait_for()
    page.locator(".cl-cross-cluster-chart canvas").wait_for()  # drawn by ECharts
    expect(page.locator(".cl-status")).to_contain_text("Year 0 of preset 'baseline'")
    assert page.locator(".v-alert").count() == 0
    assert "Traceback" not in page.inner_text("body")


def _step_changes_the_charts(page) -> None:
    chart = page.locator(".cl-cross-cluster-chart .solara-echarts")
    before = chart.screenshot()
    page.get_by_role("button", name="Step", exact=True).click()
    _at_year(page, 1)
    assert _changed(chart, before)


def _lever_changes_the_parameter(page) -> None:
    # The value shown is read from the running model's parameters.
    lever = page.locator(".cl-lever-cross_cluster_subsidy")
    expect(lever.locator(".cl-lever-value")).to_have_text(re.compile(r": 0$"))
    lever.locator("[role=slider]").press("ArrowRight")  # one step: 0 -> 0.01
    expect(lever.locator(".cl-lever-value")).to_have_text(re.compile(r": 0\.01$"))
    expect(page.locator(".cl-status")).to_contain_text(
        "Levers moved: from year 2: cross_cluster_subsidy = 0.01"
    )


def _typed_budget_sets_the_lever(page) -> None:
    # Exercise 4 asks for a budget of 50 M€: typed in the box beside the slider.
    lever = page.locator(".cl-lever-policy_budget")
    box = lever.locator(".cl-lever-box input")
    box.fill("50")
    box.press("Enter")
    expect(lever.locator(".cl-lever-value")).to_have_text(re.compile(r"\(M€/region/year\): 50$"))
    expect(page.locator(".cl-status")).to_contain_text("policy_budget = 50")
    box.fill("20000")  # beyond the range: a message under the lever, nothing changes
    box.press("Enter")
    expect(lever.locator(".cl-lever-error")).to_contain_text("'policy_budget' parameter")
    expect(lever.locator(".cl-lever-value")).to_have_text(re.compile(r": 50$"))


def _reset_restores_step_0(page) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".cl-status")).to_contain_text("Year 0 of preset 'baseline'")
    lever = page.locator(".cl-lever-cross_cluster_subsidy .cl-lever-value")
    expect(lever).to_have_text(re.compile(r": 0$"))  # the preset's value again


def _typed_setup_builds_the_world(page) -> None:
    firms = page.get_by_label("Firms (20 to 5000 firms)")
    expect(firms).to_have_value("1000")  # the value is always shown
    firms.fill("300")
    firms.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".cl-status")).to_contain_text("4 regions, 300 firms at the start")


def _bad_setup_shows_a_message(page) -> None:
    seed = page.get_by_label("Seed (whole number)")
    seed.fill("abc")
    seed.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".cl-build-error")).to_contain_text(
        "The seed must be a whole number >= 0. Got 'abc'."
    )
    assert "Traceback" not in page.inner_text("body")


def _several_seeds_show_their_spread(page) -> None:
    stop = page.locator(".cl-stop-year input")
    stop.fill("4")  # the seeds run to the 'Play until' year: short, for the test
    stop.press("Enter")
    seeds = page.locator(".cl-seeds-n input")
    seeds.fill("3")
    seeds.press("Enter")
    page.locator(".cl-seeds-run").click()
    status = page.locator(".cl-seeds-status")
    expect(status).to_contain_text("3 of 3 seeds done; done.", timeout=120_000)
    expect(status).to_contain_text(
        "Setting A (baseline, cross_cluster_subsidy = 0.01, policy_budget = 50), 4 years"
    )
    for outcome in ("radical_innovations", "employment_growth"):
        page.locator(f".cl-seeds-{outcome} canvas").wait_for()  # drawn by ECharts


def test_page_steps_moves_a_lever_and_resets_in_a_real_browser(app_server, tmp_path):
    url, log, _ = app_server
    requests: list[str] = []
    failures: list[str] = []
    console_errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user-data-dir
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1600, "height": 1100},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.on("request", lambda r: requests.append(r.url))
            page.on("response", lambda r: r.status >= 400 and failures.append(r.url))
            page.on("requestfailed", lambda r: failures.append(f"failed {r.url}"))
            page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
            _loads_without_error(page, url)
            _step_changes_the_charts(page)
            _lever_changes_the_parameter(page)
            _typed_budget_sets_the_lever(page)
            _several_seeds_show_their_spread(page)
            _reset_restores_step_0(page)
            _typed_setup_builds_the_world(page)
            _bad_setup_shows_a_message(page)
        finally:
            browser.close()
    # Everything came from the app's own server: nothing was fetched from the internet.
    host = url.split("/")[2]
    assert [u for u in requests if u.split("/")[2] != host] == []
    assert failures == []
    assert console_errors == []
    assert "Traceback" not in log.read_text()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (from /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _page_is_whole(page) -> None:
    """No traceback replaced the page, and its buttons are all there."""
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert "Error" not in body.split("How to read this page")[0]
    for name in ("Reset", "Step"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)


def test_page_survives_rapid_play_reload_and_two_sessions(app_server, tmp_path):
    """What a class does to a shared server: toggle Play fast, step from a second session
    while the first plays, reload during Play; then every world stops with its page."""
    url, log, pid = app_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            first = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
            second = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
            for page in (first, second):
                page.set_default_timeout(60_000)
                _loads_without_error(page, url)
            play = first.get_by_role("button", name=re.compile("^(▶|❚❚)$"))
            for _ in range(11):  # a student hammering Play/Pause
                play.click(timeout=60_000)
            if play.inner_text() == "▶":
                play.click()  # leave it playing
            for year in (1, 2):  # a second student steps while the first plays
                second.get_by_role("button", name="Step", exact=True).click()
                _at_year(second, year)
            first.wait_for_timeout(3_000)
            _page_is_whole(first)
            _page_is_whole(second)
            first.reload()  # during Play: a new world at year 0, the old one must stop
            _at_year(first, 0)
            _page_is_whole(first)
        finally:
            browser.close()
    # Every page is gone: its world must stop stepping, so the server goes idle. A world
    # left playing keeps a core busy for good; the closing sessions' clean-up can take a
    # while on a loaded machine, so the server has a minute to settle into one quiet 4 s.
    deadline = time.monotonic() + 60
    while True:
        before, start = _cpu_seconds(pid), time.monotonic()
        time.sleep(4)
        busy = (_cpu_seconds(pid) - before) / (time.monotonic() - start)
        if busy < 0.25 or time.monotonic() > deadline:
            break
    assert busy < 0.25, f"the server still works {busy:.0%} of a core with no page open"
    assert "Traceback" not in log.read_text()
