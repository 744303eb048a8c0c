"""Benchmark the teaching app as a classroom uses it: memory and response per session.

Usage::

    python benchmarks/bench_app_sessions.py [--sessions 1 2 4 8] [--years 5]
        [--play-seconds 60] [--out FILE]

Starts the app's server (as ``clusterlab app`` does) on a free port and opens browser
sessions one after another in headless Chromium (Debian's ``chromium``, driven by
Playwright; each session its own browser context, so its own world). After the page of
each new session has drawn, every open session steps ``--years`` years (one Step click
at a time, each waited for); then the resident memory (RSS) of the server and all its
children is read from /proc. Reported: the start-up time (to the first drawn page), base
memory (server up, no page), memory at each number of sessions, the memory one more
session costs, and the median time of a Step click (click to the new year on the page)
with that many sessions open; with ``--play-seconds``, how many years every session
advanced while all of them played at once. Every number depends on the machine: run it
on the one the class will use.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from clusterlab.experiments.app_server import server_command, server_env

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of a process and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        rss = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        total += int(rss.split()[1])
        todo += [int(c) for c in children]
    return total / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def _open(browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
    page.set_default_timeout(180_000)
    page.goto(url)
    page.get_by_text("Step: 0").wait_for()
    page.locator(".cl-network img").wait_for()
    return page


def _step(page: Page) -> float:
    """Click Step and wait for the next year on the page; the seconds it took."""
    year = int(page.get_by_text("Step: ").first.inner_text().split(":")[1])
    start = time.perf_counter()
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text(f"Step: {year + 1}", exact=True).wait_for()
    page.locator(".cl-status", has_text=f"Year {year + 1} of").wait_for()
    return time.perf_counter() - start


def _year(page: Page) -> int:
    return int(page.get_by_text("Step: ").first.inner_text().split(":")[1])


def _play_all(pages: list[Page], seconds: float) -> list[int]:
    """Press Play in every session at once, wait, pause; the years each one advanced."""
    start = [_year(page) for page in pages]
    play = [page.get_by_role("button", name="▶") for page in pages]
    for button in play:
        button.click()
    time.sleep(seconds)
    for page in pages:
        page.get_by_role("button", name="❚❚").click()
    time.sleep(2)
    return [_year(page) - y0 for page, y0 in zip(pages, start, strict=True)]


def measure(sessions: list[int], years: int, play_seconds: float = 0) -> dict[str, object]:
    """Open sessions up to ``max(sessions)``; memory and Step times at each count.

    With ``play_seconds``, every session then plays at once for that long (all of
    them at the largest count): the years each advanced.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    server = subprocess.Popen(
        server_command("127.0.0.1", port),
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out: dict[str, object] = {"rows": []}
    try:
        _wait_for(url)
        time.sleep(2)
        out["base_mb"] = tree_rss_mb(server.pid)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            pages: list[Page] = []
            while len(pages) < max(sessions):
                pages.append(_open(browser, url))
                if len(pages) == 1:
                    out["first_page_s"] = time.perf_counter() - started
                if len(pages) not in sessions:
                    continue
                steps = [_step(page) for _ in range(years) for page in pages]
                time.sleep(1)
                out["rows"].append((len(pages), tree_rss_mb(server.pid), statistics.median(steps)))
            if play_seconds:
                out["played"] = _play_all(pages, play_seconds)
                out["play_seconds"] = play_seconds
                out["played_mb"] = tree_rss_mb(server.pid)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    return out


def report(sessions: list[int], years: int, play_seconds: float = 0) -> str:
    """Run the benchmark and return a markdown report."""
    load = os.getloadavg()[0]
    r = measure(sessions, years, play_seconds)
    rows = r["rows"]
    lines = [
        f"# Teaching app: memory and Step time per session ({datetime.now(UTC):%Y-%m-%d %H:%M})",
        "",
        f"{os.cpu_count()} cores, load average {load:.1f} at the start. Server started to "
        f"first drawn page: {r['first_page_s']:.1f} s. Base memory (server and children, "
        f"no page open): {r['base_mb']:.0f} MB. Each open session stepped {years} years.",
        "",
        "| sessions | RSS server + children (MB) | MB per session over base | "
        "median Step click (s) |",
        "|---:|---:|---:|---:|",
    ]
    for n, rss, step in rows:
        lines.append(f"| {n} | {rss:.0f} | {(rss - r['base_mb']) / n:.0f} | {step:.2f} |")
    if len(rows) > 1:
        (n0, m0, _), (n1, m1, _) = rows[0], rows[-1]
        lines += [
            "",
            f"Marginal memory per extra session ({n0} -> {n1}): {(m1 - m0) / (n1 - n0):.0f} MB.",
        ]
    if "played" in r:
        played = r["played"]
        lines += [
            "",
            f"All {len(played)} sessions playing at once for {r['play_seconds']:.0f} s: "
            f"{min(played)} to {max(played)} years each (median "
            f"{statistics.median(played):.0f}; {sum(played)} years in all; every page "
            f"redrawn every year); RSS afterwards {r['played_mb']:.0f} MB.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse arguments, run, print and optionally save the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--years", type=int, default=5, help="years each session steps")
    parser.add_argument(
        "--play-seconds", type=float, default=0, help="then every session plays this long"
    )
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    text = report(sorted(args.sessions), args.years, args.play_seconds)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
