"""What a worker may see and use: hidden paths, kept paths, process-count cgroups (grader side).

The worker enforces this itself in :mod:`autograder.worker.boot` before any learner code runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import site
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_HIDDEN_DIR = PACKAGE_ROOT / "autograder" / "hidden"
# Whole directories learners' code has no business reading.
_SYSTEM_HIDDEN = ("/root", "/home", "/run", "/var/run", "/var/log", "/etc/ssh", "/srv")
_REPO_HIDDEN = (
    "solutions",
    "tests",
    "examples",
    ".git",
    "benchmarks",
    "build",
    "docs",
    "assignments",
)
_HOLD_CANDIDATES = ("/mnt", "/media", "/opt")


def mode() -> str:
    """``full`` (namespaces, sealed filesystem) unless ``DLCOURSE_SANDBOX=basic`` asks for the
    fallback (process group, limits and the audit hook only), e.g. to test it."""
    return "basic" if os.environ.get("DLCOURSE_SANDBOX", "").lower() == "basic" else "full"


def kept_paths() -> list[str]:
    """What the worker needs to run: the interpreter, its packages, and the grader's worker code."""
    paths = {
        sys.base_prefix,
        sys.prefix,
        str(PACKAGE_ROOT / "autograder"),
        str(PACKAGE_ROOT / "course_utils"),
    }
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    with contextlib.suppress(AttributeError):
        paths.update(site.getsitepackages())
    paths.update(p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p)
    return sorted(os.path.realpath(p) for p in paths)


def hidden_files() -> list[str]:
    return [str(PACKAGE_ROOT / "autograder" / "suites.py")]


def hidden_dirs(extra: Sequence[str | Path]) -> list[str]:
    """System directories, the repository's non-package parts, and ``extra`` (submission and
    results directories). Links are resolved: covering a link would cover its target's name."""
    dirs = set(_SYSTEM_HIDDEN) | {str(PACKAGE_ROOT / d) for d in _REPO_HIDDEN} | {str(_HIDDEN_DIR)}
    dirs |= {str(p) for p in extra}
    keep = kept_paths()
    found = set()
    for d in dirs:
        real = os.path.realpath(d)
        # never cover "/", the sandbox's own /tmp (covered anyway), or what the worker runs from
        if real in ("/", "/tmp") or any(
            k == real or k.startswith(real + "/") and real in keep for k in keep
        ):
            continue
        if os.path.isdir(real):
            found.add(real)
    return sorted(found)


def hold_dir() -> str | None:
    keep = kept_paths()
    for candidate in _HOLD_CANDIDATES:
        if os.path.isdir(candidate) and not any(k.startswith(candidate) for k in keep):
            return candidate
    return None


class ProcessCgroup:
    """A cgroup (v1 ``pids`` controller) that caps how many processes a worker may have and
    lets the grader kill every one of them, including double-forked daemons. No-op where the
    controller is not writable (then the watchdog counts processes instead)."""

    ROOT = Path("/sys/fs/cgroup/pids")

    def __init__(self, max_pids: int):
        self.path: Path | None = None
        if os.geteuid() != 0 or not (self.ROOT / "cgroup.procs").exists():
            return
        path = self.ROOT / "dlcourse" / f"w{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir(parents=True)
            (path / "pids.max").write_text(str(max_pids))
            self.path = path
        except OSError:
            self.path = None

    def pids(self) -> list[int]:
        if self.path is None:
            return []
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self) -> None:
        """SIGKILL everything in the cgroup until it is empty, then remove it."""
        if self.path is None:
            return
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(-1, os.WNOHANG)
        with contextlib.suppress(OSError):
            self.path.rmdir()
