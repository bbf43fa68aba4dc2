"""A real JupyterLab on loopback, driven by Debian's Chromium through Playwright.

Nothing is downloaded: Playwright gets ``executable_path=/usr/bin/chromium``, the page may only
reach the loopback server (every other request is aborted), and JupyterLab's news and update
checks are switched off.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(
    os.environ.get(
        "DLCOURSE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
    )
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
_SETTINGS = {
    # render every cell (JupyterLab 4 virtualises long notebooks by default)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def browser_or_skip():  # noqa: ANN202
    """Playwright's sync API, or a skip saying what is missing (a failure on CI)."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if shutil.which("jupyter-lab") is None and not _has("jupyterlab"):
        missing.append("jupyterlab (pip install .[jupyter])")
    if not _has("playwright"):
        missing.append("playwright (pip install .[browser])")
    if missing:
        reason = "no browser test without " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " -- .ci/run installs them")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    return sync_playwright


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def jupyter_lab(workdir: Path) -> Iterator[Lab]:
    """Start ``jupyter lab`` serving ``workdir/notebooks`` on 127.0.0.1 with a random token."""
    root, settings = workdir / "notebooks", workdir / "lab-settings"
    root.mkdir(parents=True, exist_ok=True)
    for name, values in _SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTER_CONFIG_DIR=str(workdir / "config"),
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTER_DATA_DIR=str(workdir / "data"),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    env.pop("DLCOURSE_PRACTICE", None)  # the kernel (``python3``: this interpreter) checks plainly
    log = workdir / "jupyter-lab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"jupyter lab did not start: {log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.3)
        yield Lab(url, token, root, log)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def copy_notebook(source: Path, lab: Lab) -> str:
    shutil.copy(source, lab.root / source.name)
    return source.name
