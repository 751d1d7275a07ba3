"""A real Home Assistant process: ``hass -c DIR`` on a loopback port.

:class:`HassProcess` starts it (and waits until its HTTP API answers), stops it
gracefully so that it saves its storage, restarts it in place, and reads its log and its
recorder's database. It runs the ``hass`` next to the running interpreter, so run with
``.venv-hass/bin/python`` (``scripts/setup --hass``).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from http import HTTPStatus
import json
import os
from pathlib import Path
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from typing import Any, Self
import urllib.error
import urllib.request

from devtools import HarnessError
from devtools.home import HOST


def hass_executable() -> Path:
    """Return the ``hass`` of the interpreter running this code (.venv-hass)."""
    candidate = Path(sys.executable).with_name("hass")
    if not candidate.exists():
        msg = f"{candidate} not found: run with .venv-hass/bin/python (scripts/setup --hass)"
        raise HarnessError(msg)
    return candidate


def port_in_use(port: int, host: str = HOST) -> bool:
    """Return whether something listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port(host: str = HOST) -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class HassProcess:
    """A ``hass -c DIR`` process on 127.0.0.1; its output goes to ``DIR/hass.out``."""

    def __init__(self, config_dir: Path, port: int) -> None:
        """Prepare (nothing runs until :meth:`start`)."""
        self.config_dir = config_dir
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_after = 0.0
        """Seconds from launching the process to the HTTP API answering."""
        self.token = ""
        """The owner's access token, once known (for a graceful stop)."""

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://{HOST}:{self.port}"

    @property
    def log_file(self) -> Path:
        """Home Assistant's own log."""
        return self.config_dir / "home-assistant.log"

    def start(self, timeout: float = 180.0) -> Self:
        """Start ``hass`` and wait until its HTTP API answers; clear error on a busy port."""
        if port_in_use(self.port):
            msg = (
                f"port {self.port} on {HOST} is already in use; choose another (--port)"
            )
            raise HarnessError(msg)
        out = (self.config_dir / "hass.out").open("ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's hass
            [str(hass_executable()), "-c", str(self.config_dir), "--log-no-color"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = (
                    f"hass exited with {self.proc.returncode} during start-up; "
                    f"see {self.config_dir / 'hass.out'} and {self.log_file}"
                )
                raise HarnessError(msg)
            if self._answers():
                self.ready_after = time.monotonic() - self.started_at
                return self
            time.sleep(0.25)
        self.stop()
        msg = f"hass did not answer on {self.url} within {timeout:.0f} s; see {self.log_file}"
        raise HarnessError(msg)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(  # noqa: S310 - a loopback http URL we built
                f"{self.url}/api/onboarding", timeout=2
            ) as response:
                return bool(response.status == HTTPStatus.OK)
        except urllib.error.HTTPError:
            return True  # answering, just not with 200
        except OSError:
            return False

    def stop(self, timeout: float = 60.0) -> None:
        """Stop ``hass`` gracefully, so that it writes its storage; kill it if stuck.

        With the owner's :attr:`token` the ``homeassistant.stop`` action is called:
        Home Assistant only installs its SIGTERM handler once start-up has wrapped up
        (background tasks of other integrations can delay that for minutes), and a
        SIGTERM before that kills it without saving. Without a token, SIGTERM.
        """
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        if not (self.token and self._call_stop()):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def _call_stop(self) -> bool:
        request = urllib.request.Request(  # noqa: S310 - a loopback http URL we built
            f"{self.url}/api/services/homeassistant/stop",
            data=b"{}",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310
                return True
        except urllib.error.HTTPError:
            return False
        except OSError:
            return True  # the connection closed as it stopped

    def restart(self, timeout: float = 180.0) -> Self:
        """Stop and start again on the same port and config."""
        self.stop()
        deadline = time.monotonic() + 10
        while port_in_use(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.start(timeout)

    def log_text(self) -> str:
        """Home Assistant's log so far."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def recorded_events(self, event_type: str, since: datetime) -> list[dict[str, Any]]:
        """Events of ``event_type`` the recorder stored at or after ``since``."""
        db = self.config_dir / "home-assistant_v2.db"
        with contextlib.closing(
            sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        ) as conn:
            rows = conn.execute(
                "SELECT d.shared_data, e.time_fired_ts FROM events e "
                "JOIN event_types t ON e.event_type_id = t.event_type_id "
                "LEFT JOIN event_data d ON e.data_id = d.data_id "
                "WHERE t.event_type = ? AND e.time_fired_ts >= ? "
                "ORDER BY e.time_fired_ts",
                (event_type, since.timestamp()),
            ).fetchall()
        return [
            {**json.loads(data or "{}"), "time_fired": datetime.fromtimestamp(ts, UTC)}
            for data, ts in rows
        ]
