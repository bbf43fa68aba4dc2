"""Terminal tables: a class overview (submission x step) and one submission's tests."""

from __future__ import annotations

from pathlib import Path

from autograder.assignments import ALL_STEPS
from autograder.results import SubmissionResult


def _fmt(value: float) -> str:
    return f"{value:g}"


def class_table(results: list[SubmissionResult]) -> str:
    """One row per submission: points per step and the total; rows are named after the
    learners where they are not just the files' names."""
    steps = [s for s in ALL_STEPS if any(s in r.steps for r in results)]
    by_learner = any(r.learner and r.learner != Path(r.submission).stem for r in results)
    title = "learner" if by_learner else "submission"
    names = [(r.learner or r.submission) if by_learner else r.submission for r in results]
    name_width = max([len(title)] + [len(n) for n in names])
    header = f"{title:<{name_width}}  " + "  ".join(f"{s:>8}" for s in steps) + "     total"
    lines = [header, "-" * len(header)]
    for r, name in zip(results, names, strict=True):
        cells = []
        for step in steps:
            score = r.steps.get(step)
            cells.append(f"{_fmt(score.score) + '/' + _fmt(score.max_score) if score else '-':>8}")
        total = f"{_fmt(r.score)}/{_fmt(r.max_score)}"
        flag = "  (!)" if r.error else ""
        lines.append(f"{name:<{name_width}}  " + "  ".join(cells) + f"  {total:>8}{flag}")
    return "\n".join(lines)


def detail_table(result: SubmissionResult, failures_only: bool = True) -> str:
    """The tests of one submission, with their messages."""
    named = result.learner and result.learner != Path(result.submission).stem
    who = f"{result.learner} ({result.submission})" if named else result.submission
    lines = [f"{who}: {_fmt(result.score)}/{_fmt(result.max_score)}"]
    if result.error:
        lines.append(f"  error: {result.error}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    for t in result.tests:
        if failures_only and t.status == "passed":
            continue
        lines.append(
            f"  [{t.status:>7}] {t.step}/{t.name} "
            f"({_fmt(t.score)}/{_fmt(t.max_score)}): {t.message}"
        )
    return "\n".join(lines)
