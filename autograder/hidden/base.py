"""The shape of a hidden test and how a worker's reply becomes a scored result."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.hidden.replies import SchemaLookup, probe_schemas, reply_misfit
from autograder.results import TestResult
from autograder.schema import Schema

MAIN = "main"
"""The name of a suite's first worker."""

# Mixed into every seed. Workers never see it, so learner code cannot predict test instances.
_SEED_SALT = "dlcourse-hidden-2026-11"

LOG = logging.getLogger("dlcourse.grader")
"""Where the grader tells its developers about malformed replies and verdicts that raised."""


@dataclass(frozen=True)
class Verdict:
    """What a verdict function concludes from observations."""

    passed: bool
    message: str = ""
    fraction: float | None = None
    """Partial credit in [0, 1]; None means all (passed) or nothing (failed)."""


def passed(message: str = "") -> Verdict:
    return Verdict(True, message)


def failed(message: str, fraction: float | None = None) -> Verdict:
    return Verdict(False, message, fraction)


@dataclass(frozen=True)
class HiddenTest:
    """One hidden test: a probe run in the worker and a verdict computed in the grader."""

    name: str
    step: str
    points: float
    doing: str
    """What the test does, phrased for messages: ``"downloading a file:// URL"``."""
    verdict: Callable[[dict[str, Any], int], Verdict]
    """Called as ``verdict(observations, seed)`` in the grader process."""
    probe: str | None = None
    """Name of the probe in the suite's probes module; None for a static (source) check."""
    params: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 20.0
    static: Callable[[str], Verdict] | None = None
    """For source checks: called with the extracted code instead of running a probe."""
    depends_on: str | None = None
    """A static check scores only once this (dynamic) test passes: a stub earns nothing."""
    diagnose: Callable[[dict[str, Any]], str | None] | None = None
    """Maps an exception raised by learner code to a misconception, when it points to one."""
    worker: str = MAIN
    """Which of the suite's workers runs the probe (assignments that need two frameworks)."""


@dataclass(frozen=True)
class WorkerSpec:
    """One sandboxed worker process of a suite: the probes it imports and what it may not."""

    probes_module: str
    blocked_modules: list[str]
    label: str = "grading"
    """For messages: ``"PyTorch"`` in "the PyTorch process"."""


@dataclass(frozen=True)
class Suite:
    assignment: str
    version: str
    """Bump when tests change: results of another version are not reused."""
    probes_module: str
    blocked_modules: list[str]
    tests: list[HiddenTest]
    more_workers: dict[str, WorkerSpec] = field(default_factory=dict)
    """Further workers, run one after the other after the main one (one framework each)."""
    label: str = "grading"

    @property
    def workers(self) -> dict[str, WorkerSpec]:
        """Every worker by name, in the order they run (the main one first)."""
        main = WorkerSpec(self.probes_module, self.blocked_modules, self.label)
        return {MAIN: main, **self.more_workers}

    @functools.cached_property
    def fingerprint(self) -> str:
        """sha256 of what decides this suite's grades: each test's name, step, points, probe,
        time limit and parameters, and the source of every module that probes or judges (the
        suite's own hidden and probe packages, the shared ones, the reply checks). Any change to
        a test's code or points changes it; the hand-set ``version`` need not be bumped."""
        digest = hashlib.sha256(self.version.encode())
        for test in self.tests:
            facts = (test.name, test.step, test.points, test.doing, test.probe, test.timeout_s)
            facts_more = (test.worker, test.depends_on)
            digest.update(repr((facts, facts_more, test.params)).encode())
        for path in _graded_sources(self):
            digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
        return digest.hexdigest()

    @property
    def record_version(self) -> str:
        """What a result record keeps as its ``suite_version``: the hand-set version and the
        first 12 hex digits of the fingerprint (``pytorch-5+3fa2...``). A record of another one
        is graded again."""
        return f"{self.version}+{self.fingerprint[:12]}"

    def seed_for(self, test: HiddenTest) -> int:
        """Tests that share a probe share its instance (and one run of it)."""
        return self.probe_seed(test.probe or test.name)

    def schema_of(self, worker: str, probe: str) -> Schema | None:
        """The declared form of what ``probe`` of ``worker`` returns (None: none declared)."""
        return probe_schemas(self.workers[worker].probes_module).get(probe)

    def probe_seed(self, key: str) -> int:
        digest = hashlib.sha256(f"{_SEED_SALT}:{self.version}:{key}".encode()).digest()
        return int.from_bytes(digest[:4], "big")


_PACKAGE = Path(__file__).resolve().parents[1]  # autograder/


def _graded_sources(suite: Suite) -> list[Path]:
    """The source files whose code decides ``suite``'s grades, in a fixed order: its suite
    module and its workers' probe modules, and every ``autograder`` module they import, directly
    or not (read, never imported: the names of the imports are enough)."""
    todo = [f"autograder.hidden.{suite.assignment}.suite"]
    todo += [spec.probes_module for spec in suite.workers.values()]
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        seen[name] = path
        todo += _imported(path, name)
    return sorted(set(seen.values()))


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] != "autograder":
        return None
    base = _PACKAGE.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported(path: Path, name: str) -> list[str]:
    """The ``autograder`` modules ``path`` (module ``name``) imports, with ``from a import b``
    read as module ``a.b`` too (it may be one)."""
    import ast

    found: list[str] = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*anchor, module] if module else anchor)
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names]
    return [m for m in found if m.startswith("autograder")]


