"""Start and watch a worker process for one submission.

The worker is a separate Python process in its own session (process group), in a private
scratch directory, with a minimal environment and resource limits. The grader talks to it over
two pipes; stdout and stderr go to a capped log file that never reaches a score.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from autograder import channel, isolation
from autograder.launch import (
    PACKAGE_ROOT,
    WORKER_FLAGS,
    ChildProcess,
    GraderInternalError,
    Spawner,
    worker_env,
)

__all__ = ["GraderInternalError", "Limits", "Worker", "WorkerDied"]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker (per submission) and of each probe (per test)."""

    load_timeout_s: float = 60.0
    """Starting the worker, importing the framework and executing the learner's definitions."""
    submission_timeout_s: float = 300.0
    """All tests of one submission together."""
    probe_time_factor: float = 1.0
    """Each test's own time limit (20 s for most probes, 60 s for fit's) is multiplied by this:
    above 1 on a slow machine (Gradescope's half a vCPU)."""
    memory_mb: int = 2048
    """Resident memory of the worker and its children together (not address space)."""
    file_size_mb: int = 64
    """Largest file the worker may write."""
    open_files: int = 256
    processes: int = 64
    """Processes and threads of the worker together (a pids cgroup, else the watchdog)."""
    output_kb: int = 64
    """How much of the worker's stdout/stderr is kept (the rest is counted and dropped)."""
    tmp_mb: int = 256
    """Size of the worker's private /tmp (its working directory): a disk it cannot overfill."""
    shm_mb: int = 64
    """Size of the worker's private /dev/shm (DataLoader workers pass batches through it)."""
    grace_s: float = 5.0
    """Extra time the grader waits beyond a probe's own limit before it kills the worker."""


class WorkerDied(Exception):
    """The worker process ended or stopped answering; ``reason`` says how."""

    def __init__(self, reason: str, status: str = "error"):
        super().__init__(reason)
        self.reason = reason
        self.status = status


_WORKER_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from autograder.worker.boot import main; main(sys.argv[2])"
)


def _resident(proc: psutil.Process) -> int:
    """Proportional set size where Linux gives it: forked children share pages with their parent,
    and plain RSS would count those pages once per process."""
    try:
        info = proc.memory_full_info()
        return int(getattr(info, "pss", info.rss))
    except psutil.AccessDenied:
        with contextlib.suppress(psutil.Error):
            return int(proc.memory_info().rss)
    except psutil.Error:
        pass
    return 0


def _threads(proc: psutil.Process) -> int:
    try:
        return int(proc.num_threads())
    except psutil.Error:
        return 0


