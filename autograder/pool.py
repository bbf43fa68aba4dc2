"""Warm workers: one zygote per framework, a fresh sandboxed worker forked for each submission.

A cold worker pays for Python and ``import torch`` / ``import tensorflow`` on every submission
(1-2.5 s here). A :class:`WarmPool` starts one :mod:`zygote <autograder.worker.zygote>` per
(probes module, blocked modules) on first use; each submission's worker is then forked from it
and locks itself in exactly as a cold worker does before any learner code is loaded.

The zygote is trusted code only (the grader's probes and the frameworks); a zygote that died
(in the basic sandbox a hostile worker could kill it) is replaced on the next spawn.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from autograder.launch import PACKAGE_ROOT, WORKER_FLAGS, GraderInternalError, worker_env

_ZYGOTE_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from autograder.worker.zygote import main; main(sys.argv[2])"
)
SPAWN_TIMEOUT_S = 30.0


class ForkedProcess:
    """A worker forked by a zygote: ``pid``, ``returncode``, ``wait()`` and ``poll()`` like
    ``subprocess.Popen``; the exit code comes from the zygote, which is its parent."""

    def __init__(self, pid: int, zygote: Zygote):
        self.pid = pid
        self.returncode: int | None = None
        self._ended = threading.Event()
        self._zygote = zygote

    def _exited(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ended.wait(0.05):
            if not self._zygote.alive() and not psutil.pid_exists(self.pid):
                return self.returncode  # its parent is gone: nobody will report the code
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0.0)
        return self.returncode


class Zygote:
    """The grader's end of one zygote process."""

    def __init__(self, probes_module: str, blocked_modules: list[str], start_timeout_s: float):
        self.scratch = tempfile.mkdtemp(prefix="dlcourse-zygote-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        config = {
            "socket_fd": theirs.fileno(),
            "probes": probes_module,
            "blocked_modules": list(blocked_modules),
        }
        self._proc = subprocess.Popen(
            [sys.executable, *WORKER_FLAGS, "-c", _ZYGOTE_BOOT, PACKAGE_ROOT, json.dumps(config)],
            cwd=self.scratch,
            env=worker_env(Path(self.scratch)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
        )
        theirs.close()
        self._send_lock = threading.Lock()
        self._state = threading.Condition()
        self._spawned: dict[int, int] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._token = 0
        self._closed = False
        self._sock.settimeout(start_timeout_s)
        try:
            first = json.loads(self._sock.recv(1 << 20) or b"{}")
        except (OSError, ValueError) as exc:
            self.close()
            raise GraderInternalError(f"the warm worker did not start: {exc}") from None
        if first.get("op") != "ready":
            self.close()
            raise GraderInternalError(f"the warm worker failed to start:\n{first.get('detail')}")
        self._sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def alive(self) -> bool:
        return not self._closed and self._proc.poll() is None

    def spawn(self, config: dict[str, Any], fds: list[int]) -> ForkedProcess:
        """Fork a worker with ``config`` (boot's config, without fds) and the three pipe ends
        (requests to read, replies to write, output to write)."""
        with self._state:
            self._token += 1
            token = self._token
        message = json.dumps({"op": "spawn", "token": token, "config": config}).encode()
        try:
            with self._send_lock:
                socket.send_fds(self._sock, [message], fds)
        except OSError as exc:
            raise GraderInternalError(f"the warm worker is gone: {exc}") from None
        deadline = time.monotonic() + SPAWN_TIMEOUT_S
        with self._state:
            while token not in self._spawned:
                if not self.alive() or time.monotonic() > deadline:
                    raise GraderInternalError("the warm worker did not fork a worker")
                self._state.wait(0.1)
            pid = self._spawned.pop(token)
            child = ForkedProcess(pid, self)
            if pid in self._early_exits:
                child._exited(self._early_exits.pop(pid))
            else:
                self._children[pid] = child
        return child

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                break
            message = json.loads(data)
            with self._state:
                if message.get("op") == "spawned":
                    self._spawned[int(message["token"])] = int(message["pid"])
                elif message.get("op") == "exited":
                    pid, code = int(message["pid"]), int(message["code"])
                    child = self._children.pop(pid, None)
                    if child is None:
                        self._early_exits[pid] = code
                    else:
                        child._exited(code)
                self._state.notify_all()
        with self._state:
            self._closed = True
            self._state.notify_all()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)
        shutil.rmtree(self.scratch, ignore_errors=True)


class WarmPool:
    """Zygotes by framework, started on first use, replaced when dead; use as a context manager.

    Thread-safe: ``dlcourse grade --jobs N`` grades N submissions at once through one pool.
    """

    def __init__(self, start_timeout_s: float = 120.0):
        self.start_timeout_s = start_timeout_s
        self._zygotes: dict[tuple[str, tuple[str, ...]], Zygote] = {}
        self._lock = threading.Lock()
        self.started = 0
        """Zygotes started so far (a restart after a death counts again)."""

    def zygote(self, probes_module: str, blocked_modules: list[str]) -> Zygote:
        key = (probes_module, tuple(blocked_modules))
        with self._lock:
            current = self._zygotes.get(key)
            if current is None or not current.alive():
                if current is not None:
                    current.close()
                current = Zygote(probes_module, list(blocked_modules), self.start_timeout_s)
                self._zygotes[key] = current
                self.started += 1
            return current

    def close(self) -> None:
        with self._lock:
            for zygote in self._zygotes.values():
                zygote.close()
            self._zygotes.clear()

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
