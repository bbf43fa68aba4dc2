"""The one results model every output (JSON, tables, later Gradescope/CSV/HTML) is made from."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("passed", "failed", "error", "timeout")


@dataclass
class TestResult:
    """The outcome of one hidden test."""

    __test__ = False  # not a pytest test class

    name: str
    step: str
    score: float
    max_score: float
    status: str
    """One of ``passed``, ``failed``, ``error``, ``timeout``."""
    message: str = ""
    """Teaching feedback: the misconception and the observed symptom, never the solution."""
    elapsed_s: float = 0.0


@dataclass
class StepScore:
    score: float = 0.0
    max_score: float = 0.0


@dataclass
class SubmissionResult:
    """Everything known about one graded submission."""

    submission: str
    assignment: str
    tests: list[TestResult] = field(default_factory=list)
    elapsed_s: float = 0.0
    error: str = ""
    """Set when the submission as a whole could not be graded (unreadable file, ...)."""
    notes: list[str] = field(default_factory=list)
    suite_version: str = ""
    content_sha256: str = ""
    peak_rss_mb: float = 0.0
    sandbox: str = ""
    """Which isolation the worker got: namespaces granted (``mount, net, pid``) or ``basic``."""
    learner: str = ""
    """Who handed it in (``autograder.learners``: roster id, LMS name, folder or file name)."""
    submitted_at: str = ""
    """When it was handed in (ISO 8601, UTC): nbgrader's timestamp, else the file's time."""

    @property
    def score(self) -> float:
        return round(float(sum(t.score for t in self.tests)), 4)

    @property
    def max_score(self) -> float:
        return round(float(sum(t.max_score for t in self.tests)), 4)

    @property
    def steps(self) -> dict[str, StepScore]:
        steps: dict[str, StepScore] = {}
        for t in self.tests:
            step = steps.setdefault(t.step, StepScore())
            step.score = round(step.score + t.score, 4)
            step.max_score = round(float(step.max_score + t.max_score), 4)
        return steps

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission": self.submission,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "steps": {name: asdict(s) for name, s in self.steps.items()},
            "tests": [asdict(t) for t in self.tests],
            "elapsed_s": round(self.elapsed_s, 3),
            "error": self.error,
            "notes": self.notes,
            "suite_version": self.suite_version,
            "content_sha256": self.content_sha256,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "sandbox": self.sandbox,
            "learner": self.learner,
            "submitted_at": self.submitted_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        tests = [TestResult(**t) for t in data.get("tests", [])]
        keep = {
            k: data[k]
            for k in (
                "error",
                "notes",
                "suite_version",
                "content_sha256",
                "peak_rss_mb",
                "elapsed_s",
                "sandbox",
                "learner",
                "submitted_at",
            )
            if k in data
        }
        return cls(
            submission=data["submission"], assignment=data["assignment"], tests=tests, **keep
        )


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write JSON so that readers see the old file or the complete new one, never half of it."""
    return write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write text so that readers see the old file or the complete new one, never half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would create it, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def write_result(result: SubmissionResult, out_dir: str | Path, stem: str) -> Path:
    """``out_dir/<stem>.json``, atomically, signed (``autograder.records``) so that a rerun can
    tell this grader's records from planted ones."""
    from autograder.records import sign

    return write_json_atomic(Path(out_dir) / f"{stem}.json", sign(result.to_dict()))
