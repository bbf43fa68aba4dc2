"""The first code a worker process runs: it locks itself in before any learner code exists.

Started as ``python -I -c BOOT PACKAGE_ROOT CONFIG_JSON`` by :mod:`autograder.sandbox`. In order:

1. resource limits (file size, core dumps, open files);
2. new namespaces where the machine allows them: network (no interface is up: nothing, not even
   loopback, can be reached), mount, PID (the worker is PID 1 of its own tree: it cannot see or
   signal the grader, and every process it starts dies with it), and a user namespace when not
   started as root;
3. in the mount namespace: a private, size-limited ``/tmp`` as the working directory; hidden
   directories and files (hidden tests' verdicts, solutions, other submissions, the results
   directory, home directories) covered by empty mounts; every other mount read-only;
4. all capabilities dropped, ``no_new_privs`` set, killed if its parent dies;
5. an audit hook that refuses network calls and opening hidden paths (the fallback where
   namespaces are not available, and a second wall where they are);

then it hands over to :func:`autograder.worker.runtime.serve`. Only the standard library is used
before step 5, and nothing here trusts the learner's code, which is loaded later.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
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


def _cover(directories: list[dict], keep: list[str], hold: str) -> None:
    """Cover each directory with an empty tmpfs, re-exposing the kept paths inside it.

    Outer directories first, so a hidden directory inside a kept one (the repository's tests/
    inside a kept repository under /root) is covered after the kept one is back in place.
    """
    for index, entry in enumerate(sorted(directories, key=lambda d: d["path"].count("/"))):
        directory = entry["path"]
        if not os.path.isdir(directory) or os.path.islink(directory) or directory == "/":
            continue
        inside = [k for k in keep if _under(k, directory) and k != directory and os.path.exists(k)]
        held = []
        for n, path in enumerate(inside):
            spot = os.path.join(hold, f"{index}-{n}")
            os.makedirs(spot, exist_ok=True)
            _mount(path, spot, None, MS_BIND | MS_REC)
            held.append((path, spot))
        size = entry.get("size", "64k")
        _mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
        for path, spot in held:
            os.makedirs(path, exist_ok=True)
            _mount(spot, path, None, MS_BIND | MS_REC)
        if not entry.get("writable"):
            _mount(None, directory, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _seal_filesystem(config: dict) -> None:
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    hold = config["hold"]  # a directory to park kept paths in while their parent is covered
    _mount("tmpfs", hold, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700")
    covers = [{"path": SANDBOX_TMP, "writable": True, "size": f"{int(config.get('tmp_mb', 256))}m"}]
    covers += [
        {"path": p, "writable": p in ("/dev/shm", "/var/tmp"), "size": "1m"}
        for p in ("/dev/shm", "/var/tmp")
    ]
    covers += [{"path": p} for p in config.get("hide_dirs", [])]
    _cover(covers, config.get("keep", []), hold)
    for path in config.get("hide_files", []):
        if os.path.isfile(path):
            _mount("/dev/null", path, None, MS_BIND)
    ours: set[str] = {str(c["path"]) for c in covers} | {"/proc", hold}
    for point, flags in _mountinfo():
        if any(_under(point, o) for o in ours):
            continue
        # read-only everywhere else: results, other submissions, the grader's own files
        _libc.mount(None, point.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, None)


def _mount_proc() -> None:
    """A /proc that shows the new PID namespace only."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


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


def _audit_hook(hidden: tuple[str, ...], keep: tuple[str, ...]):  # noqa: ANN202
    """Refuse network use and opening hidden paths, whatever the namespaces did.

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


def main(config_json: str) -> None:
    config = json.loads(config_json)
    request_fd, response_fd = config["request_fd"], config["response_fd"]
    if config.get("cgroup"):  # join the process-count cgroup before anything forks
        _write(os.path.join(config["cgroup"], "cgroup.procs"), str(os.getpid()))
    _set_limits(config.get("rlimits", {}))
    granted = dict.fromkeys(("net", "mount", "pid"), False)
    if config.get("namespaces", True):
        granted = _unshare(config.get("wanted", {"net": True, "mount": True, "pid": True}))
    if granted["pid"]:
        _become_pid_one(request_fd, response_fd)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if granted["mount"]:
        try:
            _seal_filesystem(config)
            if granted["pid"]:
                _mount_proc()
            os.makedirs(WORKDIR, exist_ok=True)
        except OSError:
            granted["mount"] = False  # reported to the grader; the audit hook still hides paths
    for workdir in (WORKDIR, config["scratch"], "/"):
        if os.path.isdir(workdir) and os.access(workdir, os.W_OK):
            os.chdir(workdir)
            break
    os.environ.update({"HOME": os.getcwd(), "TMPDIR": os.getcwd(), "MPLCONFIGDIR": os.getcwd()})
    if config.get("namespaces", True):
        _drop_privileges()
    hidden = tuple(config.get("hide_dirs", [])) + tuple(config.get("hide_files", []))
    sys.addaudithook(_audit_hook(hidden, tuple(config.get("keep", []))))
    from autograder.worker.runtime import serve

    serve(request_fd, response_fd, isolation={k: v for k, v in granted.items() if v})
