"""The first code a worker process runs: it locks itself in before any learner code exists.

Started as ``python -I -c BOOT PACKAGE_ROOT CONFIG_JSON`` by :mod:`autograder.sandbox` (or forked
from a warm zygote, which did step 2 already). In order:

1. resource limits (file size, core dumps, open files);
2. the assignment's probes and its framework are imported (trusted code; the worker's view of
   the file system will hold no part of ``autograder``, so everything worker-side is loaded now);
3. new namespaces where the machine allows them: network (no interface is up: nothing, not even
   loopback, can be reached), mount, PID (the worker is PID 1 of its own tree: it cannot see or
   signal the grader, and every process it starts dies with it), and a user namespace when not
   started as root;
4. in the mount namespace, an **allow-list** of the file system (``isolation.view``): a new empty
   root holding only the interpreter, the installed third-party packages, ``course_utils`` and a
   few system files, all read-only, with private size-limited ``/tmp``, ``/var/tmp`` and
   ``/dev/shm`` and a ``/dev`` of a few harmless devices; ``pivot_root`` into it and the old root
   is detached. Nothing else exists for the worker: no submissions, results, repository or
   grader module in any form (source, bytecode, installed copy);
5. all capabilities dropped, ``no_new_privs`` set, killed if its parent dies;
6. an audit hook that refuses network calls and opening hidden paths (the fallback where
   namespaces are not available, and a second wall where they are);

then it hands over to :func:`autograder.worker.runtime.serve`, which never runs learner code
itself: that code is loaded only in the probe children it forks.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import resource
import signal
import socket
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
_MOUNT_OPTION_FLAGS = {
    "ro": MS_RDONLY,
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
}
SANDBOX_TMP = "/tmp"
WORKDIR = "/tmp/work"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None
):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _set_limits(limits: dict[str, int]) -> None:
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def _unshare(wanted: dict[str, bool]) -> dict[str, bool]:
    """Enter new namespaces; returns which ones this machine granted."""
    flags = {"net": CLONE_NEWNET, "mount": CLONE_NEWNS, "pid": CLONE_NEWPID}
    uid, gid = os.getuid(), os.getgid()
    user = uid != 0 and wanted.get("user", True)
    mask = sum(flag for key, flag in flags.items() if wanted.get(key))
    if user:
        mask |= CLONE_NEWUSER
    granted = dict.fromkeys(flags, False)
    if mask and _libc.unshare(mask) == 0:
        granted.update({k: bool(wanted.get(k)) for k in flags})
        if user:  # be "root" inside the new user namespace, mapped to our own uid outside
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {uid} 1")
            _write("/proc/self/gid_map", f"0 {gid} 1")
        return granted
    for key, flag in flags.items():  # all at once was refused: take what is granted one by one
        if wanted.get(key) and _libc.unshare(flag) == 0:
            granted[key] = True
    return granted


def _become_pid_one(request_fd: int, response_fd: int) -> None:
    """After unshare(CLONE_NEWPID) the next child is PID 1 of the new namespace: the parent
    stays behind as a plain waiter that holds no learner code and no channel."""
    pid = os.fork()
    if pid == 0:
        return
    os.close(request_fd)
    os.close(response_fd)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _mountinfo() -> list[tuple[str, int]]:
    """(mount point, option flags) of every mount, outermost first."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            point = parts[4].encode().decode("unicode_escape")
            flags = 0
            for option in parts[5].split(","):
                flags |= _MOUNT_OPTION_FLAGS.get(option, 0)
            mounts.append((point, flags))
    return mounts


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


MNT_DETACH = 2
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}
"""``pivot_root`` has no libc wrapper: its syscall number per architecture."""


def _bind(source: str, target: str, directory: bool) -> None:
    if directory:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "a").close()  # noqa: SIM115 - a mount point for a file
    _mount(source, target, None, MS_BIND | (MS_REC if directory else 0))


def _tmpfs(target: str, size: str, mode: str = "1777", dev: bool = False) -> None:
    os.makedirs(target, exist_ok=True)
    flags = MS_NOSUID | (0 if dev else MS_NODEV)
    _mount("tmpfs", target, "tmpfs", flags, f"size={size},mode={mode}")


