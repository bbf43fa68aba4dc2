"""A warm parent for workers: frameworks imported once, a fresh sandboxed worker forked per
submission.

Started by :class:`autograder.pool.Zygote` as ``python -I -c BOOT PACKAGE_ROOT CONFIG_JSON``. It
imports the assignment's probes (and with them torch or tensorflow) *without any learner code*,
then waits on a Unix socket. For each ``spawn`` request, which carries the new worker's three
pipe ends (requests, replies, output) as file descriptors, it forks a child that:

1. closes the zygote's socket and starts its own session (the grader kills it by process group);
2. points stdout/stderr at the output pipe;
3. runs :func:`autograder.worker.boot.main` exactly as a cold worker does: limits, namespaces,
   sealed filesystem, dropped privileges, audit hook, then the usual serve loop.

So every guarantee of a cold worker holds; only the framework imports are paid once. The zygote
reports each child's pid and, when it ends, its exit code. No learner code ever runs in the
zygote itself, and no child can reach it: each lives in its own PID namespace where granted.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback

from autograder.worker import boot, runtime

MAX_MESSAGE = 1 << 20


def _send(sock: socket.socket, lock: threading.Lock, message: dict) -> None:
    with lock:
        sock.send(json.dumps(message).encode())


def _reap(sock: socket.socket, lock: threading.Lock) -> None:
    """Report every child that ends, with the code ``subprocess`` would give."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            time.sleep(0.02)
            continue
        try:
            _send(
                sock, lock, {"op": "exited", "pid": pid, "code": os.waitstatus_to_exitcode(status)}
            )
        except OSError:
            return


def _child(sock: socket.socket, fds: list[int], config: dict) -> None:
    """In the forked child: become a cold worker's twin. Never returns."""
    try:
        sock.close()
        os.setsid()
        request_fd, response_fd, output_fd = fds
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        config["request_fd"], config["response_fd"] = request_fd, response_fd
        boot.main(json.dumps(config))
    except BaseException:  # noqa: BLE001 - report, then leave: the grader sees a closed channel
        traceback.print_exc()
    finally:
        os._exit(0)


def main(config_json: str) -> None:
    config = json.loads(config_json)
    sock = socket.socket(fileno=int(config["socket_fd"]))
    lock = threading.Lock()
    boot._libc.prctl(boot.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # dies with the grader
    runtime._block_imports(config.get("blocked_modules", []))
    try:
        probes = importlib.import_module(config["probes"])
        probes.prepare_worker()
    except Exception:  # noqa: BLE001 - a bug of ours: say so and stop
        _send(sock, lock, {"op": "internal_error", "detail": traceback.format_exc()[-2000:]})
        return
    _send(sock, lock, {"op": "ready", "pid": os.getpid()})
    threading.Thread(target=_reap, args=(sock, lock), daemon=True).start()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        except OSError:
            break
        if not message:
            break  # the grader closed the socket
        request = json.loads(message)
        if request.get("op") != "spawn" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            _child(sock, fds, request["config"])
        for fd in fds:
            os.close(fd)
        _send(sock, lock, {"op": "spawned", "token": request["token"], "pid": pid})
    sys.stdout.flush()
    os._exit(0)
