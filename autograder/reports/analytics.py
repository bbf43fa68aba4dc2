"""The instructor's class report: score histogram, per-step pass rates, and the most frequent
misconceptions (which hidden tests failed, how often, with a typical message), as one HTML page
with the plots embedded as PNG data URIs (matplotlib, Agg)."""

from __future__ import annotations

import base64
import io
from collections import Counter
from pathlib import Path

from autograder.assignments import ALL_STEPS
from autograder.reports.page import esc, page
from autograder.results import SubmissionResult, write_text_atomic


def _png(fig) -> str:  # noqa: ANN001 - a matplotlib Figure
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f"<img alt='plot' src='data:image/png;base64,{data}'>"


def summary(results: dict[str, SubmissionResult]) -> dict:
    graded = [r for r in results.values() if not r.error]
    steps = [s for s in ALL_STEPS if any(s in r.steps for r in graded)]
    step_rates = {
        s: sum(r.steps[s].score == r.steps[s].max_score for r in graded if s in r.steps)
        / max(1, sum(s in r.steps for r in graded))
        for s in steps
    }
    misses: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    stubs = 0
    for r in graded:
        if r.score == 0:
            stubs += 1  # nothing written yet: not a misconception
            continue
        for t in r.tests:
            if t.status != "passed":
                misses[(t.step, t.name)] += 1
                example.setdefault((t.step, t.name), t.message)
    return {
        "count": len(results),
        "graded": len(graded),
        "unreadable": len(results) - len(graded),
        "empty": stubs,
        "scores": [r.score / r.max_score * 100 for r in graded if r.max_score],
        "step_rates": step_rates,
        "misconceptions": [
            {"step": k[0], "test": k[1], "count": n, "example": example[k]}
            for k, n in misses.most_common()
        ],
    }


def analytics_html(results: dict[str, SubmissionResult], title: str, top: int = 12) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = summary(results)
    parts = [
        f"<h1>{esc(title)}</h1>",
        f"<p class='muted'>{data['count']} submissions · {data['graded']} graded · "
        f"{data['unreadable']} unreadable · {data['empty']} with no points (not yet started)</p>",
    ]
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.hist(data["scores"], bins=[i * 10 for i in range(11)], color="#0969da", edgecolor="white")
    ax.set(xlabel="score (% of the maximum)", ylabel="submissions", title="scores")
    parts += ["<h2>Scores</h2>", _png(fig)]
    rates = data["step_rates"]
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.bar(list(rates), [v * 100 for v in rates.values()], color="#1a7f37")
    ax.set(ylabel="% with full marks", ylim=(0, 100), title="steps passed in full")
    parts += ["<h2>Per step</h2>", _png(fig)]
    rows = "".join(
        f"<tr><td>{m['count']}</td><td>{esc(m['step'])}</td><td>{esc(m['test'])}</td>"
        f"<td>{esc(m['example'])}</td></tr>"
        for m in data["misconceptions"][:top]
    )
    parts += [
        "<h2>Most frequent misconceptions</h2>",
        "<p class='muted'>Failed hidden tests in submissions that scored something, most "
        "frequent first, with one learner's message as an example.</p>",
        "<div class='scroll'><table><tr><th>learners</th><th>step</th><th>test</th>"
        f"<th>what the feedback said</th></tr>{rows}</table></div>",
    ]
    return page(title, "".join(parts))


def write_analytics(results: dict[str, SubmissionResult], out: str | Path, title: str) -> Path:
    return write_text_atomic(Path(out), analytics_html(results, title))