def _seal_view(config: dict) -> None:
    """Replace the file system by an allow-list (``isolation.view``): a new, empty root holding
    only the exposed paths, read-only, and private writable /tmp, /var/tmp and /dev/shm; then
    ``pivot_root`` into it and drop the old root entirely, so nothing else exists any more: not
    the repository, not the grader's hidden tests in any form, not other submissions, not results.
    """
    view = config["view"]
    root = config["root"]  # an empty directory private to this worker, on the host
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    # private scratch first: an exposed path under /tmp (a Gradescope tree there) lands on top
    _tmpfs(root + SANDBOX_TMP, f"{int(config.get('tmp_mb', 256))}m")
    _tmpfs(root + "/var/tmp", "1m")
    for directory in view["dirs"]:
        if os.path.isdir(directory):
            _bind(directory, root + directory, True)
    for path in view["files"]:
        if os.path.isfile(path):
            _bind(path, root + path, False)
    for path, target in view["links"].items():
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        os.symlink(target, root + path)
    _tmpfs(root + "/dev", "64k", "0755", dev=True)
    for device in view["devices"]:
        with contextlib.suppress(OSError):
            _bind(device, root + device, False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(target, f"{root}/dev/{name}")
    _tmpfs(root + "/dev/shm", f"{int(config.get('shm_mb', 64))}m")
    os.makedirs(root + "/proc", exist_ok=True)
    old = root + "/.old-root"
    os.makedirs(old, exist_ok=True)
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None or _libc.syscall(number, root.encode(), old.encode()) != 0:
        raise OSError(ctypes.get_errno(), "pivot_root into the worker's view failed")
    os.chdir("/")
    _check(_libc.umount2(b"/.old-root", MNT_DETACH), "detach the old root")
    os.rmdir("/.old-root")


def _mount_proc() -> None:
    """A /proc that shows the new PID namespace only."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _read_only_everywhere() -> None:
    """Every mount read-only except the worker's own scratch space (/tmp, /var/tmp, /dev/shm)
    and /proc; each keeps its other flags (a locked flag cannot be dropped)."""
    writable = (SANDBOX_TMP, "/var/tmp", "/dev/shm")  # exactly these: a path exposed under
    for point, flags in _mountinfo():  # /tmp (a Gradescope tree there) is read-only like any other
        if point in writable or _under(point, "/proc"):
            continue
        _libc.mount(None, point.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, None)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _drop_privileges() -> None:
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _libc.capset(ctypes.byref(header), ctypes.byref(data))


def _audit_hook(hidden: tuple[str, ...], keep: tuple[str, ...], local_sockets: bool = False):  # noqa: ANN202
    """Refuse network use and opening hidden paths, whatever the namespaces did.

    With ``local_sockets`` (the worker has its own network and mount namespaces), Unix-domain
    sockets stay usable: they reach only this sandbox (its own abstract names, paths in its own
    view), and multiprocessing (PyTorch DataLoader workers) passes tensors through them.
    For a path under both a hidden and a kept directory, the deeper of the two decides.
    """
    network = {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
    }
    paths = {"open", "os.listdir", "os.scandir", "os.chdir", "glob.glob", "shutil.copyfile"}
    rules = sorted(
        [(len(h), True, h) for h in hidden] + [(len(k), False, k) for k in keep], reverse=True
    )

    def hook(event: str, args: tuple) -> None:
        if event in network:
            family = getattr(args[0], "family", None) if args else None
            if local_sockets and family == socket.AF_UNIX:
                return
            raise PermissionError(f"network access is disabled while grading ({event})")
        if event in paths and args and isinstance(args[0], str | bytes):
            target = args[0].decode(errors="replace") if isinstance(args[0], bytes) else args[0]
            full = os.path.abspath(target)
            for _, hides, root in rules:
                if _under(full, root):
                    if hides:
                        raise PermissionError(f"{target} is not accessible while grading")
                    return

    return hook


def _load_probes(config: dict, response_fd: int):  # noqa: ANN202
    """Import the assignment's probes (and with them the framework) before the file system is
    sealed: the worker's view holds no part of ``autograder``, so every worker-side module must
    be in memory by then. A warm worker's zygote did this already. Trusted code only: no learner
    code exists yet. A failure is a bug of ours: reported as such, then the worker stops."""
    import importlib
    import traceback

    name = config["probes"]
    try:
        if name in sys.modules and config.get("prepared"):
            return sys.modules[name]
        for blocked in config.get("blocked_modules", []):
            sys.modules[blocked] = None  # type: ignore[assignment]
        probes = importlib.import_module(name)
        probes.prepare_worker()
        importlib.import_module("autograder.worker.runtime")
        return probes
    except Exception:  # noqa: BLE001
        from autograder import channel

        detail = traceback.format_exc()[-2000:]
        channel.send(response_fd, {"op": "internal_error", "detail": detail})
        os._exit(0)


def main(config_json: str) -> None:
    config = json.loads(config_json)
    request_fd, response_fd = config["request_fd"], config["response_fd"]
    if config.get("cgroup"):  # join the process-count cgroup before anything forks
        _write(os.path.join(config["cgroup"], "cgroup.procs"), str(os.getpid()))
    _set_limits(config.get("rlimits", {}))
    probes = _load_probes(config, response_fd)
    granted = dict.fromkeys(("net", "mount", "pid"), False)
    if config.get("namespaces", True):
        granted = _unshare(config.get("wanted", {"net": True, "mount": True, "pid": True}))
    if granted["pid"]:
        _become_pid_one(request_fd, response_fd)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if granted["mount"]:
        try:
            _seal_view(config)
            _mount_proc()
            _read_only_everywhere()
        except OSError:
            granted["mount"] = False  # reported to the grader; the audit hook still hides paths
    for workdir in (WORKDIR, config["scratch"], "/"):
        with contextlib.suppress(OSError):
            os.makedirs(workdir, exist_ok=True)
        if os.path.isdir(workdir) and os.access(workdir, os.W_OK):
            os.chdir(workdir)
            break
    os.environ.update({"HOME": os.getcwd(), "TMPDIR": os.getcwd(), "MPLCONFIGDIR": os.getcwd()})
    import tempfile

    sys.dont_write_bytecode = True  # nothing the worker imports from now on leaves bytecode
    tempfile.tempdir = None  # forget a temporary directory found before sealing (the zygote's)
    if config.get("namespaces", True):
        _drop_privileges()
    hidden = tuple(config.get("hide_dirs", [])) + tuple(config.get("hide_files", []))
    local_sockets = granted["net"] and granted["mount"]
    sys.addaudithook(_audit_hook(hidden, tuple(config.get("keep", [])), local_sockets))
    from autograder.worker.runtime import serve

    serve(request_fd, response_fd, probes, isolation={k: v for k, v in granted.items() if v})
