"""One self-contained HTML page per submission: per step, which checks passed, and for each
failure the teaching message and a hint. Built from the result record only, so it cannot show
hidden test code or expected values beyond what the record's messages say to the learner."""

from __future__ import annotations

from pathlib import Path

from autograder.assignments import ALL_STEPS
from autograder.reports.page import esc, page
from autograder.results import SubmissionResult, write_text_atomic
from course_utils.hints import HINTS

_STATUS = {"failed": "not yet", "error": "error", "timeout": "too slow"}


def _hint(assignment: str, step: str) -> str:
    hints = HINTS.get(assignment, {}).get(step) or []
    return hints[0] if hints else ""


def feedback_html(learner: str, result: SubmissionResult) -> str:
    parts = [
        f"<h1>Feedback: {esc(result.assignment)}</h1>",
        f"<p class='muted'>{esc(learner)} · {esc(result.submission)}</p>",
        f"<p class='score'>{result.score:g} / {result.max_score:g}</p>",
    ]
    if result.error:  # one explanation, not the same error under every test with hints
        parts.append(f"<p class='problem'>Your file could not be graded: {esc(result.error)}</p>")
        parts.extend(f"<p class='problem'>Note: {esc(note)}</p>" for note in result.notes)
        return page(f"Feedback: {result.assignment} ({learner})", "".join(parts))
    for note in result.notes:
        parts.append(f"<p class='problem'>Note: {esc(note)}</p>")
    steps = result.steps
    for step in [s for s in ALL_STEPS if s in steps]:
        tests = [t for t in result.tests if t.step == step]
        passed = [t for t in tests if t.status == "passed"]
        failed = [t for t in tests if t.status != "passed"]
        mark = "pass" if not failed else "fail"
        parts.append(
            f"<section class='step'><h2><span>{esc(step)}</span>"
            f"<span class='{mark}'>{steps[step].score:g} / {steps[step].max_score:g}</span></h2>"
            f"<p class='muted'>{len(passed)} of {len(tests)} checks pass</p>"
        )
        if failed:
            items = "".join(
                f"<li><b class='fail'>{esc(_STATUS.get(t.status, t.status))}</b> "
                f"({t.score:g}/{t.max_score:g}): {esc(t.message)}</li>"
                for t in failed
            )
            hint = _hint(result.assignment, step)
            parts.append(f"<ul>{items}</ul>")
            if hint:
                parts.append(f"<p class='hint'>Hint: {esc(hint)}</p>")
        parts.append("</section>")
    return page(f"Feedback: {result.assignment} ({learner})", "".join(parts))


def write_feedback(results: dict[str, SubmissionResult], out: str | Path) -> list[Path]:
    out = Path(out)
    return [
        write_text_atomic(out / f"{learner}.html", feedback_html(learner, result))
        for learner, result in sorted(results.items())
    ]
