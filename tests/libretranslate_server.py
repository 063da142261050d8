"""Start and stop real LibreTranslate servers on 127.0.0.1 for the tests.

The server runs from its own virtual environment (it pins its own versions): `.ci/run`
makes `.venv-lt` beside the project's `.venv`; `PIPELINE_LT_PYTHON` names another
Python that has `libretranslate` installed. Tests that need it skip when neither exists.

Its Argos packages folder gets the project's demo zh->en package and a second package
(the same model relabelled en->zh): with fewer than 2 packages installed LibreTranslate
spends a minute retrying the package-index download before it serves. The only part of
LibreTranslate replaced is its sentence splitter (see tests/lt_offline.py).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WRAPPER = Path(__file__).with_name("lt_offline.py")


def lt_python() -> Path | None:
    env = os.environ.get("PIPELINE_LT_PYTHON")
    candidates = [Path(env)] if env else []
    venv = REPO / ".venv-lt"
    candidates += [venv / "bin" / "python", venv / "Scripts" / "python.exe"]
    return next((c for c in candidates if c.is_file()), None)


def lt_bin(name: str) -> Path:
    python = lt_python()
    assert python is not None
    return python.parent / (name + (".exe" if sys.platform == "win32" else ""))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def packages_dir(root: Path) -> Path:
    """An Argos packages folder with the demo zh->en package and an en->zh twin."""
    from pipeline.packages import DEMO_PACKAGE

    target = root / "packages"
    unpacked = root / "unpacked"
    with zipfile.ZipFile(DEMO_PACKAGE) as zf:
        zf.extractall(unpacked)
    [top] = [p for p in unpacked.iterdir() if p.is_dir()]
    target.mkdir(parents=True)
    shutil.copytree(top, target / "demo-zh_en")
    twin = shutil.copytree(top, target / "demo-en_zh")
    meta_path = twin / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(from_code="en", from_name="English", to_code="zh", to_name="Chinese")
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return target


class LibreTranslateServer:
    """One real server process; ``url`` once started; ``stop()`` ends it by its PID."""

    def __init__(self, packages: Path, *args: str, api_keys: bool = False) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="lt-server-"))
        if api_keys:  # keys required: a request without one (and no Origin) gets a 400
            args = (*args, "--api-keys", "--api-keys-db-path", str(self.home / "keys.db"),
                    "--require-api-key-origin", "^https://never[.]example$")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.home / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "XDG_"))}
        env.update(ARGOS_PACKAGES_DIR=str(packages), XDG_DATA_HOME=str(self.home / "data"),
                   XDG_CONFIG_HOME=str(self.home / "config"),
                   XDG_CACHE_HOME=str(self.home / "cache"), PYTHONUNBUFFERED="1")
        python = lt_python()
        assert python is not None, "LibreTranslate is not installed"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(python), str(WRAPPER), "--host", "127.0.0.1", "--port", str(self.port),
                 "--load-only", "zh,en", *args],
                cwd=self.home, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 120.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"LibreTranslate exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/languages", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"LibreTranslate did not start: {self.log.read_text()[-2000:]}")

    def add_api_key(self, key: str, req_limit: int = 1000) -> None:
        subprocess.run([str(lt_bin("ltmanage")), "keys", "--api-keys-db-path",
                        str(self.home / "keys.db"), "add", str(req_limit), "--key", key],
                       check=True, capture_output=True, cwd=self.home)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
