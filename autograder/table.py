"""Terminal tables: a class overview (submission x step) and one submission's tests."""

from __future__ import annotations

from autograder.assignments import ALL_STEPS
from autograder.results import SubmissionResult


def _fmt(value: float) -> str:
    return f"{value:g}"


def class_table(results: list[SubmissionResult]) -> str:
    """One row per submission: points per step and the total."""
    steps = [s for s in ALL_STEPS if any(s in r.steps for r in results)]
    name_width = max([len("submission")] + [len(r.submission) for r in results])
    header = f"{'submission':<{name_width}}  " + "  ".join(f"{s:>8}" for s in steps) + "     total"
    lines = [header, "-" * len(header)]
    for r in results:
        cells = []
        for step in steps:
            score = r.steps.get(step)
            cells.append(f"{_fmt(score.score) + '/' + _fmt(score.max_score) if score else '-':>8}")
        total = f"{_fmt(r.score)}/{_fmt(r.max_score)}"
        flag = "  (!)" if r.error else ""
        lines.append(f"{r.submission:<{name_width}}  " + "  ".join(cells) + f"  {total:>8}{flag}")
    return "\n".join(lines)


def detail_table(result: SubmissionResult, failures_only: bool = True) -> str:
    """The tests of one submission, with their messages."""
    lines = [f"{result.submission}: {_fmt(result.score)}/{_fmt(result.max_score)}"]
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
