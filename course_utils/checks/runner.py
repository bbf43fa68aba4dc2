"""Run a step's public checks against the learner's namespace and show the outcome."""

from __future__ import annotations

import contextlib
import html
import importlib
import inspect
import secrets
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.assignments import ASSIGNMENTS
from course_utils.practice import practice_enabled

_HEADERS = ("check", "result", "what it means")
_HEAD = "text-align:left;padding:3px 10px 3px 0;border-bottom:1px solid #d0d7de"


class CheckFailed(Exception):
    """Raised inside a public check: the message is the teaching feedback."""


@dataclass
class CheckResult:
    name: str
    passed: bool
    message: str = ""
    status: str = "passed"
    """``passed``, ``failed``, ``not implemented``, ``missing`` or ``error``."""


@dataclass
class StepReport:
    step: str
    results: list[CheckResult] = field(default_factory=list)
    elapsed_s: float = 0.0
    practice_seed: int | None = None
    """Seed of this call's random practice instances (``None`` outside practice mode)."""

    @property
    def _practice_note(self) -> str:
        if self.practice_seed is None:
            return ""
        return f"practice instance {self.practice_seed}"

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def _repr_html_(self) -> str:
        # JupyterLab right-aligns cells otherwise; nbgrader's feedback page has no cell padding
        left = "text-align:left;vertical-align:top;padding:3px 10px 3px 0"
        rows = "".join(
            f"<tr><td style='{left}'>{html.escape(r.name)}</td>"
            f"<td style='{left};color:{'#1a7f37' if r.passed else '#cf222e'};font-weight:bold'>"
            f"{'pass' if r.passed else html.escape(r.status)}</td>"
            f"<td style='{left}'>{html.escape(r.message)}</td></tr>"
            for r in self.results
        )
        verdict = "all checks pass" if self.passed else "some checks fail"
        return (
            f"<div><b>check('{html.escape(self.step)}')</b>: {verdict} "
            f"<small>({self.elapsed_s:.2f} s{'; ' if self.practice_seed is not None else ''}"
            f"{html.escape(self._practice_note)})</small>"
            "<table><tr>" + "".join(f"<th style='{_HEAD}'>{h}</th>" for h in _HEADERS) + "</tr>"
            f"{rows}</table></div>"
        )

    def __repr__(self) -> str:
        lines = [
            f"check({self.step!r}): {'all checks pass' if self.passed else 'some checks fail'}"
            + (f" ({self._practice_note})" if self.practice_seed is not None else "")
        ]
        for r in self.results:
            mark = "PASS" if r.passed else r.status.upper()
            lines.append(f"  [{mark}] {r.name}" + (f": {r.message}" if r.message else ""))
        return "\n".join(lines)


@dataclass
class Progress:
    reports: list[StepReport]

    def summary(self) -> str:
        done = sum(r.passed for r in self.reports)
        return f"progress: {done}/{len(self.reports)} steps pass their checks"

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(self.summary())}</strong></p>"
        return head + "".join(r._repr_html_() for r in self.reports)

    def __repr__(self) -> str:
        head = self.summary()
        return (
            head
            + "\n"
            + "\n".join(
                f"  {'[x]' if r.passed else '[ ]'} {r.step}: "
                f"{sum(x.passed for x in r.results)}/{len(r.results)} checks"
                for r in self.reports
            )
        )


PublicCheck = Callable[[dict[str, Any]], str | None]


TIME_LIMIT_S = 30.0
"""Seconds one check may take before it is stopped (each takes well under one when the code
it checks is right)."""


