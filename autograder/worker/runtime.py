"""The worker's main loop: load the learner's code once, then run each probe in a forked child.

A child per probe means a test that crashes, exits or hangs costs that test only, and no state
leaks from one test into the next. The parent enforces each probe's time limit.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
import types
from pathlib import Path
from typing import Any

from autograder import channel
from autograder.worker import tamper
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


def serve(request_fd: int, response_fd: int, isolation: dict[str, bool] | None = None) -> None:
    """Answer the grader's requests until it says ``exit`` or closes the pipe."""
    send, receive = channel.send, channel.receive
    load = receive(request_fd)
    _block_imports(load.get("blocked_modules", []))
    try:
        probes = importlib.import_module(load["probes"])
        probes.prepare_worker()
    except Exception:  # noqa: BLE001 - a bug of ours, not of the learner: say so
        send(response_fd, {"op": "internal_error", "detail": traceback.format_exc()[-2000:]})
        return
    baseline = tamper.fingerprint()
    module, error = _load_submission(load["code"])
    names = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("__"))
    send(
        response_fd,
        {
            "op": "loaded",
            "ok": error is None,
            "error": error,
            "names": names,
            "tampered": tamper.changed(baseline),
            "isolation": isolation or {},
        },
    )
    while True:
        try:
            request = receive(request_fd)
        except channel.ChannelClosed:
            break
        if request.get("op") != "probe":
            break
        reply = _run_in_child(probes, module, request, baseline)
        send(response_fd, reply)


def _load_submission(code: str) -> tuple[types.ModuleType, dict[str, Any] | None]:
    """Run the learner's definitions one top-level statement at a time: a statement that raises
    (say a default argument naming a constant that was not kept) costs its own definition, not
    every definition after it. The first error is reported."""
    module = types.ModuleType("submission")
    module.__file__ = SUBMISSION_FILENAME
    sys.modules["submission"] = module
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
    probes: Any, module: types.ModuleType, request: dict[str, Any], baseline: tamper.Fingerprint
) -> dict[str, Any]:
    timeout = float(request.get("timeout", 20.0))
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: run the probe, send one frame, never return
        os.close(read_fd)
        _child(probes, module, request, write_fd, timeout, baseline)
    os.close(write_fd)
    try:
        reply = channel.receive(read_fd, deadline=started + timeout)
    except channel.ChannelTimeout:
        reply = {"status": "timeout", "detail": f"no answer within {timeout:.0f} s"}
    except channel.ChannelClosed:
        reply = {"status": "crashed", "detail": _exit_detail(pid)}
    except Exception as exc:  # noqa: BLE001 - a corrupt frame from a tampered child
        reply = {"status": "corrupt", "detail": f"unreadable answer: {exc}"[:300]}
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    reply["elapsed_s"] = round(time.monotonic() - started, 4)
    return reply


def _child(
    probes: Any,
    module: types.ModuleType,
    request: dict[str, Any],
    fd: int,
    timeout: float,
    baseline: tamper.Fingerprint,
) -> None:
    cpu = int(timeout) + 2
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    scratch = Path(tempfile.mkdtemp(prefix="probe-", dir=os.getcwd()))
    ctx = ProbeContext(module=module, seed=int(request["seed"]), scratch=scratch)
    try:
        if hasattr(probes, "seed_child"):
            probes.seed_child(ctx.seed)
        obs = probes.PROBES[request["name"]](ctx, **request.get("params", {}))
        reply = {"status": "ok", "obs": obs}
    except LearnerError as exc:
        reply = {"status": "ok", "obs": {"learner_error": exc.info}}
    except BaseException as exc:  # noqa: BLE001 - the probe met something it did not expect
        reply = {"status": "ok", "obs": {"learner_error": describe_exception(exc, "<probe>")}}
    replaced = tamper.changed(baseline)
    if replaced:
        reply = {"status": "tampered", "detail": ", ".join(replaced[:5])}
    try:
        channel.send(fd, reply)
    except Exception as exc:  # noqa: BLE001 - e.g. an observation we cannot encode
        channel.send(fd, {"status": "corrupt", "detail": f"cannot encode observation: {exc}"})
    finally:
        os._exit(0)


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
