"""Start the teaching app's web server: ``solara run experiments/app.py``, offline.

The server gets an environment that keeps it off the internet: Solara's usage telemetry
is switched off, and the address it would fetch a missing browser asset from is a closed
local port, so a missing asset fails loudly instead of being downloaded. Every asset the
page needs is served from the ``solara-assets`` package (installed with the ``app``
extra). This module imports neither Solara nor Mesa, so the CLI stays fast.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from model.errors import ClusterLabError

__all__ = [
    "APP_FILE",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "AppError",
    "check_app",
    "run_app",
    "server_command",
    "server_env",
]

APP_FILE = Path(__file__).with_name("app.py")
"""The Solara app (its ``Page`` component)."""

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8765

OFFLINE_CDN = "http://127.0.0.1:9/"
"""Where Solara would fetch an asset missing from ``solara-assets``: the discard port,
which nothing listens on, so the request fails at once."""

APP_PACKAGES = ("solara", "ipyvuetify", "altair", "solara_assets")
"""Import names the app needs (the ``app`` extra; Mesa's browser UI imports altair)."""


class AppError(ClusterLabError):
    """The app cannot start as asked."""


def server_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of the server: ``base`` (default: this process's) made offline.

    Sets ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=false`` (no usage reports),
    ``SOLARA_ASSETS_CDN`` to :data:`OFFLINE_CDN` (no asset downloads) and
    ``SOLARA_CHECK_HOOKS=off`` (Solara's style warning about Mesa 3.3.1's own code).
    """
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env["SOLARA_ASSETS_CDN"] = OFFLINE_CDN
    env["SOLARA_CHECK_HOOKS"] = "off"
    return env


def server_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    """Command line that serves the app at ``http://host:port/`` (production mode)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP_FILE),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
    ]


def check_app(port: int) -> None:
    """Check that the app can be served on ``port``.

    Raises
    ------
    AppError
        If the port is not in 0..65535 (0: any free port) or the ``app`` extra is missing.
    """
    if not 0 <= port <= 65535:
        raise AppError(f"--port must be an integer in [0, 65535] (0: any free port). Got {port}.")
    missing = [name for name in APP_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise AppError(
            f"The app needs {', '.join(missing)}; install them with: pip install 'clusterlab[app]'."
        )


def run_app(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, open_browser: bool = False) -> int:
    """Serve the app until interrupted; return the server's exit status.

    Raises
    ------
    AppError
        As :func:`check_app`.
    """
    check_app(port)
    server = subprocess.Popen(server_command(host, port, open_browser), env=server_env())
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl+C is the normal way out; the server must stop too
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        return 0
