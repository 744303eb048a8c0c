"""Starting the teaching app's server: offline, in production mode."""

import pytest

from experiments.app_server import (
    APP_FILE,
    OFFLINE_CDN,
    AppError,
    check_app,
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
