"""The worker's main loop: load the learner's code once, then run the probes in forked children.

Probes run in a child, never in the worker itself, so a test that crashes, exits or hangs costs
that test only; the worker enforces each probe's time limit and forks a new child for the next.
One child runs probe after probe while it stays as clean as a fresh fork (``hygiene``: bindings
and working directory put back after each probe; any other change retires it), because a fresh
TensorFlow child pays its runtime's start again. Probes that must start in a fresh process (they
configure devices before the first op) are listed in the probes module's ``SOLO_PROBES`` and get
a child of their own.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import gc
import os
import resource
import signal
import sys
import tempfile
import time
import types
from array import array
from pathlib import Path
from typing import Any

from autograder import channel
from autograder.worker import hygiene, tamper
from autograder.worker.probe_api import (
    SUBMISSION_FILENAME,
    LearnerError,
    ProbeContext,
    describe_exception,
)


def _block_imports(blocked: list[str]) -> None:
    """Make frameworks a run must not load unimportable (a torch run never imports tensorflow).

    ``None`` in ``sys.modules`` makes ``import x`` raise ModuleNotFoundError and makes
    ``importlib.util.find_spec(x)`` answer None, which is how libraries probe for optional imports.
    """
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]


PR_SET_DUMPABLE = 4


def serve(
    request_fd: int, response_fd: int, probes: Any, isolation: dict[str, bool] | None = None
) -> None:
    """Answer the grader's requests until it says ``exit`` or closes the pipe.

    This process (the supervisor) holds the channel to the grader and never runs learner code:
    the learner's definitions are loaded only in the probe children it forks, which close the
    channel first. It is not dumpable, so no child (all capabilities dropped) can open its file
    descriptors through ``/proc/1/fd``, read its memory or attach to it. What a child answers
    comes back through a pipe of its own and is decoded, bounded, and sent on as fresh frames.
    """
    send, receive = channel.send, channel.receive
    load = receive(request_fd)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    # Everything alive now (frameworks, probes) stays as it is: the children's garbage collector
    # need not walk it (faster), nor write to it (pages stay shared). Frozen before the tamper
    # check lists its slots: a collection those thousands of new objects set off would otherwise
    # walk every object of TensorFlow here, and the pages it writes would stop being shared with
    # the process this one was forked from (+80 MB per TF2 worker, measured).
    gc.freeze()
    tamper.protect()
    shared = _SharedChild(probes, load["code"], closes=(request_fd, response_fd))
    try:
        loaded = shared.start()
        send(response_fd, {**loaded, "isolation": isolation or {}})
        if loaded.get("fatal"):
            return
        while True:
            try:
                request = receive(request_fd)
            except channel.ChannelClosed:
                break
            if request.get("op") != "probe":
                break
            if request["name"] in getattr(probes, "SOLO_PROBES", ()):
                closes = (request_fd, response_fd, *shared.fds())
                reply = _run_in_child(probes, load["code"], request, closes)
            else:
                reply = shared.run(request)
            send(response_fd, reply)
    finally:
        shared.close()


def _hide_grader() -> None:
    """In a probe child, before learner code exists: no module of the grader is in
    ``sys.modules`` any more (the probes keep working: their functions hold their globals), and
    none can be imported (the worker's file system holds no part of ``autograder``), so
    ``import autograder...`` fails as an import of a missing module does. The command line and
    the environment stop naming the grader (the call stack still does: see docs/security.md)."""
    for name in [n for n in sys.modules if n == "autograder" or n.startswith("autograder.")]:
        del sys.modules[name]
    sys.modules.pop("submission", None)
    # what a notebook's kernel shows instead of the worker's command line and paths
    sys.argv = [""]
    sys.orig_argv = [sys.executable]
    for key, value in list(os.environ.items()):
        if "dlcourse" in value:
            os.environ[key] = os.path.join(os.environ.get("TMPDIR", "/tmp"), key.lower())


def _child_setup(closes: tuple[int, ...]) -> tuple[array, types.ModuleType, Any]:
    """In a freshly forked probe child: close the worker's channel, hide the grader, take the
    tamper baseline, then load the learner's definitions. Returns (baseline, module, error)."""
    for fd in closes:
        with contextlib.suppress(OSError):
            os.close(fd)
    _hide_grader()
    baseline = tamper.identities()
    module, error = _load_submission(_CODE.pop())
    return baseline, module, error


_CODE: list[str] = []
"""The learner's source, handed to a child right after fork (the supervisor never executes it)."""


def _load_submission(code: str) -> tuple[types.ModuleType, dict[str, Any] | None]:
    """Run the learner's definitions one top-level statement at a time: a statement that raises
    (say a default argument naming a constant that was not kept) costs its own definition, not
    every definition after it. The first error is reported."""
    module = types.ModuleType("__main__")  # as in a notebook's kernel: no __file__ either
    sys.modules["__main__"] = module  # pickling and inspect find the learner's classes
    first_error = None
    try:
        statements = ast.parse(code, SUBMISSION_FILENAME).body
    except SyntaxError as exc:
        return module, describe_exception(exc, "<module>")
    for statement in statements:
        try:
            unit = compile(ast.Module([statement], type_ignores=[]), SUBMISSION_FILENAME, "exec")
            exec(unit, module.__dict__)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, even SystemExit
            first_error = first_error or describe_exception(exc, "<module>")
    return module, first_error


def _run_in_child(
    probes: Any,
    code: str,
    request: dict[str, Any],
    closes: tuple[int, ...] = (),
) -> dict[str, Any]:
    """Run one probe in a child of its own (a ``SOLO_PROBES`` probe), which loads the learner's
    code itself. The child closes ``closes``, the worker's other pipes: learner code cannot write
    into the grader's channel."""
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    _CODE[:] = [code]
    expected = tamper.expected()  # the supervisor's, out of the child's reach
    pid = os.fork()
    if pid == 0:  # child: load, run the probe, send one frame, never return
        try:
            os.close(read_fd)
            baseline, module, _ = _child_setup(closes)
            _limit_cpu(_timeout(request))
            _send_reply(write_fd, _answer(probes, module, request, baseline))
        finally:
            os._exit(0)
    _CODE.clear()
    os.close(write_fd)
    try:
        return _verified(_await_reply(read_fd, pid, request, started), expected)
    finally:
        os.close(read_fd)
        _reap(pid)


class _SharedChild:
    """A forked child that loads the learner's code and runs probe after probe, replaced when it
    dies, hangs, or can no longer be brought back to the state of a fresh fork. It closes
    ``closes`` (the worker's channel to the grader): learner code cannot write into it."""

    def __init__(self, probes: Any, code: str, closes: tuple[int, ...]) -> None:
        self._probes, self._code = probes, code
        self._closes = closes
        self._pid: int | None = None
        self._to_child = self._from_child = -1

    def start(self) -> dict[str, Any]:
        """Fork a child and wait until it has loaded the learner's code; returns its ``loaded``
        report (``fatal`` set when the child died while loading)."""
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        _CODE[:] = [self._code]
        self._expected = tamper.expected()  # the supervisor's, out of the child's reach
        pid = os.fork()
        if pid == 0:
            try:
                os.close(self._to_child)
                os.close(self._from_child)
                baseline, module, error = _child_setup(self._closes)
                names = sorted(
                    k for k, v in vars(module).items() if callable(v) and not k.startswith("__")
                )
                integrity = tamper.report(baseline)
                report = {
                    "op": "loaded",
                    "ok": error is None,
                    "error": error,
                    "names": names,
                    "tampered": integrity["changed"],
                    "integrity": integrity,
                }
                _send_reply(from_child_w, report)
                _serve_probes(self._probes, module, baseline, to_child_r, from_child_w)
            finally:
                os._exit(0)
        _CODE.clear()
        os.close(to_child_r)
        os.close(from_child_w)
        self._pid = pid
        try:
            loaded = channel.receive(self._from_child)
        except channel.ChannelClosed:
            detail = _exit_detail(pid)
            self._pid = None
            self.close_fds()
            return {"op": "loaded", "ok": False, "fatal": f"the process loading your code {detail}"}
        except Exception as exc:  # noqa: BLE001 - a corrupt frame from load-time code
            self.close()
            return {"op": "loaded", "ok": False, "fatal": f"unreadable answer: {exc}"[:300]}
        if not isinstance(loaded, dict) or loaded.get("op") != "loaded":
            self.close()
            return {"op": "loaded", "ok": False, "fatal": "an answer that is not a load report"}
        voided = tamper.verify(loaded, self._expected)
        if voided:
            listed = loaded.get("tampered")
            loaded["tampered"] = [*(listed if isinstance(listed, list) else []), *voided]
        return loaded

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        if self._pid is None:
            report = self.start()
            if report.get("fatal"):
                return {"status": "crashed", "detail": str(report["fatal"])}
        assert self._pid is not None
        try:
            channel.send(self._to_child, request)
        except channel.ChannelClosed:  # it exited on its own since its last answer
            self.close()
            report = self.start()
            if report.get("fatal"):
                return {"status": "crashed", "detail": str(report["fatal"])}
            assert self._pid is not None
            channel.send(self._to_child, request)
        reply = _verified(
            _await_reply(self._from_child, self._pid, request, started), self._expected
        )
        if reply["status"] != "ok" or reply.pop("retired", None):
            self.close()
        return reply

    def fds(self) -> tuple[int, ...]:
        """The worker's ends of the pipes to the child, while it lives."""
        return () if self._pid is None else (self._to_child, self._from_child)

    def close_fds(self) -> None:
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)

    def close(self) -> None:
        if self._pid is None:
            return
        self.close_fds()
        _reap(self._pid)
        self._pid = None


