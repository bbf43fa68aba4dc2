"""Manual scores an instructor records for a test or a step, kept beside the results
(``<results>/overrides.csv``) so that regrading, which rewrites the records, never loses them.

An override of a test sets that test's points (within 0 and its maximum); an override of a
step sets the step's points, shown as an adjustment row of the step. Every report (gradebook,
feedback pages, analytics) reads the records through :func:`apply`, so an override shows
everywhere with its comment, and :func:`listed` says which ones exist.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.results import SubmissionResult, TestResult, write_text_atomic
from course_utils.errors import CourseError

FILE = "overrides.csv"
COLUMNS = ("learner", "assignment", "kind", "target", "points", "comment", "recorded_at")


class OverrideError(CourseError, ValueError):
    """An override that cannot be recorded or read."""


@dataclass(frozen=True)
class Override:
    learner: str
    assignment: str
    kind: str
    """``test`` or ``step``."""
    target: str
    points: float
    comment: str
    recorded_at: str = ""


def path_in(results: str | Path) -> Path:
    return Path(results) / FILE


def read(results: str | Path) -> list[Override]:
    """The overrides of a results directory (none when it has no overrides file)."""
    path = path_in(results)
    if not path.is_file():
        return []
    try:
        rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OverrideError(f"{path}: cannot be read ({exc})") from None
    found = []
    for number, row in enumerate(rows, start=2):
        try:
            found.append(
                Override(
                    row["learner"], row["assignment"], row["kind"], row["target"],
                    float(row["points"]), row.get("comment") or "", row.get("recorded_at") or "",
                )
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise OverrideError(f"{path}, line {number}: not an override ({exc})") from None
    return found


def record(results: str | Path, override: Override) -> Override:
    """Add ``override`` (replacing an earlier one of the same learner, assignment and target)
    after checking it against that learner's record; the file is rewritten atomically."""
    from autograder.reports.collect import collect

    if override.kind not in ("test", "step"):
        raise OverrideError(f"expected an override of a test or a step, got {override.kind!r}")
    if not override.comment.strip():
        raise OverrideError("an override needs a comment saying why (it shows in the feedback)")
    records = [  # the learner as apply() reads it: the record's, else its file's name
        r
        for key, r in collect(results, with_overrides=False).results.items()
        if (r.learner or key) == override.learner and r.assignment == override.assignment
    ]
    if not records:
        raise OverrideError(
            f"no {override.assignment} record of learner {override.learner!r} in {results}: "
            "grade it first (the learner id is the record's 'learner')"
        )
    names = {t.name for t in records[0].tests} if override.kind == "test" else set(records[0].steps)
    if override.target not in names:
        raise OverrideError(
            f"{override.assignment} has no {override.kind} {override.target!r}; expected one of "
            + ", ".join(sorted(names))
        )
    stamped = replace(
        override, recorded_at=override.recorded_at or time.strftime("%Y-%m-%dT%H:%M:%S%z")
    )
    kept = [
        o
        for o in read(results)
        if (o.learner, o.assignment, o.kind, o.target)
        != (stamped.learner, stamped.assignment, stamped.kind, stamped.target)
    ]
    _write(results, [*kept, stamped])
    return stamped


def _write(results: str | Path, overrides: list[Override]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for o in overrides:
        writer.writerow(
            [o.learner, o.assignment, o.kind, o.target, f"{o.points:g}", o.comment, o.recorded_at]
        )
    write_text_atomic(path_in(results), text.getvalue())


def apply(result: SubmissionResult, overrides: list[Override], learner: str) -> SubmissionResult:
    """``result`` with the overrides of ``learner`` (and its assignment) applied: a test's
    points replaced, a step's points set through an adjustment row; each with a note."""
    mine = [o for o in overrides if o.learner == learner and o.assignment == result.assignment]
    if not mine:
        return result
    tests = list(result.tests)
    notes = list(result.notes)
    for o in (o for o in mine if o.kind == "test"):
        for i, t in enumerate(tests):
            if t.name == o.target:
                points = min(max(o.points, 0.0), float(t.max_score))
                tests[i] = replace(
                    t,
                    score=points,
                    status="passed" if points == t.max_score else "overridden",
                    message=f"{t.message} [overridden by the instructor: {t.score:g} -> "
                    f"{points:g}: {o.comment}]".strip(),
                )
                notes.append(f"override: {o.target} {t.score:g} -> {points:g} ({o.comment})")
    for o in (o for o in mine if o.kind == "step"):
        step_tests = [t for t in tests if t.step == o.target]
        if not step_tests:
            continue
        got = sum(t.score for t in step_tests)
        most = sum(float(t.max_score) for t in step_tests)
        points = min(max(o.points, 0.0), most)
        tests.append(
            TestResult(
                f"override:{o.target}", o.target, round(points - got, 4), 0, "overridden",
                f"the instructor set this step to {points:g}/{most:g}: {o.comment}",
            )
        )  # fmt: skip
        notes.append(f"override: step {o.target} {got:g} -> {points:g} ({o.comment})")
    return replace(result, tests=tests, notes=notes)


def listed(results: str | Path) -> str:
    """The overrides of a results directory, one per line (for ``dlcourse override --list``)."""
    rows = read(results)
    if not rows:
        return f"no overrides in {path_in(results)}"
    return "\n".join(
        f"{o.learner} {o.assignment} {o.kind} {o.target} = {o.points:g}: {o.comment} "
        f"({o.recorded_at})"
        for o in rows
    )