class CheckTimedOut(BaseException):
    """Raised in the learner's code when a check ran out of time (a BaseException, so a bare
    ``except Exception`` in an endless loop cannot swallow it)."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM, main thread on POSIX; elsewhere no
    limit). A loop in Python stops at once; a long C call when it returns to Python."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise CheckTimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_check(name: str, func: PublicCheck, namespace: dict[str, Any]) -> CheckResult:
    """Run one public check; learner exceptions become teaching results, never tracebacks, and
    a check that runs longer than ``TIME_LIMIT_S`` is stopped with a message."""
    try:
        with _time_limit(TIME_LIMIT_S):
            message = func(namespace) or ""
        return CheckResult(name, True, message)
    except CheckTimedOut:
        return CheckResult(
            name,
            False,
            f"did not finish within {TIME_LIMIT_S:g} s and was stopped (the check itself takes "
            "well under a second). Likely cause: an endless loop in your code (a `while` whose "
            "condition never changes, a loader or dataset iterated without end, a `.repeat()` "
            "without a count)",
            "timed out",
        )
    except CheckFailed as exc:
        return CheckResult(name, False, str(exc), "failed")
    except NotImplementedError:
        return CheckResult(name, False, "not implemented yet", "not implemented")
    except MissingFunction as exc:
        return CheckResult(
            name, False, f"`{exc.args[0]}` is not defined: run its cell first", "missing"
        )
    except Exception as exc:  # noqa: BLE001 - learner code may raise anything
        return CheckResult(name, False, describe_error(exc), "error")


_KNOWN_ERRORS = (
    (("not compiled with cuda", "nvidia driver", "no cuda gpus"),
     "a hard-coded 'cuda' on a machine without a GPU: use the device argument"),
    (("expected all tensors to be on the same device",),
     "a tensor that was never moved to the device (x.to(device)), or one made on the default "
     "device"),
    (("mat1 and mat2 shapes cannot be multiplied",),
     "a layer size, batch size or channel count written into the model"),
    (("failedpreconditionerror", "uninitialized"),
     "variables read before the initializer ran: session.run(handles['init']) first"),
    (("already exists, disallowed",),
     "build_graph adds to the default graph: build in a new tf.Graph() each call"),
    (("does not require grad and does not have a grad_fn",),
     "the loss was computed from a tensor cut off the autograd graph (.detach(), .data, or "
     "the forward pass under torch.no_grad()): backward() has nothing to differentiate"),
    (("'nonetype' object has no attribute 'numpy'", "no gradients provided"),
     "a gradient is None: the forward pass ran outside the GradientTape"),
    (("singleton tf.variables",),
     "variables are created inside tf.function: create them outside and pass them in"),
)  # fmt: skip


def _is_learner_frame(filename: str) -> bool:
    """Frames of the learner's own code: notebook cells and files outside installed packages."""
    if filename.startswith("<"):
        return "frozen" not in filename
    path = Path(filename).resolve()
    roots = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    roots.add(Path(__file__).resolve().parent.parent)  # course_utils itself
    return not any(path.is_relative_to(root) for root in roots)


def describe_error(exc: BaseException) -> str:
    """An exception from learner code: type, text, the learner's own line (quoted) and, for the
    errors the course knows, the likely cause."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if _is_learner_frame(f.filename)]
    text = f"{type(exc).__name__}: {exc}"
    if own:
        frame = own[-1]
        quote = (frame.line or "").strip()
        text += f" (line {frame.lineno} of your {frame.name}" + (f": `{quote}`)" if quote else ")")
    lower = f"{type(exc).__name__}: {exc}".lower()
    for needles, cause in _KNOWN_ERRORS:
        if any(n in lower for n in needles):
            text += f". Likely cause: {cause}"
            break
    return text


_RUNS = 0


def current_run() -> int:
    """Which ``check(step)`` call is running: a check may keep what it built for the other
    checks of the same call (the learner may redefine a helper before the next call)."""
    return _RUNS


class MissingFunction(Exception):
    pass


def need(namespace: dict[str, Any], name: str) -> Callable[..., Any]:
    """The learner's function ``name`` from the notebook namespace."""
    obj = namespace.get(name)
    if not callable(obj):
        raise MissingFunction(name)
    return obj


class Checker:
    """``check = Checker("pytorch")``; then ``check("data")`` or ``check()`` for all steps."""

    def __init__(self, assignment: str, namespace: dict[str, Any] | None = None):
        if assignment not in ASSIGNMENTS:
            raise ValueError(
                f"no public checks for assignment {assignment!r}; known: {sorted(ASSIGNMENTS)}"
            )
        self.assignment = assignment
        self._record = ASSIGNMENTS[assignment]
        self._module = importlib.import_module(self._record.checks)
        if namespace is None:
            frame = inspect.currentframe()
            namespace = frame.f_back.f_globals if frame and frame.f_back else {}
        self.namespace = namespace

    @property
    def steps(self) -> tuple[str, ...]:
        """This assignment's steps, in notebook order."""
        return self._record.steps

    def __call__(self, step: str | None = None) -> StepReport | Progress:
        if step is None:
            return Progress([self._run(s) for s in self.steps])
        if step not in self.steps:
            raise ValueError(f"unknown step {step!r}; expected one of {', '.join(self.steps)}")
        return self._run(step)

    def _run(self, step: str) -> StepReport:
        global _RUNS
        _RUNS += 1
        started = time.perf_counter()
        checks: dict[str, PublicCheck] = dict(self._module.CHECKS[step])
        seed = None
        if practice_enabled():
            seed = secrets.randbelow(10**6)
            practice = importlib.import_module(self._record.practice).PRACTICE[step]
            for i, (name, func) in enumerate(practice.items()):
                rng = np.random.default_rng([seed, i])
                checks[f"practice: {name}"] = partial(func, rng=rng)
        report = StepReport(
            step,
            [run_check(name, func, self.namespace) for name, func in checks.items()],
            practice_seed=seed,
        )
        report.elapsed_s = time.perf_counter() - started
        return report