def _serve_probes(
    probes: Any, module: types.ModuleType, baseline: array, requests: int, replies: int
) -> None:
    """In a shared child: answer probe requests until the worker closes the pipe, or until a
    probe leaves a change that cannot be undone (the reply says so, then the child exits)."""
    clean = hygiene.CleanState(module, probes)
    while True:
        try:
            request = channel.receive(requests)
        except channel.ChannelClosed:
            return
        _limit_cpu(_timeout(request))
        reply = _answer(probes, module, request, baseline)
        try:
            changes = clean.restore()
        except Exception as exc:  # noqa: BLE001 - a state we cannot read: start afresh
            changes = [f"checking the state failed ({type(exc).__name__})"]
        if changes:
            reply["retired"] = changes
        sent = _send_reply(replies, reply)
        if changes or sent["status"] != "ok":  # the worker retires it on either too
            return


def _limit_cpu(timeout: float) -> None:
    """CPU seconds for the next probe: what the child used so far plus the probe's time limit
    (the soft limit, raised before each probe; the worker's wall-clock deadline comes first)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    seconds = int(used.ru_utime + used.ru_stime + timeout) + 2
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            seconds = min(seconds, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, hard))


def _timeout(request: dict[str, Any]) -> float:
    return float(request.get("timeout", 20.0))


def _await_reply(fd: int, pid: int, request: dict[str, Any], started: float) -> dict[str, Any]:
    timeout = _timeout(request)
    try:
        reply = channel.receive(fd, deadline=started + timeout)
    except channel.ChannelTimeout:
        reply = {"status": "timeout", "detail": f"no answer within {timeout:.0f} s"}
    except channel.ChannelClosed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # a child that closed its pipe but lives on
        reply = {"status": "crashed", "detail": _exit_detail(pid)}
    except Exception as exc:  # noqa: BLE001 - a corrupt frame from a tampered child
        reply = {"status": "corrupt", "detail": f"unreadable answer: {exc}"[:300]}
    if not isinstance(reply, dict) or not isinstance(reply.get("status"), str):
        reply = {"status": "corrupt", "detail": "an answer that is not a probe's reply"}
    reply["elapsed_s"] = round(time.monotonic() - started, 4)
    return reply


def _reap(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _answer(
    probes: Any, module: types.ModuleType, request: dict[str, Any], baseline: array
) -> dict[str, Any]:
    """Run one probe here (in a child) and return its reply."""
    scratch = Path(tempfile.mkdtemp(prefix="probe-", dir=os.getcwd()))
    ctx = ProbeContext(module=module, seed=int(request["seed"]), scratch=scratch)
    try:
        if hasattr(probes, "seed_child"):
            probes.seed_child(ctx.seed)
        obs = probes.PROBES[request["name"]](ctx, **request.get("params", {}))
        reply: dict[str, Any] = {"status": "ok", "obs": obs}
    except LearnerError as exc:
        reply = {"status": "ok", "obs": {"learner_error": exc.info}}
    except BaseException as exc:  # noqa: BLE001 - the probe met something it did not expect
        reply = {"status": "ok", "obs": {"learner_error": describe_exception(exc, "<probe>")}}
    integrity = tamper.report(baseline)
    if integrity["changed"]:
        reply = {"status": "tampered", "detail": ", ".join(integrity["changed"][:5])}
    reply["integrity"] = integrity
    return reply


def _verified(reply: dict[str, Any], expected: str) -> dict[str, Any]:
    """In the supervisor: a child's reply whose digest is not the one taken before forking it
    says ``tampered`` (what a child reports of itself can be forged; the digest it must match
    was never within its reach)."""
    voided = tamper.verify(reply, expected)
    if voided and reply.get("status") == "ok":
        detail = ", ".join(voided[:5])
        return {"status": "tampered", "detail": detail, "elapsed_s": reply.get("elapsed_s", 0.0)}
    return reply


def _send_reply(fd: int, reply: dict[str, Any]) -> dict[str, Any]:
    """Send ``reply``, or say why it cannot be sent; returns what was sent."""
    try:
        channel.send(fd, reply)
    except channel.ChannelClosed:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. an observation we cannot encode
        reply = {"status": "corrupt", "detail": f"cannot encode observation: {exc}"[:300]}
        channel.send(fd, reply)
    return reply


def _exit_detail(pid: int) -> str:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "the process ended"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return f"killed by signal {name}"
    return f"exited with code {os.WEXITSTATUS(status)} before answering"