def brief_exception(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` of ``exc``, clipped; never raises (even when ``str(exc)`` would)."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - an exception whose message cannot be made
        text = "(no readable message)"
    return f"{type(exc).__name__}: {text[:limit]}"


def result_for(test: HiddenTest, status: str, message: str, fraction: float = 0.0) -> TestResult:
    """The result of ``test`` with this status and message, scoring ``fraction`` of its points."""
    return TestResult(
        name=test.name,
        step=test.step,
        score=round(test.points * fraction, 4),
        max_score=test.points,
        status=status,
        message=message,
    )


def describe_learner_error(test: HiddenTest, info: dict[str, Any], where: str = "") -> TestResult:
    """A result for a learner function that was missing, not implemented, or raised."""
    fn = info.get("function", "?")
    kind = info.get("kind")
    if kind == "missing":
        return result_for(
            test,
            "error",
            f"`{fn}` is not defined in your submission (while {test.doing}); check its name and "
            "that its cell is part of the notebook",
        )
    if kind == "not_implemented":
        return result_for(
            test, "failed", f"`{fn}` is not implemented yet (it raises NotImplementedError)"
        )
    location = f" at {where}" if where else ""
    if kind == "exit":
        return result_for(
            test,
            "error",
            f"`{fn}` called exit(){location} while {test.doing}; a function should return or raise",
        )
    detail = f"{info.get('type')}: {info.get('message')}".strip()
    hint = _diagnosis(test, info) or _known_error(str(info.get("message", "")))
    if info.get("type") == "ModuleNotFoundError" and "None in sys.modules" in str(
        info.get("message")
    ):
        hint = "it imports a framework that is not available while grading this assignment"
    message = f"`{fn}` raised {detail}{location} while {test.doing}"
    if hint:
        message += f". Likely cause: {hint}"
    return result_for(test, "error", message)


_KNOWN_ERRORS = (
    (
        "does not require grad and does not have a grad_fn",
        "the loss was computed from a tensor cut off the autograd graph (.detach(), .data, or "
        "a value taken out with .item() / .numpy() and made a tensor again, or the forward pass "
        "under torch.no_grad()), so backward() has nothing to differentiate",
    ),
)
"""Framework errors whose misconception is the same in every test (a test's own ``diagnose``
comes first)."""


def _known_error(message: str) -> str | None:
    return next((cause for text, cause in _KNOWN_ERRORS if text in message), None)


def _diagnosis(test: HiddenTest, info: dict[str, Any]) -> str | None:
    """The misconception ``test.diagnose`` reads in a learner error; None when it raises."""
    if test.diagnose is None:
        return None
    try:
        return test.diagnose(info)
    except Exception:  # noqa: BLE001 - a hint is not worth a submission's result
        LOG.error("the diagnosis of %s raised on a learner error", test.name, exc_info=True)
        return None


def judge(
    test: HiddenTest,
    reply: dict[str, Any],
    seed: int,
    where: Callable[[int | None], str] = lambda _: "",
    *,
    schema_of: SchemaLookup,
) -> TestResult:
    """Turn a worker reply into a TestResult; the only place observations meet verdicts.

    The reply is checked first (``replies.reply_misfit``: frame, observation against the probe's
    declared schema): one that does not fit is an error result, and no verdict
    or message below reads a value that was not checked."""
    misfit = reply_misfit(reply, test.worker, test.probe, schema_of)
    if misfit is not None:
        LOG.warning("malformed reply for %s (probe %s): %s", test.name, test.probe, misfit)
        return result_for(
            test,
            "error",
            "the grading process returned an observation that does not have the documented "
            f"form: {misfit}; if your code changes the grader's probes or writes to its channel, "
            "such results are not graded",
        )
    status = reply.get("status")
    elapsed = float(reply.get("elapsed_s", 0.0) or 0.0)
    if status == "timeout" or "SIGXCPU" in str(reply.get("detail", "")):
        result = result_for(
            test,
            "timeout",
            f"did not finish within {test.timeout_s:.0f} s while {test.doing}: an endless loop, "
            "or far more work than the task needs?",
        )
    elif status == "tampered":
        result = result_for(
            test,
            "error",
            f"while {test.doing}, your code replaced functions of the grader, the frameworks or "
            f"Python itself ({reply.get('detail', '')}); a test whose observations were tampered "
            "with earns nothing",
        )
    elif status != "ok":
        result = result_for(
            test,
            "error",
            f"the process running your code stopped while {test.doing}: "
            f"{reply.get('detail', 'no detail')}",
        )
    else:
        obs = reply["obs"]
        if "learner_error" in obs:
            info = obs["learner_error"]
            result = describe_learner_error(test, info, where(info.get("line")))
        else:
            result = apply_verdict(test, obs, seed)
    result.elapsed_s = round(elapsed, 4)
    return result


def apply_verdict(test: HiddenTest, obs: dict[str, Any], seed: int) -> TestResult:
    """Run the verdict on a checked observation. Whatever it raises is this test's error (and a
    log entry with the traceback for the grader's developers), never the submission's end."""
    try:
        verdict = test.verdict(obs, seed)
    except Exception as exc:  # noqa: BLE001 - a verdict's bug must not end the batch
        LOG.error("the verdict of %s raised on an observation", test.name, exc_info=True)
        return result_for(
            test,
            "error",
            f"the grader could not judge this observation while {test.doing} "
            f"({brief_exception(exc)}); please report it",
        )
    if verdict.passed:
        return result_for(test, "passed", verdict.message, 1.0)
    return result_for(test, "failed", verdict.message, verdict.fraction or 0.0)