class Worker:
    """One sandboxed worker process; use as a context manager."""

    def __init__(
        self,
        probes_module: str,
        blocked_modules: list[str],
        limits: Limits,
        private_dirs: Sequence[str | Path] = (),
        zygote: Spawner | None = None,
    ):
        self.probes_module = probes_module
        self.zygote = zygote
        """Fork from this warm parent instead of starting Python and the framework afresh."""
        self.blocked_modules = blocked_modules
        self.limits = limits
        self.private_dirs = [str(p) for p in private_dirs]
        """Directories the worker must not see (submissions, results), beside the usual ones."""
        self.scratch = Path(tempfile.mkdtemp(prefix="dlcourse-worker-"))
        self.peak_rss_mb = 0.0
        self.isolation: dict[str, bool] = {}
        self.output = bytearray()
        self.output_total = 0
        self._proc: subprocess.Popen | ChildProcess | None = None
        self._out_fd: int | None = None
        self._killed_for: str | None = None
        self._watch_stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._cgroup = isolation.ProcessCgroup(limits.processes)
        self._known_pids: set[int] = set()

    # -- lifecycle -------------------------------------------------------------------------
    def _config(self, request_fd: int, response_fd: int) -> dict[str, Any]:
        """What ``boot.main`` needs; a forked (warm) worker fills in its own fd numbers."""
        limits = self.limits
        full = isolation.mode() == "full"
        config = {
            "request_fd": request_fd,
            "response_fd": response_fd,
            "probes": self.probes_module,
            "blocked_modules": self.blocked_modules,
            "prepared": self.zygote is not None,
            "rlimits": {
                "RLIMIT_FSIZE": limits.file_size_mb * 2**20,
                "RLIMIT_CORE": 0,
                "RLIMIT_NOFILE": limits.open_files,
            },
            "namespaces": full,
            "wanted": {"net": True, "mount": full, "pid": True},
            "root": str(self.scratch),
            "view": isolation.view().to_dict(),
            "scratch": str(self.scratch),
            "tmp_mb": limits.tmp_mb,
            "shm_mb": limits.shm_mb,
            "hide_dirs": isolation.hidden_dirs(self.private_dirs),
            "hide_files": isolation.hidden_files(),
            "keep": isolation.kept_paths(),
            "cgroup": str(self._cgroup.path) if self._cgroup.path else None,
        }
        return config

    def start(self, code: str) -> dict[str, Any]:
        """Start the process and load the learner's code; returns the worker's ``loaded`` reply."""
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        self._req, self._resp = req_w, resp_r  # ours from now on: close() closes them
        os.chmod(self.scratch, 0o700)
        if self.zygote is not None:
            self._out_fd, out_w = os.pipe()
            try:
                self._proc = self.zygote.spawn(self._config(-1, -1), [req_r, resp_w, out_w])
            finally:
                for fd in (req_r, resp_w, out_w):
                    os.close(fd)
        else:
            try:
                self._proc = subprocess.Popen(
                    [
                        sys.executable,
                        *WORKER_FLAGS,
                        "-c",
                        _WORKER_BOOT,
                        PACKAGE_ROOT,
                        json.dumps(self._config(req_r, resp_w)),
                    ],
                    cwd=self.scratch,
                    env=worker_env(self.scratch),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    pass_fds=(req_r, resp_w),
                    start_new_session=True,
                )
            finally:
                os.close(req_r)
                os.close(resp_w)
            assert self._proc.stdout is not None
            self._out_fd = self._proc.stdout.fileno()
        self._known_pids.add(self._proc.pid)
        for target in (self._watch, self._drain):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        channel.send(
            self._req,
            {
                "op": "load",
                "code": code,
                "probes": self.probes_module,
                "blocked_modules": self.blocked_modules,
            },
        )
        reply = self._receive(time.monotonic() + self.limits.load_timeout_s, "loading your code")
        if reply.get("op") == "internal_error":
            raise GraderInternalError(f"the grader's probes failed to load:\n{reply.get('detail')}")
        self.isolation = {str(k): bool(v) for k, v in (reply.get("isolation") or {}).items()}
        if reply.get("fatal"):  # the process that loaded the learner's code died doing it
            self._kill_group()
            raise WorkerDied(f"{str(reply['fatal'])[:300]} while loading your code")
        return reply

    def probe(self, name: str, seed: int, params: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Run one probe; returns the worker's reply or raises WorkerDied."""
        try:
            channel.send(
                self._req,
                {"op": "probe", "name": name, "seed": seed, "params": params, "timeout": timeout},
            )
        except channel.ChannelClosed:
            raise WorkerDied(self._death_reason("before the test started")) from None
        deadline = time.monotonic() + timeout + self.limits.grace_s
        return self._receive(deadline, f"test {name}")

    def close(self) -> None:
        """Stop the worker and everything it started; remove the scratch directory."""
        self._watch_stop.set()
        for fd in (getattr(self, "_req", None), getattr(self, "_resp", None)):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self._proc is not None:
            self._kill_everything()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        self._cgroup.kill_all()
        for thread in self._threads:
            thread.join(timeout=2)
        if self.zygote is not None and self._out_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._out_fd)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def output_tail(self, limit: int = 2000) -> str:
        """The end of what the worker printed (capped), for diagnostics only; never scored."""
        return bytes(self.output[-limit:]).decode("utf-8", "replace")

    # -- internals ---------------------------------------------------------------------------
    def _receive(self, deadline: float, doing: str) -> dict[str, Any]:
        try:
            reply = channel.receive(self._resp, deadline)
        except channel.ChannelTimeout:
            self._killed_for = self._killed_for or "timeout"
            self._kill_group()
            raise WorkerDied(f"no answer while {doing} before the time limit", "timeout") from None
        except channel.ChannelClosed:
            raise WorkerDied(self._death_reason(f"while {doing}")) from None
        except Exception as exc:  # noqa: BLE001 - corrupt frame
            self._kill_group()
            raise WorkerDied(f"unreadable answer while {doing}: {exc}"[:300]) from None
        if not isinstance(reply, dict):
            self._kill_group()
            raise WorkerDied(f"malformed answer while {doing}")
        return reply

    def _death_reason(self, when: str) -> str:
        if self._killed_for == "memory":
            return (
                f"the grading process was stopped {when}: it used more than "
                f"{self.limits.memory_mb} MB of memory"
            )
        if self._killed_for == "processes":
            return f"the grading process was stopped {when}: it started far too many processes"
        assert self._proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=2)
        code = self._proc.returncode
        if code is None:
            self._kill_group()
            return f"the grading process closed its channel {when}"
        if code < 0:
            return f"the grading process was killed by signal {signal.Signals(-code).name} {when}"
        return f"the grading process exited with code {code} {when}"

    def _kill_group(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._kill_everything()

    def _kill_everything(self) -> None:
        """Kill the process group, every descendant seen, and everything in the cgroup.

        A learner process that called setsid() has left the process group; it is still a
        descendant (or, in a PID namespace, dies with the namespace's first process)."""
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        pids = set(self._known_pids) | set(self._cgroup.pids())
        with contextlib.suppress(psutil.Error):
            pids |= {p.pid for p in psutil.Process(self._proc.pid).children(recursive=True)}
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self._cgroup.kill_all()

    def _drain(self) -> None:
        """Read the worker's output as it comes; keep the last ``output_kb``, count the rest."""
        assert self._out_fd is not None
        cap = self.limits.output_kb * 1024
        fd = self._out_fd
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            self.output_total += len(chunk)
            self.output += chunk
            if len(self.output) > cap:
                del self.output[: len(self.output) - cap]

    def _watch(self) -> None:
        """Poll resident memory of the worker and its children; kill the group above the cap."""
        assert self._proc is not None
        try:
            root = psutil.Process(self._proc.pid)
        except psutil.Error:
            return
        while not self._watch_stop.wait(0.1):
            try:
                procs = [root, *root.children(recursive=True)]
                rss = sum(_resident(p) for p in procs)
            except psutil.Error:
                return
            self._known_pids.update(p.pid for p in procs)
            rss_mb = rss / 2**20
            self.peak_rss_mb = max(self.peak_rss_mb, rss_mb)
            threads = sum(_threads(p) for p in procs)
            if rss_mb > self.limits.memory_mb:
                self._killed_for = "memory"
            elif len(procs) + threads > 4 * self.limits.processes:
                self._killed_for = "processes"
            else:
                continue
            self._kill_group()
            return
