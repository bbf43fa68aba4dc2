"""What a worker may see and use: hidden paths, kept paths, process-count cgroups (grader side).

The worker enforces this itself in :mod:`autograder.worker.boot` before any learner code runs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import signal
import site
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def mode() -> str:
    """``full`` (namespaces, sealed filesystem) unless ``DLCOURSE_SANDBOX=basic`` asks for the
    fallback (process group, limits and the audit hook only), e.g. to test it."""
    return "basic" if os.environ.get("DLCOURSE_SANDBOX", "").lower() == "basic" else "full"


def kept_paths() -> list[str]:
    """The fallback's second wall (``basic`` mode, no mount namespace): paths the audit hook lets
    the worker open inside hidden directories (the interpreter, its packages, ``course_utils``)."""
    paths = {sys.base_prefix, sys.prefix, str(_course_utils_dir())}
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    paths.update(_site_dirs())
    return sorted(os.path.realpath(p) for p in paths)


def hidden_files() -> list[str]:
    return [str(PACKAGE_ROOT / "autograder" / "suites.py")]


def hidden_dirs(extra: Sequence[str | Path]) -> list[str]:
    """For the fallback's audit hook: system directories, the repository's non-package parts, the
    grader side of the package wherever a copy of it lies, and ``extra`` (submission and results
    directories). With namespaces the worker sees only :func:`view` and none of this exists."""
    dirs = set(_SYSTEM_HIDDEN) | {str(PACKAGE_ROOT / d) for d in _REPO_HIDDEN}
    dirs |= {str(_HIDDEN_DIR)} | set(_installed_copies())
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


# -- the worker's view of the file system (an allow-list) ---------------------------------------

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys")
"""Read-only system trees: programs, shared libraries, and /sys (frameworks read CPU topology)."""
_ETC_FILES = (
    "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ld.so.cache",
    "/etc/ld.so.conf", "/etc/localtime", "/etc/os-release", "/etc/mime.types",
)  # fmt: skip
"""What libraries read from /etc (user names, the loader's cache, time zone); nothing else of it."""
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
_GPU_DEVICE_GLOBS = ("/dev/nvidia*", "/dev/nvidia-caps/*", "/dev/dri/*")


def _course_utils_dir() -> Path:
    import course_utils

    return Path(course_utils.__file__).resolve().parent


def _site_dirs() -> set[str]:
    dirs: set[str] = set()
    with contextlib.suppress(AttributeError):
        dirs.update(site.getsitepackages())
    packages = ("site-packages", "dist-packages")
    dirs.update(p for p in sys.path if p and os.path.isdir(p) and any(k in p for k in packages))
    return {os.path.realpath(d) for d in dirs if os.path.isdir(d)}


def _installed_copies() -> list[str]:
    """``autograder`` folders inside package directories (a non-editable install copies the whole
    grader, its hidden tests included, into site-packages)."""
    found = []
    for base in sorted(_site_dirs()):
        candidate = os.path.join(base, "autograder")
        if os.path.isdir(candidate):
            found.append(candidate)
    return found


@dataclass(frozen=True)
class View:
    """What a worker's file system holds: everything else does not exist for it.

    ``dirs`` and ``files`` appear read-only at their own paths, ``links`` are recreated as the
    same symbolic links, ``devices`` are device nodes bound into a private /dev.
    /tmp, /var/tmp and /dev/shm are private, size-limited and writable; /proc shows the worker's
    own PID namespace only."""

    dirs: tuple[str, ...]
    files: tuple[str, ...]
    links: dict[str, str] = field(default_factory=dict)
    devices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "dirs": list(self.dirs),
            "files": list(self.files),
            "links": dict(self.links),
            "devices": list(self.devices),
        }


def view() -> View:
    """The allow-list: the interpreter and the third-party packages it imports, ``course_utils``
    (the course's public code, which learners import too), a few system files, nothing else. No
    part of ``autograder`` is in it, in any form (source, bytecode, installed copy): the worker
    imported its own modules before its file system was sealed."""
    dirs: set[str] = set()
    links: dict[str, str] = {}
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            links[path] = os.readlink(path)
        elif os.path.isdir(path):
            dirs.add(path)
    prefixes = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    dirs |= {os.path.realpath(p) for p in prefixes if os.path.isdir(p)}
    dirs |= _site_dirs()
    dirs.add(str(_course_utils_dir()))
    if (PACKAGE_ROOT / "course_utils").is_dir():  # the copy a worker imports (it puts our root
        dirs.add(str(PACKAGE_ROOT / "course_utils"))  # first on sys.path), if another is installed
    for path in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        if path and os.path.isdir(path):
            dirs.add(os.path.realpath(path))
    if PACKAGE_ROOT.as_posix() in dirs:  # a prefix that is the repository itself: never whole
        dirs.discard(PACKAGE_ROOT.as_posix())
    files = tuple(sorted(f for f in _ETC_FILES if os.path.isfile(f)))
    devices = [d for d in _DEVICES if os.path.exists(d)]
    for pattern in _GPU_DEVICE_GLOBS:
        devices += sorted(glob.glob(pattern))
    # A folder holding an installed copy of the grader is exposed entry by entry, without it:
    # an empty folder left in its place would still import as a (namespace) package.
    extra_files: list[str] = []
    for copy in _installed_copies():
        parent = os.path.dirname(copy)
        holder = next((d for d in _outermost(dirs) if _inside(parent, d)), None)
        if holder is None:
            continue
        dirs -= {d for d in dirs if _inside(copy, d)}  # every exposed folder that holds it
        for entry in _siblings_outside(holder, copy):
            if os.path.islink(entry):
                links[entry] = os.readlink(entry)
            elif os.path.isdir(entry):
                dirs.add(entry)
            elif os.path.isfile(entry):
                extra_files.append(entry)
    files = tuple(sorted(set(files) | set(extra_files)))
    return View(
        dirs=tuple(sorted(_outermost(dirs))),
        files=files,
        links=links,
        devices=tuple(d for d in devices if not os.path.isdir(d)),
    )


def _siblings_outside(holder: str, excluded: str) -> list[str]:
    """Every path under ``holder`` that is not ``excluded`` nor above it, as few as possible:
    the entries of each folder on the way down from ``holder`` to ``excluded``."""
    found: list[str] = []
    folder = holder
    while folder != excluded:
        step = (
            next(p for p in Path(excluded).parents if str(p.parent) == folder)
            if os.path.dirname(excluded) != folder
            else Path(excluded)
        )
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if path != str(step):
                found.append(path)
        folder = str(step)
    return found


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _outermost(dirs: set[str]) -> list[str]:
    """Drop directories inside another one of the set (they come with it)."""
    ordered = sorted(dirs, key=len)
    kept: list[str] = []
    for d in ordered:
        if not any(_inside(d, k) for k in kept):
            kept.append(d)
    return kept


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
