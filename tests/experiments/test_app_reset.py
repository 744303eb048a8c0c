"""A lever typed right after Play and Reset is the one the new world runs with (issue #21).

Driven in a real browser (Debian's Chromium through Playwright; never a browser Playwright
downloads). A student plays a world for a few years, presses Reset and at once types a
policy budget into its box, then steps: the page must show the new world at year 1 having
run under the typed budget, on an idle machine and on a loaded one.
"""

import re
import shutil
import time

import pytest
from playwright.sync_api import Page, expect, sync_playwright

expect.set_options(timeout=60_000)  # a Reset and a redraw take seconds on a busy machine
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
PRESET_BOX = "Preset (a policy mix, or the teaching economy)"
REGIONS = 4
TYPED = (0.4, 0.7)  # M€ per region and year, typed after each Reset (the preset has 5)


@pytest.fixture(scope="module")
def url(app_url: str) -> str:
    """The app server of this module (conftest ``app_url``)."""
    return app_url


def _year(page: Page) -> int:
    found = re.search(r"Year (\d+) of preset", page.locator(".cl-status").inner_text())
    assert found, page.locator(".cl-status").inner_text()
    return int(found.group(1))


def _spend(page: Page) -> float:
    title = page.locator(".cl-spend-chart .cl-title").inner_text()
    found = re.search(r"total to year \d+: ([\d.,]+) M€", title)
    assert found, title
    return float(found.group(1).replace(",", ""))


def _play_reset_type_step(page: Page, budget: float) -> None:
    """Play to year 3 or later, Reset, type ``budget`` at once, Step; check what ran."""
    play = page.get_by_role("button", name="▶", exact=True)
    play.click()
    # the first years of a fresh server also compile the model's kernels: minutes under load
    expect(page.locator(".cl-status")).to_contain_text(
        re.compile(r"Year ([3-9]|\d\d+) of"), timeout=600_000
    )
    page.get_by_role("button", name="Reset", exact=True).click()
    box = page.locator(".cl-lever-policy_budget .cl-lever-box input")
    box.fill(str(budget))  # no waiting for the new world: a student types at once
    box.press("Enter")
    # the choice the old world had (and the page may still show): it must reach the new one
    page.locator(".cl-lever-allocation").get_by_role("button", name="call", exact=True).click()
    # Step is enabled again once the page has drawn the Reset: a minute or more under load
    page.get_by_role("button", name="Step", exact=True).click(timeout=600_000)
    status = page.locator(".cl-status")
    expect(status).to_contain_text("Year 1 of preset 'intra_cluster'")
    # the new world ran its first year under the typed budget, moved before that year
    expect(status).to_contain_text(
        f"Levers moved: from year 1: policy_budget = {budget}; from year 1: allocation = call."
    )
    lever = page.locator(".cl-lever-policy_budget")
    expect(lever.locator(".cl-lever-value")).to_have_text(re.compile(rf": {budget}$"))
    expect(lever.locator(".cl-lever-box input")).to_have_value(str(budget))
    expect(page.locator(".cl-lever-allocation .cl-lever-value")).to_have_text(
        re.compile(r": call$")
    )
    levers = page.locator(".cl-industries")
    expect(levers).to_contain_text(f"policy_budget = {budget},")
    expect(levers).to_contain_text("allocation = call.")
    assert _year(page) == 1
    # the spending chart may be drawn a moment after the status line
    cap = REGIONS * budget + 0.05  # the preset's 5 M€ would buy more
    deadline = time.monotonic() + 60
    while not 0 < (spend := _spend(page)) <= cap and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert 0 < spend <= cap


def test_lever_typed_right_after_play_and_reset_is_the_one_run(url):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.set_default_timeout(60_000)
            page.goto(url)
            expect(page.locator(".cl-status")).to_contain_text("Year 0 of preset")
            page.get_by_label(PRESET_BOX).click(force=True)
            page.locator(".menuable__content__active").get_by_role(
                "option", name="intra_cluster", exact=True
            ).click()
            for budget in TYPED:  # the second time, the box last held the first value
                _play_reset_type_step(page, budget)
            _play_reset_type_step(page, TYPED[1])  # the value the box already holds
            assert "Traceback" not in page.inner_text("body")
        finally:
            browser.close()
