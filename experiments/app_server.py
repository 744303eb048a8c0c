"""Start the teaching app's web server: ``solara run experiments/app.py``, offline.

The server gets an environment that keeps it off the internet: Solara's usage telemetry
is switched off, and the address it would fetch a missing browser asset from is a closed
local port, so a missing asset fails loudly instead of being downloaded. Every asset the
page needs is served from the ``solara-assets`` package (installed with the ``app``
extra). This module imports neither Solara nor Mesa, so the CLI stays fast.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from clusterlab.model.errors import ClusterLabError

__all__ = [
    "ALL_INTERFACES",
    "APP_FILE",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "AppError",
    "app_urls",
    "check_app",
    "resolve_port",
    "run_app",
    "server_command",
    "server_env",
    "stop_server",
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


ALL_INTERFACES = ("0.0.0.0", "::", "")
"""Hosts that serve every network interface: the classroom mode (``--host 0.0.0.0``)."""


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


def _lan_addresses() -> list[str]:
    """IPv4 addresses of this machine that other machines can reach (not loopback)."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        found |= {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    try:  # the interface of the default route; a UDP "connect" sends nothing
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed to anyone
            found.add(s.getsockname()[0])
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


def app_urls(host: str, port: int) -> list[str]:
    """Return the addresses a browser opens the app at.

    For one ``host``, its address; in classroom mode (``host`` in
    :data:`ALL_INTERFACES`) this machine's (``localhost``) first, then its network ones.
    """
    if host not in ALL_INTERFACES:
        return [f"http://{host}:{port}/"]
    return [f"http://{address}:{port}/" for address in ["localhost", *_lan_addresses()]]


def resolve_port(host: str, port: int) -> int:
    """``port``, or for 0 a port free now on ``host`` (so that it can be printed)."""
    if port != 0:
        return port
    with socket.socket() as s:
        s.bind(("" if host in ALL_INTERFACES else host, 0))
        return s.getsockname()[1]


STOP_GRACE_SECONDS = 3.0
"""How long the server may take to stop on SIGTERM before it is killed (SIGKILL)."""

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals that stop ``clusterlab app`` like Ctrl+C: a ``kill``, a service manager, a
closed terminal or SSH session."""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server and every process of its group.

    SIGTERM, then SIGKILL to what is left after :data:`STOP_GRACE_SECONDS`; the rest of
    the group goes too if the server itself already exited.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=STOP_GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def run_app(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, open_browser: bool = False) -> int:
    """Serve the app until interrupted; return the server's exit status (0 if interrupted).

    The server runs in its own process group, stopped as a whole (:func:`stop_server`)
    on Ctrl+C and on the signals of :data:`STOP_SIGNALS`, so that no child is left
    serving the port.

    Raises
    ------
    AppError
        As :func:`check_app`.
    """
    check_app(port)
    server = subprocess.Popen(
        server_command(host, port, open_browser), env=server_env(), start_new_session=True
    )
    handlers = {}
    if threading.current_thread() is threading.main_thread():  # signals reach it only
        handlers = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl+C is the normal way out; the server must stop too
        return 0
    finally:
        stop_server(server)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
