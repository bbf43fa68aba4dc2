"""Grade one submission end to end: read -> extract -> worker (probes) -> verdicts -> result."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.extract import Extracted, extract
from autograder.hidden.base import (
    LOG,
    HiddenTest,
    Suite,
    WorkerSpec,
    brief_exception,
    judge,
    result_for,
)
from autograder.pool import WarmPool
from autograder.reader import SubmissionReadError, parse_submission, read_bytes, read_submission
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
    worker is forked from a warm parent that has the framework imported already. Anything that
    goes wrong while grading it (a bug of the grader, a reply nothing foresaw) becomes this
    submission's error record; only a :class:`GraderInternalError` (the grader cannot run at all,
    whatever the submission) propagates.
    """
    path = Path(path)
    started = time.monotonic()
    suite = get_suite(assignment)
    result = SubmissionResult(
        submission=path.name, assignment=assignment, suite_version=suite.record_version
    )
    try:
        _grade(path, suite, result, started, limits or Limits(), private_dirs, pool)
    except GraderInternalError:
        raise
    except Exception as exc:  # noqa: BLE001 - one submission's failure must not end the batch
        LOG.error("grading %s failed", path.name, exc_info=True)
        message = (
            f"the grader failed on this submission ({brief_exception(exc, 300)}); please report it"
        )
        result.error = message
        result.tests = [result_for(t, "error", f"not graded: {message}") for t in suite.tests]
    result.elapsed_s = time.monotonic() - started
    return result


def _grade(
    path: Path,
    suite: Suite,
    result: SubmissionResult,
    started: float,
    limits: Limits,
    private_dirs: list[Path] | None,
    pool: WarmPool | None,
) -> None:
    """Read, extract and run ``suite`` on ``path``, filling in ``result``."""
    try:
        raw = read_bytes(path)  # read once: the bytes hashed are the bytes graded
        result.content_sha256 = hashlib.sha256(raw).hexdigest()
        submission = parse_submission(path, raw)
    except (OSError, SubmissionReadError) as exc:
        message = (
            str(exc) if isinstance(exc, SubmissionReadError) else f"cannot read {path.name}: {exc}"
        )
        result.error = message
        result.tests = [result_for(t, "error", f"not graded: {message}") for t in suite.tests]
        return
    if submission.assignment and submission.assignment != result.assignment:
        result.notes.append(
            f"the notebook says it is for assignment {submission.assignment!r}; "
            f"graded as {result.assignment!r}"
        )
    extracted = extract(submission)
    result.notes.extend(extracted.notes)
    private = [path.absolute().parent, *(private_dirs or [])]  # the place given, not a target
    result.tests = _run_suite(suite, extracted, limits, result, started, private, pool)


@dataclass
class _Job:
    """One test's probe to run in a worker."""

    probe: str
    seed: int
    timeout_s: float
    test: HiddenTest
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Grading:
    """One submission's grading run: what every worker needs, and what they have found so far."""

    suite: Suite
    extracted: Extracted
    limits: Limits
    result: SubmissionResult
    started: float
    private: list[Path]
    pool: WarmPool | None
    replies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """Worker replies by ``(worker, probe)``: tests sharing a probe share one run of it."""
    by_name: dict[str, TestResult] = field(default_factory=dict)
    """Results settled without a verdict (load failures, deaths, time up)."""

    def settle(self, jobs: list[_Job], side: str, status: str, message: str) -> None:
        """Jobs that will not run: their tests get ``message`` as their result."""
        for job in jobs:
            self.by_name[job.test.name] = result_for(job.test, status, message)


def _run_suite(
    suite: Suite,
    extracted: Extracted,
    limits: Limits,
    result: SubmissionResult,
    started: float,
    private: list[Path],
    pool: WarmPool | None,
) -> list[TestResult]:
    """Run every worker of the suite in turn (one framework each), then judge every test."""
    run = _Grading(suite, extracted, limits, result, started, private, pool)
    for side, spec in suite.workers.items():
        jobs = _jobs(run, side)
        if jobs:
            _run_worker(run, side, spec, jobs)
    by_name = run.by_name
    for test in suite.tests:
        if test.name in by_name:
            continue
        if test.static is not None:
            by_name[test.name] = _run_static(suite, test, extracted, by_name)
            continue
        reply = run.replies[(test.worker, str(test.probe))]
        by_name[test.name] = judge(
            test, reply, suite.seed_for(test), extracted.where, schema_of=suite.schema_of
        )
    return [by_name[t.name] for t in suite.tests]


