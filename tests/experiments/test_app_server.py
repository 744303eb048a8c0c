"""Starting the teaching app's server: offline, in production mode, stopped by signals."""

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from clusterlab.experiments.app_server import (
    APP_FILE,
    OFFLINE_CDN,
    AppError,
    app_urls,
    check_app,
    resolve_port,
    server_command,
    server_env,
)


def test_server_runs_offline_in_production_mode():
    env = server_env({"PATH": "/usr/bin"})
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["SOLARA_ASSETS_CDN"] == OFFLINE_CDN
    assert env["PATH"] == "/usr/bin"
    command = server_command("127.0.0.1", 8123)
    assert command[command.index("run") + 1] == str(APP_FILE)
    assert "--production" in command
    assert "--no-open" in command
    with pytest.raises(AppError, match=r"--port must be an integer in \[0, 65535\]"):
        check_app(70_000)


def test_app_urls_name_the_host_or_in_classroom_mode_the_machines_addresses():
    assert app_urls("localhost", 8765) == ["http://localhost:8765/"]
    room = app_urls("0.0.0.0", 9000)
    assert room[0] == "http://localhost:9000/"
    assert all(url.endswith(":9000/") and "0.0.0.0" not in url for url in room)
    assert not any(url.startswith("http://127.") for url in room)
    assert resolve_port("127.0.0.1", 8123) == 8123
    assert 0 < resolve_port("127.0.0.1", 0) < 65536  # a free port, printed to the class


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        found += [int(c) for c in children]
        todo += [int(c) for c in children]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def test_sigterm_stops_the_app_its_children_and_frees_the_port(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "clusterlab.experiments.cli", "app", "--host", "0.0.0.0"]
    app = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert app.poll() is None, app.stdout.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        children = _descendants(app.pid)
        assert children, "the app runs its server as a child process"
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (
            any(_alive(c) for c in children) or not _port_free(port)
        ):
            time.sleep(0.1)
        assert [c for c in children if _alive(c)] == []
        assert _port_free(port)
        printed = app.stdout.read().decode()
        assert f"classroom mode: serving the local network on port {port}" in printed
        assert f"http://localhost:{port}/" in printed
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
