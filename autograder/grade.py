"""Grade one submission end to end: read -> extract -> worker (probes) -> verdicts -> result."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from autograder.extract import Extracted, extract
from autograder.hidden.base import HiddenTest, Suite, judge, result_for
from autograder.pool import WarmPool
from autograder.reader import SubmissionReadError, read_submission
from autograder.results import SubmissionResult, TestResult
from autograder.sandbox import GraderInternalError, Limits, Worker, WorkerDied
from autograder.suites import get_suite

MAX_WORKER_RESTARTS = 3


def resolve_assignment(path: Path, requested: str | None) -> str | None:
    """The assignment to grade ``path`` against: the one asked for, else the notebook's metadata."""
    if requested:
        return requested
    try:
        return read_submission(path).assignment
    except SubmissionReadError:
        return None


def grade_file(
    path: str | Path,
    assignment: str,
    limits: Limits | None = None,
    private_dirs: list[Path] | None = None,
    pool: WarmPool | None = None,
) -> SubmissionResult:
    """Grade one file. Never raises for problems of the submission: they become the result.

    ``private_dirs`` (e.g. the results directory) are hidden from the worker, as is the
    directory the submission lives in (other learners' submissions). With a ``pool``, the
    worker is forked from a warm parent that has the framework imported already.
    """
    path = Path(path)
    limits = limits or Limits()
    started = time.monotonic()
    suite = get_suite(assignment)
    result = SubmissionResult(
        submission=path.name, assignment=assignment, suite_version=suite.version
    )
    try:
        result.content_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        submission = read_submission(path)
    except (OSError, SubmissionReadError) as exc:
        message = (
            str(exc) if isinstance(exc, SubmissionReadError) else f"cannot read {path.name}: {exc}"
        )
        result.error = message
        result.tests = [result_for(t, "error", f"not graded: {message}") for t in suite.tests]
        result.elapsed_s = time.monotonic() - started
        return result
    if submission.assignment and submission.assignment != assignment:
        result.notes.append(
            f"the notebook says it is for assignment {submission.assignment!r}; "
            f"graded as {assignment!r}"
        )
    extracted = extract(submission)
    result.notes.extend(extracted.notes)
    private = [path.resolve().parent, *(private_dirs or [])]
    result.tests = _run_suite(suite, extracted, limits, result, started, private, pool)
    result.elapsed_s = time.monotonic() - started
    return result


def _run_suite(
    suite: Suite,
    extracted: Extracted,
    limits: Limits,
    result: SubmissionResult,
    started: float,
    private: list[Path],
    pool: WarmPool | None,
) -> list[TestResult]:
    by_name: dict[str, TestResult] = {}
    dynamic = [t for t in suite.tests if t.static is None]
    replies: dict[str, dict[str, Any]] = {}
    pending = list(dynamic)
    restarts = 0
    while pending:
        try:
            worker, loaded = _start_worker(suite, extracted, limits, private, pool, result)
        except WorkerDied as exc:
            message = f"your code could not be loaded: {exc.reason}"
            for test in pending:
                by_name[test.name] = result_for(test, exc.status, message)
            break
        try:
            if not loaded.get("ok"):
                error = loaded.get("error") or {}
                where = extracted.where(error.get("line"))
                note = (
                    f"running your definitions raised {error.get('type')}: {error.get('message')}"
                    + (f" at {where}" if where else "")
                )
                result.notes.append(note)
            result.sandbox = ", ".join(sorted(worker.isolation)) or "basic"
            if loaded.get("tampered"):
                message = (
                    "your code replaces functions of the grader, the frameworks or Python itself "
                    f"when it is loaded ({', '.join(loaded['tampered'][:4])}); "
                    "such code is not graded"
                )
                for test in pending:
                    by_name[test.name] = result_for(test, "error", message)
                pending = []
            pending = _run_pending(
                suite, worker, pending, replies, by_name, extracted, limits, started
            )
        except WorkerDied as exc:
            test = pending.pop(0)
            by_name[test.name] = result_for(test, exc.status, f"while {test.doing}: {exc.reason}")
            restarts += 1
            if restarts > MAX_WORKER_RESTARTS:
                for rest in pending:
                    by_name[rest.name] = result_for(
                        rest, "error", "not run: the grading process kept dying on earlier tests"
                    )
                pending = []
        finally:
            result.peak_rss_mb = max(result.peak_rss_mb, worker.peak_rss_mb)
            worker.close()
    for test in suite.tests:
        if test.static is not None:
            by_name[test.name] = _run_static(suite, test, extracted, by_name)
    return [by_name[t.name] for t in suite.tests]


def _start_worker(
    suite: Suite,
    extracted: Extracted,
    limits: Limits,
    private: list[Path],
    pool: WarmPool | None,
    result: SubmissionResult,
) -> tuple[Worker, dict[str, Any]]:
    """A worker with the learner's code loaded: forked from the pool's zygote, or started afresh
    when there is no pool or the zygote cannot fork one (the batch goes on; the record says so)."""
    zygote = None
    if pool is not None:
        try:
            zygote = pool.zygote(suite.probes_module, suite.blocked_modules)
        except GraderInternalError as exc:
            result.notes.append(f"the warm worker could not start ({exc}); graded with a fresh one")
    worker = Worker(suite.probes_module, suite.blocked_modules, limits, private, zygote)
    try:
        return worker, worker.start(extracted.code)
    except GraderInternalError as exc:
        worker.close()
        if zygote is None:
            raise
        result.notes.append(f"the warm worker failed ({exc}); graded with a fresh one")
        worker = Worker(suite.probes_module, suite.blocked_modules, limits, private)
        try:
            return worker, worker.start(extracted.code)
        except BaseException:
            worker.close()
            raise
    except WorkerDied:
        tail = worker.output_tail(600).strip()
        worker.close()
        if tail:
            result.notes.append(f"the grading process printed, before it stopped: ...{tail}")
        raise


def _run_static(
    suite: Suite, test: HiddenTest, extracted: Extracted, by_name: dict[str, TestResult]
) -> TestResult:
    """A source check, scored only once the test it depends on passed."""
    dependency = by_name.get(test.depends_on or "")
    if test.depends_on and (dependency is None or dependency.status != "passed"):
        return result_for(test, "failed", f"not checked until {test.depends_on} passes")
    return judge(test, {"status": "ok", "obs": {"code": extracted.code}}, suite.seed_for(test))


def _run_pending(
    suite: Suite,
    worker: Worker,
    pending: list[HiddenTest],
    replies: dict[str, dict[str, Any]],
    by_name: dict[str, TestResult],
    extracted: Extracted,
    limits: Limits,
    started: float,
) -> list[HiddenTest]:
    """Run tests in order until done; a WorkerDied propagates with ``pending[0]`` as the victim."""
    while pending:
        test = pending[0]
        seed = suite.seed_for(test)
        if time.monotonic() - started > limits.submission_timeout_s:
            for rest in pending:
                by_name[rest.name] = result_for(
                    rest,
                    "timeout",
                    f"not run: the submission used up its {limits.submission_timeout_s:.0f} s",
                )
            return []
        assert test.probe is not None
        if test.probe not in replies:
            replies[test.probe] = worker.probe(test.probe, seed, dict(test.params), test.timeout_s)
        by_name[test.name] = judge(test, replies[test.probe], seed, extracted.where)
        pending.pop(0)
    return pending