def _jobs(run: _Grading, side: str) -> list[_Job]:
    """What ``side``'s worker runs: its tests' probes, in test order."""
    suite = run.suite
    jobs: list[_Job] = []
    for test in suite.tests:
        if test.static is not None or test.worker != side:
            continue
        seed = suite.seed_for(test)
        timeout = test.timeout_s * run.limits.probe_time_factor
        jobs.append(_Job(str(test.probe), seed, timeout, test, dict(test.params)))
    return jobs


def _run_worker(run: _Grading, side: str, spec: WorkerSpec, jobs: list[_Job]) -> None:
    """Run ``jobs`` in one worker, restarted when a test kills it."""
    extracted, result = run.extracted, run.result
    pending = list(jobs)
    restarts = 0
    while pending:
        try:
            worker, loaded = _start_worker(spec, run)
        except WorkerDied as exc:
            run.settle(pending, side, exc.status, f"your code could not be loaded: {exc.reason}")
            return
        try:
            if not loaded.get("ok"):
                error = loaded.get("error") or {}
                where = extracted.where(error.get("line"))
                note = (
                    f"running your definitions raised {error.get('type')}: {error.get('message')}"
                    + (f" at {where}" if where else "")
                    + (f" (in the {spec.label} process)" if len(run.suite.workers) > 1 else "")
                )
                if note not in result.notes:
                    result.notes.append(note)
            result.sandbox = ", ".join(sorted(worker.isolation)) or "basic"
            if loaded.get("tampered"):
                message = (
                    "your code replaces functions of the grader, the frameworks or Python itself "
                    f"when it is loaded ({', '.join(loaded['tampered'][:4])}); "
                    "such code is not graded"
                )
                run.settle(pending, side, "error", message)
                pending = []
            pending = _run_pending(run, worker, side, pending)
        except WorkerDied as exc:
            job = pending.pop(0)
            run.settle([job], side, exc.status, f"while {job.test.doing}: {exc.reason}")
            restarts += 1
            if restarts > MAX_WORKER_RESTARTS:
                message = "not run: the grading process kept dying on earlier tests"
                run.settle(pending, side, "error", message)
                pending = []
        finally:
            result.peak_rss_mb = max(result.peak_rss_mb, worker.peak_rss_mb)
            worker.close()


def _start_worker(spec: WorkerSpec, run: _Grading) -> tuple[Worker, dict[str, Any]]:
    """A worker with the learner's code loaded: forked from the pool's zygote, or started afresh
    when there is no pool or the zygote cannot fork one (the batch goes on; the record says so)."""
    extracted, limits, private, pool, result = (
        run.extracted, run.limits, run.private, run.pool, run.result,
    )  # fmt: skip
    zygote = None
    if pool is not None:
        try:
            zygote = pool.zygote(spec.probes_module, spec.blocked_modules)
        except GraderInternalError as exc:
            result.notes.append(f"the warm worker could not start ({exc}); graded with a fresh one")
    worker = Worker(spec.probes_module, spec.blocked_modules, limits, private, zygote)
    try:
        return worker, worker.start(extracted.code)
    except GraderInternalError as exc:
        worker.close()
        if zygote is None:
            raise
        result.notes.append(f"the warm worker failed ({exc}); graded with a fresh one")
        worker = Worker(spec.probes_module, spec.blocked_modules, limits, private)
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
    reply = {"status": "ok", "obs": {"code": extracted.code}}
    return judge(test, reply, suite.seed_for(test), schema_of=suite.schema_of)


def _run_pending(run: _Grading, worker: Worker, side: str, pending: list[_Job]) -> list[_Job]:
    """Run jobs in order until done; a WorkerDied propagates with ``pending[0]`` as the victim."""
    timeout = run.limits.submission_timeout_s
    while pending:
        job = pending[0]
        if time.monotonic() - run.started > timeout:
            run.settle(
                pending, side, "timeout", f"not run: the submission used up its {timeout:.0f} s"
            )
            return []
        key = (side, job.probe)
        if key not in run.replies:
            run.replies[key] = worker.probe(job.probe, job.seed, job.params, job.timeout_s)
        pending.pop(0)
    return pending
